//! Data: MNIST's file format ([`mnist`]), reading it from disk ([`files`], native only), and
//! turning a drawing into an MNIST-like image ([`preprocess`]).

#[cfg(not(target_arch = "wasm32"))]
pub mod files;
pub mod mnist;
pub mod preprocess;
