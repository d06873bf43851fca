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

use crate::error::{Error, Result};
use crate::layers::LayerSpec::{self, *};
use crate::network::Arch;

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

#[cfg(test)]
mod tests {
    use super::*;

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
