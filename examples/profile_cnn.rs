//! A steady CNN training load for profilers: `perf record -g target/release/examples/profile_cnn`
//! (set `debug = 1` in the release profile for symbols). Random pixels; the work is the same.
use backprop_lab::data::mnist::{Dataset, Images};
use backprop_lab::network::Network;
use backprop_lab::optim::OptimizerConfig;
use backprop_lab::presets;
use backprop_lab::train::Trainer;
fn main() {
    let n = 6400;
    let pixels = (0..n * 784).map(|i| (i * 7 % 256) as u8).collect();
    let labels = (0..n).map(|i| (i % 10) as u8).collect();
    let data = Dataset::new(
        Images {
            count: n,
            rows: 28,
            cols: 28,
            pixels,
        },
        labels,
    )
    .unwrap();
    let net = Network::from_arch(&presets::arch("cnn").unwrap(), 1).unwrap();
    let mut t = Trainer::new(net, OptimizerConfig::default(), 64, 1);
    for _ in 0..60 {
        t.step(&data).unwrap();
    }
}
