//! What the tests on the real MNIST files share: where the files are, and a preset trained on them.

use std::path::PathBuf;

use backprop_lab::data::mnist::Dataset;
use backprop_lab::network::Network;
use backprop_lab::optim::OptimizerConfig;
use backprop_lab::presets;
use backprop_lab::train::Trainer;

/// The folder `MNIST_DIR` names; without it, says that the tests on `what` are skipped.
pub fn mnist_dir(what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MNIST_DIR").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("MNIST_DIR is not set: skipping the tests on {what}");
    }
    dir
}

/// Preset `model` trained on `train` for `epochs` epochs with Adam's defaults (lr 1e-3), from
/// `seed` (the network's initial weights and the shuffles).
pub fn trained(model: &str, train: &Dataset, epochs: usize, batch: usize, seed: u64) -> Trainer {
    let net = Network::from_arch(&presets::arch(model).unwrap(), seed).unwrap();
    let mut trainer = Trainer::new(net, OptimizerConfig::default(), batch, seed);
    for _ in 0..epochs * trainer.steps_per_epoch(train.len()) {
        trainer.step(train).expect("training does not diverge");
    }
    assert_eq!(trainer.epoch, epochs);
    trainer
}
