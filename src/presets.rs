//! The model presets, matching the classic Keras MNIST examples:
//!
//! | name              | layers                                                                  |
//! |-------------------|-------------------------------------------------------------------------|
//! | `mlp-64`          | 784 → 64 ReLU → 10                                                      |
//! | `mlp-128`         | 784 → 128 ReLU → 10                                                     |
//! | `cnn`             | conv 32 3×3 ReLU → maxpool 2 → flatten → dense 64 ReLU → dense 10       |
//! | `mlp-512-dropout` | 784 → 512 ReLU → dropout 0.5 → 512 ReLU → dropout 0.5 → 10              |
//!
//! The last layer gives logits; softmax lives in the loss (see [`crate::loss`]).
//!
//! [`network`] builds one with fresh weights from a seed: the same name and seed give the same
//! network, natively and in the browser.

use crate::error::{Error, Result};
use crate::layers::LayerSpec::{self, *};
use crate::network::{Arch, Network};

pub const NAMES: [&str; 4] = ["mlp-64", "mlp-128", "cnn", "mlp-512-dropout"];

fn mlp(hidden: &[usize], dropout: f32) -> Arch {
    let mut layers = Vec::new();
    let mut inputs = 784;
    for &h in hidden {
        layers.push(Dense { inputs, outputs: h });
        layers.push(Relu);
        if dropout > 0.0 {
            layers.push(LayerSpec::Dropout { rate: dropout });
        }
        inputs = h;
    }
    layers.push(Dense {
        inputs,
        outputs: 10,
    });
    Arch {
        input_shape: vec![784],
        layers,
    }
}

pub fn arch(name: &str) -> Result<Arch> {
    Ok(match name {
        "mlp-64" => mlp(&[64], 0.0),
        "mlp-128" => mlp(&[128], 0.0),
        "mlp-512-dropout" => mlp(&[512, 512], 0.5),
        "cnn" => Arch {
            input_shape: vec![1, 28, 28],
            layers: vec![
                Conv2d {
                    in_channels: 1,
                    out_channels: 32,
                    kernel: 3,
                    stride: 1,
                    padding: 0,
                },
                Relu,
                Maxpool2d { size: 2, stride: 2 },
                Flatten,
                Dense {
                    inputs: 32 * 13 * 13,
                    outputs: 64,
                },
                Relu,
                Dense {
                    inputs: 64,
                    outputs: 10,
                },
            ],
        },
        _ => {
            return Err(Error::new(format!(
                "unknown model '{name}'; choose one of {}",
                NAMES.join(", ")
            )));
        }
    })
}

/// Preset `name` with the initial weights (and dropout masks) that `seed` gives.
pub fn network(name: &str, seed: u64) -> Result<Network> {
    Network::from_arch(&arch(name)?, seed)
}

/// The largest seed the page can send: 2⁵³ − 1, the largest whole number a JavaScript number
/// holds exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// A seed that arrives as a plain number (from the page, where every number is an f64): a whole
/// number from 0 to [`MAX_SEED`].
pub fn seed_from_number(value: f64) -> Result<u64> {
    if value.fract() == 0.0 && (0.0..=MAX_SEED as f64).contains(&value) {
        Ok(value as u64)
    } else {
        Err(Error::at(
            "seed",
            format!("expected a whole number from 0 to {MAX_SEED}, found {value}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_weights_every_time_and_another_seed_others() {
        let weights = |name: &str, seed: u64| -> Vec<Vec<f32>> {
            let mut net = network(name, seed).unwrap();
            net.params().iter().map(|p| p.value.to_vec()).collect()
        };
        for name in NAMES {
            let a = weights(name, 1);
            assert_eq!(a, weights(name, 1), "{name}, seed 1 twice");
            assert_ne!(a, weights(name, 2), "{name}, seeds 1 and 2");
        }
        assert_eq!(
            network("resnet", 1).unwrap_err().to_string(),
            "unknown model 'resnet'; choose one of mlp-64, mlp-128, cnn, mlp-512-dropout"
        );
    }

    #[test]
    fn a_seed_from_the_page_is_a_whole_number_a_javascript_number_holds() {
        assert_eq!(seed_from_number(0.0), Ok(0));
        assert_eq!(seed_from_number(7.0), Ok(7));
        assert_eq!(seed_from_number(9_007_199_254_740_991.0), Ok(MAX_SEED));
        for bad in [-1.0, 1.5, 9_007_199_254_740_992.0, f64::NAN, f64::INFINITY] {
            let e = seed_from_number(bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("seed: expected a whole number from 0 to 9007199254740991, found {bad}")
            );
        }
    }

    #[test]
    fn every_preset_is_a_valid_ten_class_model() {
        for name in NAMES {
            assert_eq!(arch(name).unwrap().outputs().unwrap(), 10, "{name}");
        }
        assert_eq!(
            arch("resnet").unwrap_err().to_string(),
            "unknown model 'resnet'; choose one of mlp-64, mlp-128, cnn, mlp-512-dropout"
        );
    }
}
