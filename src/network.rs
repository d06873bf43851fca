//! A sequential network: layers applied one after the other.
//!
//! Forward runs the layers in order; backward runs them in reverse, each turning the gradient
//! with respect to its output into the gradient with respect to its input (the chain rule, one
//! layer at a time) while adding up its own parameter gradients. That loop is all there is to
//! backpropagation once every layer knows its own backward.
//!
//! Networks are built from an [`Arch`] (the shapes, no numbers) plus a seed, or from explicit
//! weights by [`crate::spec`]. Initialisation: He normal (std √(2/fan_in)) for a dense or conv
//! layer followed by ReLU, Glorot uniform (limit √(6/(fan_in+fan_out))) otherwise, biases 0.
//! One seed fixes the initial weights and every dropout mask.
//!
//! Next: [`crate::optim::sgd`].

use ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::layers::{
    within_limit, Activation, ActivationKind, Conv2d, Dense, Dropout, Flatten, Layer, LayerSpec,
    MaxPool2d, Param, Tensor,
};
use crate::vocabulary::MAX_VALUES_PER_EXAMPLE;

/// The shape of a network without its numbers: what a model file stores beside the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arch {
    /// The shape of one example: `[784]` for an MLP, `[1, 28, 28]` for a CNN.
    pub input_shape: Vec<usize>,
    pub layers: Vec<LayerSpec>,
}

impl Arch {
    /// The per-example shape after each layer, or an error naming the first layer that does not
    /// fit (`layers[3]: dense layer expects 5408 inputs, ...`).
    pub fn shapes(&self) -> Result<Vec<Vec<usize>>> {
        if self.input_shape.is_empty() || self.input_shape.contains(&0) {
            return Err(Error::at(
                "input_shape",
                format!(
                    "expected [n] or [C, H, W] of positive sizes, found {:?}",
                    self.input_shape
                ),
            ));
        }
        if !within_limit(&self.input_shape) {
            return Err(Error::at(
                "input_shape",
                format!(
                    "{:?} is more than {MAX_VALUES_PER_EXAMPLE} numbers per example",
                    self.input_shape
                ),
            ));
        }
        let mut shape = self.input_shape.clone();
        let mut shapes = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            shape = l
                .output_shape(&shape)
                .map_err(|e| e.context(format!("layers[{i}]")))?;
            shapes.push(shape.clone());
        }
        if self.layers.is_empty() {
            return Err(Error::at("layers", "expected at least one layer"));
        }
        Ok(shapes)
    }

    /// The number of outputs (classes, for a classifier).
    pub fn outputs(&self) -> Result<usize> {
        let shapes = self.shapes()?;
        match shapes.last().map(|s| s.as_slice()) {
            Some([k]) => Ok(*k),
            Some(s) => Err(Error::new(format!(
                "the last layer must give a flat output, but gives shape {s:?}"
            ))),
            None => Err(Error::at("layers", "expected at least one layer")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Network {
    pub input_shape: Vec<usize>,
    pub layers: Vec<Layer>,
}

impl Network {
    /// Builds `arch` with seeded initial weights.
    pub fn from_arch(arch: &Arch, seed: u64) -> Result<Network> {
        arch.shapes()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut layers = Vec::with_capacity(arch.layers.len());
        for (i, spec) in arch.layers.iter().enumerate() {
            // He init when the next non-dropout layer is a ReLU.
            let relu_follows = arch.layers[i + 1..]
                .iter()
                .find(|l| !matches!(l, LayerSpec::Dropout { .. }))
                .is_some_and(|l| *l == LayerSpec::Relu);
            layers.push(match *spec {
                LayerSpec::Dense { inputs, outputs } => {
                    let w = init(&mut rng, &[outputs, inputs], inputs, outputs, relu_follows);
                    Layer::Dense(Dense::new(
                        w.into_dimensionality().expect("2-D"),
                        Array1::zeros(outputs),
                    ))
                }
                LayerSpec::Conv2d {
                    in_channels,
                    out_channels,
                    kernel,
                    stride,
                    padding,
                } => {
                    let kk = kernel * kernel;
                    let shape = [out_channels, in_channels, kernel, kernel];
                    let w = init(
                        &mut rng,
                        &shape,
                        in_channels * kk,
                        out_channels * kk,
                        relu_follows,
                    );
                    let w: Array4<f32> = w.into_dimensionality().expect("4-D");
                    Layer::Conv2d(Conv2d::new(w, Array1::zeros(out_channels), stride, padding))
                }
                LayerSpec::Maxpool2d { size, stride } => {
                    Layer::MaxPool2d(MaxPool2d::new(size, stride))
                }
                LayerSpec::Flatten => Layer::Flatten(Flatten::new()),
                LayerSpec::Relu => Layer::Activation(Activation::new(ActivationKind::Relu)),
                LayerSpec::Sigmoid => Layer::Activation(Activation::new(ActivationKind::Sigmoid)),
                LayerSpec::Tanh => Layer::Activation(Activation::new(ActivationKind::Tanh)),
                // Each dropout layer gets its own stream derived from the seed.
                LayerSpec::Dropout { rate } => Layer::Dropout(Dropout::new(rate, rng.random())),
            });
        }
        Ok(Network {
            input_shape: arch.input_shape.clone(),
            layers,
        })
    }

    pub fn arch(&self) -> Arch {
        Arch {
            input_shape: self.input_shape.clone(),
            layers: self.layers.iter().map(Layer::spec).collect(),
        }
    }

    /// The number of outputs of the last layer.
    pub fn outputs(&self) -> usize {
        self.arch()
            .outputs()
            .expect("a built network has a valid architecture")
    }

    /// Whether this network reads 28x28 digits into 10 classes, as the CLI and the page need.
    pub fn check_digit_classifier(&self) -> Result<()> {
        let arch = self.arch();
        if arch.input_shape.iter().product::<usize>() != 784 || arch.outputs().ok() != Some(10) {
            return Err(Error::new(
                "this model does not take 28x28 digits to 10 classes",
            ));
        }
        Ok(())
    }

    /// Reshapes a flat batch `(N, features)` to `(N, input_shape...)`.
    pub fn batch_from_flat(&self, flat: Vec<f32>, n: usize) -> Tensor {
        let mut shape = vec![n];
        shape.extend(&self.input_shape);
        ArrayD::from_shape_vec(IxDyn(&shape), flat).expect("batch size matches the input shape")
    }

    /// Runs every layer; `train` switches dropout on.
    // x: (N, input_shape...) -> (N, outputs)
    pub fn forward(&mut self, x: Tensor, train: bool) -> Array2<f32> {
        self.forward_observed(x, train, |_, _| {})
    }

    /// [`forward`](Self::forward), calling `observe(i, output)` after layer `i`: the worked
    /// trace records every intermediate value this way, through the very same loop.
    pub fn forward_observed(
        &mut self,
        x: Tensor,
        train: bool,
        mut observe: impl FnMut(usize, &Tensor),
    ) -> Array2<f32> {
        assert_eq!(
            &x.shape()[1..],
            self.input_shape.as_slice(),
            "input shape differs from the network's"
        );
        let mut out = x;
        for (i, layer) in self.layers.iter_mut().enumerate() {
            out = layer.forward(out, train);
            observe(i, &out);
        }
        out.into_dimensionality()
            .expect("the last layer gives (N, outputs)")
    }

    /// Backpropagates `dout` (∂L/∂output) through the layers in reverse, accumulating every
    /// parameter gradient. The first layer's dx is skipped: training does not need the input's gradient
    /// ([`backward_to_input`](Self::backward_to_input) computes it).
    pub fn backward(&mut self, dout: Array2<f32>) {
        self.backward_observed(dout, |_, _| {})
    }

    /// [`backward`](Self::backward), calling `observe(i, dout)` with the gradient arriving at the
    /// output of layer `i`, before that layer's backward runs.
    pub fn backward_observed(&mut self, dout: Array2<f32>, observe: impl FnMut(usize, &Tensor)) {
        self.backward_through(dout, false, observe);
    }

    /// [`backward`](Self::backward) one step further: the first layer's dx too, the gradient with
    /// respect to the input `(N, input_shape...)`. Saliency ([`crate::saliency`]) is this step.
    pub fn backward_to_input(
        &mut self,
        dout: Array2<f32>,
        observe: impl FnMut(usize, &Tensor),
    ) -> Tensor {
        self.backward_through(dout, true, observe)
            .expect("every layer returns dx when asked")
    }

    /// The reverse loop itself: each layer turns ∂L/∂(its output) into ∂L/∂(its input) and adds
    /// up its parameter gradients. The input's gradient is returned when `to_input`.
    fn backward_through(
        &mut self,
        dout: Array2<f32>,
        to_input: bool,
        mut observe: impl FnMut(usize, &Tensor),
    ) -> Option<Tensor> {
        let mut grad = dout.into_dyn();
        for (i, layer) in self.layers.iter_mut().enumerate().rev() {
            observe(i, &grad);
            grad = layer.backward(&grad, i > 0 || to_input)?;
        }
        Some(grad)
    }

    pub fn zero_grad(&mut self) {
        self.layers.iter_mut().for_each(Layer::zero_grad);
    }

    /// Every learnable tensor, layer by layer (weight then bias): the order the optimizer and the
    /// model file use.
    pub fn params(&mut self) -> Vec<Param<'_>> {
        self.layers.iter_mut().flat_map(Layer::params).collect()
    }

    /// `(layer index, parameter name)` for each entry of [`params`](Self::params).
    pub fn param_names(&mut self) -> Vec<(usize, &'static str)> {
        let mut names = Vec::new();
        for (i, l) in self.layers.iter_mut().enumerate() {
            names.extend(l.params().iter().map(|p| (i, p.name)));
        }
        names
    }

    pub fn param_count(&mut self) -> usize {
        self.params().iter().map(|p| p.value.len()).sum()
    }

    /// Whether every weight is a finite number (training diverged otherwise).
    pub fn is_finite(&mut self) -> bool {
        self.params()
            .iter()
            .all(|p| p.value.iter().all(|v| v.is_finite()))
    }

    /// Softmax probabilities of a flat batch, in evaluation mode.
    pub fn predict(&mut self, flat: &[f32]) -> Array2<f32> {
        let features: usize = self.input_shape.iter().product();
        assert_eq!(
            flat.len() % features,
            0,
            "predict: {} numbers is not a whole number of inputs of {features}",
            flat.len()
        );
        let x = self.batch_from_flat(flat.to_vec(), flat.len() / features);
        let out = self.forward(x, false);
        crate::loss::softmax(out.view())
    }
}

/// He normal or Glorot uniform weights of `shape`.
fn init(
    rng: &mut ChaCha8Rng,
    shape: &[usize],
    fan_in: usize,
    fan_out: usize,
    he: bool,
) -> ArrayD<f32> {
    if he {
        let normal = Normal::new(0.0, (2.0 / fan_in as f32).sqrt()).expect("positive std");
        ArrayD::from_shape_simple_fn(IxDyn(shape), || normal.sample(rng))
    } else {
        let limit = (6.0 / (fan_in + fan_out) as f32).sqrt();
        ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-limit..limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::{Loss, Targets};

    fn small_cnn() -> Arch {
        Arch {
            input_shape: vec![1, 6, 6],
            layers: vec![
                LayerSpec::Conv2d {
                    in_channels: 1,
                    out_channels: 2,
                    kernel: 3,
                    stride: 1,
                    padding: 1,
                },
                LayerSpec::Relu,
                LayerSpec::Maxpool2d { size: 2, stride: 2 },
                LayerSpec::Flatten,
                LayerSpec::Dense {
                    inputs: 18,
                    outputs: 5,
                },
                LayerSpec::Tanh,
                LayerSpec::Dense {
                    inputs: 5,
                    outputs: 3,
                },
            ],
        }
    }

    #[test]
    fn shapes_and_errors_name_the_layer() {
        let arch = small_cnn();
        assert_eq!(arch.shapes().unwrap()[2], vec![2, 3, 3]);
        let mut bad = arch.clone();
        bad.layers[4] = LayerSpec::Dense {
            inputs: 20,
            outputs: 5,
        };
        assert_eq!(
            bad.shapes().unwrap_err().to_string(),
            "layers[4]: dense layer expects 20 inputs, but the previous layer gives 18"
        );
        bad.layers.remove(3);
        assert!(bad
            .shapes()
            .unwrap_err()
            .to_string()
            .contains("add a flatten layer"));
    }

    #[test]
    fn same_seed_same_weights_and_he_scale() {
        let arch = Arch {
            input_shape: vec![784],
            layers: vec![
                LayerSpec::Dense {
                    inputs: 784,
                    outputs: 256,
                },
                LayerSpec::Relu,
            ],
        };
        let mut a = Network::from_arch(&arch, 1).unwrap();
        let mut b = Network::from_arch(&arch, 1).unwrap();
        let mut c = Network::from_arch(&arch, 2).unwrap();
        let wa: Vec<f32> = a.params()[0].value.to_vec();
        assert_eq!(wa, b.params()[0].value.to_vec());
        assert_ne!(wa, c.params()[0].value.to_vec());
        // He normal: variance 2 / fan_in.
        let var = wa.iter().map(|w| (w * w) as f64).sum::<f64>() / wa.len() as f64;
        assert!((var / (2.0 / 784.0) - 1.0).abs() < 0.05, "variance {var}");
    }

    /// The whole network against central differences: every layer's backward chained together.
    #[test]
    fn network_gradients_match_central_differences() {
        let mut net = Network::from_arch(&small_cnn(), 3).unwrap();
        let x = crate::layers::gradcheck::random_tensor(&[2, 1, 6, 6], 4);
        let targets = Targets::Labels(vec![1, 2]);
        let loss_at = |net: &Network| {
            let out = net.clone().forward(x.clone(), false);
            Loss::SoftmaxCrossEntropy
                .forward_backward(out.view(), &targets)
                .loss as f64
        };
        let out = net.forward(x.clone(), false);
        net.zero_grad();
        net.backward(
            Loss::SoftmaxCrossEntropy
                .forward_backward(out.view(), &targets)
                .dout,
        );
        let grads: Vec<Vec<f32>> = net.params().iter().map(|p| p.grad.to_vec()).collect();
        let h = 1e-2;
        for (k, grad) in grads.iter().enumerate() {
            for (i, &g) in grad.iter().enumerate() {
                let mut plus = net.clone();
                plus.params()[k].value[i] += h;
                let mut minus = net.clone();
                minus.params()[k].value[i] -= h;
                let numeric = (loss_at(&plus) - loss_at(&minus)) / (2.0 * h as f64);
                let err = (g as f64 - numeric).abs();
                assert!(
                    err < 2e-3 * numeric.abs().max(g.abs() as f64) + 1e-3,
                    "param {k}[{i}]: {g} vs {numeric}"
                );
            }
        }
    }
}
