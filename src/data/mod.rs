pub mod mnist;
pub mod preprocess;
