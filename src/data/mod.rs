//! Data: MNIST's file format ([`mnist`]), reading it from disk ([`files`], native only), and
//! turning a drawing ([`preprocess`]) or a picture file ([`picture`], native only) into an
//! MNIST-like image, and MNIST's digits drawn again with the page's pen ([`drawn`]).

pub mod drawn;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
pub mod mnist;
#[cfg(not(target_arch = "wasm32"))]
pub mod picture;
pub mod preprocess;
