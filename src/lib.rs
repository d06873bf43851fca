pub mod data;
pub mod error;
pub mod layers;
pub mod loss;
pub mod optim;
