//! The model presets, matching the classic Keras MNIST examples ([`PRESETS`] holds this table):
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
//!
//! Next: [`crate::train`].

use crate::error::{Error, Result};
use crate::layers::LayerSpec::{self, *};
use serde::Deserialize;

use crate::network::{Arch, Network};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::vocabulary;

/// A preset's name and how the page and README describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub name: &'static str,
    /// A few words for a menu.
    pub description: &'static str,
    /// The layers in one line, as in the table above.
    pub layers: &'static str,
}

/// Every preset, in the order menus list them.
pub const PRESETS: [Preset; 4] = [
    Preset {
        name: "mlp-64",
        description: "64 hidden units",
        layers: "784 → 64 ReLU → 10",
    },
    Preset {
        name: "mlp-128",
        description: "128 hidden units",
        layers: "784 → 128 ReLU → 10",
    },
    Preset {
        name: "cnn",
        description: "32 filters, 64 units",
        layers: "conv 32 3×3 ReLU → maxpool 2 → flatten → dense 64 ReLU → dense 10",
    },
    Preset {
        name: "mlp-512-dropout",
        description: "2 × 512 units",
        layers: "784 → 512 ReLU → dropout 0.5 → 512 ReLU → dropout 0.5 → 10",
    },
];

/// The presets' names.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

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
                names().join(", ")
            )));
        }
    })
}

/// Preset `name` with the initial weights (and dropout masks) that `seed` gives.
pub fn network(name: &str, seed: u64) -> Result<Network> {
    Network::from_arch(&arch(name)?, seed)
}

/// A fresh network for the step-through view, instead of the current model: a preset with the
/// weights of `seed` and a fresh optimizer (t = 0, m = v = 0; by default Adam with its defaults).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fresh {
    pub model: String,
    /// A JavaScript number, checked by [`seed_from_number`] (serde's own message for 1.5 or −1
    /// would not name the field).
    pub seed: f64,
    #[serde(default)]
    pub optimizer: OptimizerConfig,
}

impl Fresh {
    /// The network and optimizer; bad settings give a message naming the field.
    pub fn build(&self) -> Result<(Network, Optimizer)> {
        let build = || -> Result<(Network, Optimizer)> {
            let seed = seed_from_number(self.seed)?;
            self.optimizer.validate("optimizer")?;
            Ok((network(&self.model, seed)?, self.optimizer.build()))
        };
        build().map_err(|e| e.context("fresh network"))
    }
}

/// A seed that arrives as a plain number (from the page, where every number is an f64): a whole
/// number within [`vocabulary::SEED`].
pub fn seed_from_number(value: f64) -> Result<u64> {
    vocabulary::SEED.check("seed", value)?;
    Ok(value as u64)
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
        for name in names() {
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
        assert_eq!(seed_from_number(9_007_199_254_740_991.0), Ok((1 << 53) - 1));
        for bad in [-1.0, 1.5, 9_007_199_254_740_992.0, f64::NAN, f64::INFINITY] {
            let e = seed_from_number(bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("seed: expected a whole number from 0 to 9007199254740991, found {bad}")
            );
        }
    }

    #[test]
    fn readme_lists_every_preset_as_the_table_here_says() {
        let readme = include_str!("../README.md");
        for p in PRESETS {
            let row = format!("| `{}` | {} |", p.name, p.layers);
            assert!(readme.contains(&row), "README lacks the row {row}");
        }
    }

    #[test]
    fn every_preset_is_a_valid_ten_class_model() {
        for name in names() {
            assert_eq!(arch(name).unwrap().outputs().unwrap(), 10, "{name}");
        }
        assert_eq!(
            arch("resnet").unwrap_err().to_string(),
            "unknown model 'resnet'; choose one of mlp-64, mlp-128, cnn, mlp-512-dropout"
        );
    }
}
