//! backprop-lab's network core: layers with explicit backward passes, losses, optimizers, the
//! worked trace of one training step, the network spec format, MNIST and model files.
//!
//! Plain Rust on ndarray, tested natively with `cargo test`; `wasm.rs` wraps it for the browser.
//!
//! # Reading order
//!
//! 1. [`layers::dense`] — `z = W x + b` on a batch and its backward.
//! 2. [`layers::activation`] — ReLU, sigmoid, tanh.
//! 3. [`loss`] — softmax cross-entropy with the fused gradient `p − y`; MSE; ½Σ(t − o)².
//! 4. [`network`] — the forward loop and the reverse backward loop: backpropagation.
//! 5. [`optim::sgd`], [`optim::adam`] — the update rules.
//! 6. [`layers::conv2d`], [`layers::maxpool`], [`layers::flatten`], [`layers::dropout`].
//! 7. [`trace`] — every number of one step, observed while the real code runs.
//! 8. `src/layers/gradcheck.rs` — how every layer's backward is checked by central differences.
//! 9. [`saliency`] — backprop one step further, to the pixels: which ink made the answer.
//!
//! Each module's docs end with `Next:`, in this order. Then, for the product around the maths:
//! [`vocabulary`] (every limit and default, stated once), [`presets`] (the MNIST models),
//! [`train`] (mini-batch training and evaluation), [`parallel`] (a batch's gradient on every
//! core), [`health`] (the health panel's numbers, from the training itself), [`timeline`] (which
//! snapshots of a run to keep within a memory bound), [`finetune`] (learning a user's own digits
//! without forgetting MNIST), [`summary`] (histograms for the weights view), [`drawing`] (a
//! drawing read and explained), [`digit`] (one test digit traced), [`spec`] (the network
//! spec JSON), [`model_file`] (safetensors), [`data`] (MNIST files, drawing preprocessing),
//! [`error`] (messages for people), and last [`wasm`], which only converts these for the browser.

pub mod data;
pub mod digit;
pub mod drawing;
pub mod error;
pub mod finetune;
pub mod health;
pub mod layers;
pub mod loss;
pub mod model_file;
pub mod network;
pub mod optim;
pub mod parallel;
pub mod presets;
pub mod saliency;
pub mod spec;
pub mod summary;
pub mod timeline;
pub mod trace;
pub mod train;
pub mod vocabulary;
pub mod wasm;
