//! The layers of a network. Each file teaches one layer end to end: forward, what it saves for
//! backward, the explicit backward, and a gradient check against central differences.
//!
//! Read in this order: [`dense`], [`activation`], then [`conv2d`], [`maxpool`], [`flatten`],
//! [`dropout`]. All layers work on mini-batches, batch first: a dense layer sees `(N, features)`,
//! a convolution sees `(N, C, H, W)`.
//!
//! Every layer's `forward` takes its input by value, keeps what its backward needs (the input, a
//! mask, the argmax indices) and returns its output. `backward` takes the gradient of the loss
//! with respect to the output (`dout`), adds the gradients of its parameters into `dw`/`db`
//! (`+=`, cleared by `zero_grad`) and returns `dx`, the gradient with respect to its input,
//! unless the caller says nobody needs it (the first layer: the image has no parameters).

pub mod activation;
pub mod conv2d;
pub mod dense;
pub mod dropout;
pub mod flatten;
pub mod maxpool;

#[cfg(test)]
pub(crate) mod gradcheck;

use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::vocabulary::MAX_VALUES_PER_EXAMPLE;
pub use activation::{Activation, ActivationKind};
pub use conv2d::Conv2d;
pub use dense::Dense;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use maxpool::MaxPool2d;

/// A batch of numbers of any shape, batch first.
pub type Tensor = ArrayD<f32>;

/// One learnable tensor: its values (flat, C order), its gradient, its shape and its name
/// (`weight` or `bias`). The optimizer only needs the flat slices.
pub struct Param<'a> {
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub value: &'a mut [f32],
    pub grad: &'a [f32],
}

/// The two parameters of a dense or conv2d layer, `weight` then `bias`, as flat slices.
fn weight_and_bias<'a, D: ndarray::Dimension>(
    w: &'a mut ndarray::Array<f32, D>,
    dw: &'a ndarray::Array<f32, D>,
    b: &'a mut ndarray::Array1<f32>,
    db: &'a ndarray::Array1<f32>,
) -> Vec<Param<'a>> {
    vec![
        Param {
            name: "weight",
            shape: w.shape().to_vec(),
            value: w.as_slice_mut().expect("weights are contiguous"),
            grad: dw.as_slice().expect("gradients are contiguous"),
        },
        Param {
            name: "bias",
            shape: b.shape().to_vec(),
            value: b.as_slice_mut().expect("biases are contiguous"),
            grad: db.as_slice().expect("gradients are contiguous"),
        },
    ]
}

/// Whether a per-example shape holds at most [`MAX_VALUES_PER_EXAMPLE`] numbers.
pub fn within_limit(shape: &[usize]) -> bool {
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    matches!(n, Some(n) if n <= MAX_VALUES_PER_EXAMPLE)
}

/// The shape of one layer, without its numbers: what a preset, a model file and the page need to
/// rebuild it. Serialized as `{"type": "dense", "inputs": 784, "outputs": 128}` and so on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LayerSpec {
    Dense {
        inputs: usize,
        outputs: usize,
    },
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    },
    Maxpool2d {
        size: usize,
        stride: usize,
    },
    Flatten,
    Relu,
    Sigmoid,
    Tanh,
    Dropout {
        rate: f32,
    },
}

impl LayerSpec {
    /// The name used in the spec JSON and on the page (one of [`crate::vocabulary::LAYER_KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Conv2d { .. } => "conv2d",
            LayerSpec::Maxpool2d { .. } => "maxpool2d",
            LayerSpec::Flatten => "flatten",
            LayerSpec::Relu => "relu",
            LayerSpec::Sigmoid => "sigmoid",
            LayerSpec::Tanh => "tanh",
            LayerSpec::Dropout { .. } => "dropout",
        }
    }

    /// The per-example output shape for a per-example input shape, or an error a person can act on
    /// (including an output of more than [`MAX_VALUES_PER_EXAMPLE`] numbers).
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let shape = self.shape_after(input)?;
        if within_limit(&shape) {
            Ok(shape)
        } else {
            Err(Error::new(format!(
                "{} gives {shape:?}, more than {MAX_VALUES_PER_EXAMPLE} numbers per example",
                self.kind()
            )))
        }
    }

    fn shape_after(&self, input: &[usize]) -> Result<Vec<usize>> {
        match *self {
            LayerSpec::Dense { inputs, outputs } => match input {
                [n] if *n == inputs => Ok(vec![outputs]),
                [n] => Err(Error::new(format!(
                    "dense layer expects {inputs} inputs, but the previous layer gives {n}"
                ))),
                _ => Err(Error::new(format!(
                    "dense layer expects a flat input, but gets shape {input:?}; add a flatten layer before it"
                ))),
            },
            LayerSpec::Conv2d { in_channels, out_channels, kernel, stride, padding } => {
                let [c, h, w] = input else {
                    return Err(Error::new(format!(
                        "conv2d expects an input of shape [channels, height, width], but gets {input:?}"
                    )));
                };
                if *c != in_channels {
                    return Err(Error::new(format!(
                        "conv2d expects {in_channels} input channels, but the input has {c}"
                    )));
                }
                if stride == 0 || kernel == 0 {
                    return Err(Error::new("conv2d kernel and stride must be at least 1"));
                }
                let padded = |n: usize| {
                    padding
                        .checked_mul(2)
                        .and_then(|p| p.checked_add(n))
                        .ok_or_else(|| Error::new(format!("conv2d padding {padding} is too large")))
                };
                let (ph, pw) = (padded(*h)?, padded(*w)?);
                if ph < kernel || pw < kernel {
                    return Err(Error::new(format!(
                        "conv2d kernel {kernel}x{kernel} is larger than the padded input {ph}x{pw}"
                    )));
                }
                Ok(vec![
                    out_channels,
                    (ph - kernel) / stride + 1,
                    (pw - kernel) / stride + 1,
                ])
            }
            LayerSpec::Maxpool2d { size, stride } => {
                let [c, h, w] = input else {
                    return Err(Error::new(format!(
                        "maxpool2d expects an input of shape [channels, height, width], but gets {input:?}"
                    )));
                };
                if size == 0 || stride == 0 {
                    return Err(Error::new("maxpool2d size and stride must be at least 1"));
                }
                if *h < size || *w < size {
                    return Err(Error::new(format!(
                        "maxpool2d window {size}x{size} is larger than the input {h}x{w}"
                    )));
                }
                Ok(vec![*c, (h - size) / stride + 1, (w - size) / stride + 1])
            }
            LayerSpec::Flatten => input
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d))
                .map(|n| vec![n])
                .ok_or_else(|| Error::new(format!("flatten of {input:?} gives too many numbers"))),
            LayerSpec::Relu | LayerSpec::Sigmoid | LayerSpec::Tanh => Ok(input.to_vec()),
            LayerSpec::Dropout { rate } => {
                crate::vocabulary::DROPOUT_RATE.check_f32("dropout rate", rate)?;
                Ok(input.to_vec())
            }
        }
    }

    /// The shapes of the layer's parameters, `weight` then `bias` (none for most layers), from
    /// the spec alone: dense `[outputs, inputs]`, conv2d `[out, in, k, k]`; biases one per output.
    pub fn param_shapes(&self) -> Vec<(&'static str, Vec<usize>)> {
        match *self {
            LayerSpec::Dense { inputs, outputs } => {
                vec![("weight", vec![outputs, inputs]), ("bias", vec![outputs])]
            }
            LayerSpec::Conv2d {
                in_channels,
                out_channels,
                kernel,
                ..
            } => vec![
                ("weight", vec![out_channels, in_channels, kernel, kernel]),
                ("bias", vec![out_channels]),
            ],
            _ => Vec::new(),
        }
    }
}

/// One layer of a [`crate::network::Network`]. An enum rather than trait objects: the set of
/// layers is closed, and matching on it keeps the trace and the model file simple.
#[derive(Debug, Clone)]
pub enum Layer {
    Dense(Dense),
    Conv2d(Conv2d),
    MaxPool2d(MaxPool2d),
    Flatten(Flatten),
    Activation(Activation),
    Dropout(Dropout),
}

impl Layer {
    /// `train` switches dropout on; every other layer behaves the same in both modes.
    pub fn forward(&mut self, x: Tensor, train: bool) -> Tensor {
        match self {
            Layer::Dense(l) => l.forward(x),
            Layer::Conv2d(l) => l.forward(x),
            Layer::MaxPool2d(l) => l.forward(x),
            Layer::Flatten(l) => l.forward(x),
            Layer::Activation(l) => l.forward(x),
            Layer::Dropout(l) => l.forward(x, train),
        }
    }

    /// Accumulates parameter gradients and returns dx when `need_dx`.
    pub fn backward(&mut self, dout: &Tensor, need_dx: bool) -> Option<Tensor> {
        match self {
            Layer::Dense(l) => l.backward(dout, need_dx),
            Layer::Conv2d(l) => l.backward(dout, need_dx),
            Layer::MaxPool2d(l) => need_dx.then(|| l.backward(dout)),
            Layer::Flatten(l) => need_dx.then(|| l.backward(dout)),
            Layer::Activation(l) => need_dx.then(|| l.backward(dout)),
            Layer::Dropout(l) => need_dx.then(|| l.backward(dout)),
        }
    }

    pub fn params(&mut self) -> Vec<Param<'_>> {
        match self {
            Layer::Dense(l) => l.params(),
            Layer::Conv2d(l) => l.params(),
            _ => Vec::new(),
        }
    }

    /// The gradients of [`params`](Self::params), in the same order, to add into:
    /// data-parallel training sums the gradients of a batch's shards this way.
    pub fn grads_mut(&mut self) -> Vec<&mut [f32]> {
        let contiguous = "gradients are contiguous";
        match self {
            Layer::Dense(l) => vec![
                l.dw.as_slice_mut().expect(contiguous),
                l.db.as_slice_mut().expect(contiguous),
            ],
            Layer::Conv2d(l) => vec![
                l.dw.as_slice_mut().expect(contiguous),
                l.db.as_slice_mut().expect(contiguous),
            ],
            _ => Vec::new(),
        }
    }

    pub fn zero_grad(&mut self) {
        match self {
            Layer::Dense(l) => l.zero_grad(),
            Layer::Conv2d(l) => l.zero_grad(),
            _ => {}
        }
    }

    pub fn spec(&self) -> LayerSpec {
        match self {
            Layer::Dense(l) => LayerSpec::Dense {
                inputs: l.inputs(),
                outputs: l.outputs(),
            },
            Layer::Conv2d(l) => LayerSpec::Conv2d {
                in_channels: l.in_channels(),
                out_channels: l.out_channels(),
                kernel: l.kernel(),
                stride: l.stride,
                padding: l.padding,
            },
            Layer::MaxPool2d(l) => LayerSpec::Maxpool2d {
                size: l.size,
                stride: l.stride,
            },
            Layer::Flatten(_) => LayerSpec::Flatten,
            Layer::Activation(l) => match l.kind {
                ActivationKind::Relu => LayerSpec::Relu,
                ActivationKind::Sigmoid => LayerSpec::Sigmoid,
                ActivationKind::Tanh => LayerSpec::Tanh,
            },
            Layer::Dropout(l) => LayerSpec::Dropout { rate: l.rate },
        }
    }
}
