//! The worked trace: every number of one training step, for the step-through view, the
//! `backprop-lab trace` command and course notes.
//!
//! One step is: forward through every layer (we record each layer's output), the loss (the
//! outputs, softmax probabilities, targets, the loss value and its gradient `p − y`), backward
//! through every layer in reverse (we record the gradient arriving at each layer's output, and each
//! parameter's gradient), then the optimizer step (for every parameter element: the previous
//! state, the new `m` and `v`, the bias corrections, `m̂`, `v̂`, the step and the new value).
//!
//! Nothing here recomputes the maths: the numbers are observed while the network's own
//! `forward`, `backward` and the optimizer's own `step` run, so the trace shows exactly what
//! training does. The format is documented in README.md ("The worked trace").
//!
//! Next: [`crate::model_file`].

use serde::Serialize;

use crate::error::{Error, Result};
use crate::layers::{Layer, LayerSpec, Tensor};
use crate::loss::{Loss, Targets};
use crate::network::Network;
use crate::optim::adam::BiasCorrection;
use crate::optim::{Optimizer, OptimizerConfig};

#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    /// Examples in the batch.
    pub batch: usize,
    /// The shape of one example.
    pub input_shape: Vec<usize>,
    /// The batch, flat in C order: `(N, input_shape...)`.
    pub input: Vec<f32>,
    pub layers: Vec<LayerTrace>,
    pub loss: LossTrace,
    pub optimizer: OptimizerTrace,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerTrace {
    pub index: usize,
    /// The layer's shape, e.g. `{"type": "dense", "inputs": 784, "outputs": 128}`.
    pub spec: LayerSpec,
    /// Per example.
    pub input_shape: Vec<usize>,
    pub output_shape: Vec<usize>,
    /// What the layer computed, `(N, output_shape...)` flat. For dense and conv2d this is the
    /// weighted sum z; the activation is the next layer's output.
    pub output: Vec<f32>,
    /// ∂L/∂output: the gradient arriving from above (δ for a dense layer's z). Empty for layers
    /// backward never reached (none, today: every layer's output gradient is recorded).
    pub grad_output: Vec<f32>,
    /// Max-pooling: for each output element, the flat index (within the batch input) of the input
    /// that won, which is where its gradient goes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argmax: Option<Vec<usize>>,
    pub params: Vec<ParamTrace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParamTrace {
    /// `weight` or `bias`.
    pub name: &'static str,
    pub shape: Vec<usize>,
    pub before: Vec<f32>,
    /// ∂L/∂θ, averaged over the batch.
    pub grad: Vec<f32>,
    pub after: Vec<f32>,
    /// The optimizer's per-element numbers.
    pub update: ParamUpdate,
}

/// Per-element optimizer numbers for one parameter tensor (all flat, like the tensor).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamUpdate {
    Adam {
        /// State before this step (zeros before the first step).
        m_before: Vec<f32>,
        v_before: Vec<f32>,
        m: Vec<f32>,
        v: Vec<f32>,
        m_hat: Vec<f32>,
        v_hat: Vec<f32>,
        /// −α m̂ / (√v̂ + ε)
        step: Vec<f32>,
    },
    Sgd {
        velocity_before: Vec<f32>,
        velocity: Vec<f32>,
        /// −lr · velocity
        step: Vec<f32>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct LossTrace {
    /// `softmax_cross_entropy`, `mse` or `half_sse`.
    pub kind: &'static str,
    /// The batch loss (mean over examples).
    pub value: f32,
    /// The loss of each example.
    pub per_example: Vec<f32>,
    /// The network's outputs (logits for cross-entropy), `(N, K)` flat.
    pub outputs: Vec<f32>,
    /// Softmax probabilities, for cross-entropy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probs: Option<Vec<f32>>,
    /// Class labels, when the targets are labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<usize>>,
    /// The target values `(N, K)` flat (one-hot for labels).
    pub targets: Vec<f32>,
    /// ∂L/∂outputs, `(N, K)` flat: `(p − y)/N` for cross-entropy.
    pub grad: Vec<f32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptimizerTrace {
    pub config: OptimizerConfig,
    /// The number of this step (Adam's t; 1 for the first step).
    pub t: u64,
    /// Adam's `1 − β1ᵗ` and `1 − β2ᵗ`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias_correction: Option<BiasCorrection>,
}

/// Runs one training step of `net` with `opt` on the batch `x` and records every number.
/// `net` and `opt` are updated, exactly as a training step would; clone them first to look
/// without changing.
pub fn trace_step(
    net: &mut Network,
    opt: &mut Optimizer,
    x: Tensor,
    targets: &Targets,
    loss: Loss,
    train: bool,
) -> Trace {
    let batch = x.shape()[0];
    let input: Vec<f32> = x.iter().copied().collect();
    let arch = net.arch();
    let shapes = arch
        .shapes()
        .expect("a built network has a valid architecture");

    let mut outputs: Vec<Vec<f32>> = vec![Vec::new(); net.layers.len()];
    let out = net.forward_observed(x, train, |i, o| outputs[i] = o.iter().copied().collect());
    let lo = loss.forward_backward(out.view(), targets);
    let k = out.ncols();
    let per_example: Vec<f32> = (0..batch)
        .map(|n| {
            let row = out.slice(ndarray::s![n..n + 1, ..]);
            let t = match targets {
                Targets::Labels(l) => Targets::Labels(vec![l[n]]),
                Targets::Values(v) => {
                    Targets::Values(v.slice(ndarray::s![n..n + 1, ..]).to_owned())
                }
            };
            loss.forward_backward(row, &t).loss
        })
        .collect();
    let target_values: Vec<f32> = match targets {
        Targets::Labels(l) => l
            .iter()
            .flat_map(|&c| (0..k).map(move |j| (j == c) as u8 as f32))
            .collect(),
        Targets::Values(v) => v.iter().copied().collect(),
    };
    let loss_trace = LossTrace {
        kind: loss.name(),
        value: lo.loss,
        per_example,
        outputs: out.iter().copied().collect(),
        probs: lo.probs.as_ref().map(|p| p.iter().copied().collect()),
        labels: match targets {
            Targets::Labels(l) => Some(l.clone()),
            Targets::Values(_) => None,
        },
        targets: target_values,
        grad: lo.dout.iter().copied().collect(),
    };

    net.zero_grad();
    let mut grad_outputs: Vec<Vec<f32>> = vec![Vec::new(); net.layers.len()];
    net.backward_observed(lo.dout, |i, g| {
        grad_outputs[i] = g.iter().copied().collect()
    });

    // Parameters and optimizer state before the step (zeros before the first step).
    let names = net.param_names();
    let state =
        |s: &[Vec<f32>], k: usize, n: usize| s.get(k).cloned().unwrap_or_else(|| vec![0.0; n]);
    let mut params: Vec<ParamTrace> = net
        .params()
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let n = p.value.len();
            let update = match opt {
                Optimizer::Adam(a) => ParamUpdate::Adam {
                    m_before: state(&a.m, k, n),
                    v_before: state(&a.v, k, n),
                    m: Vec::with_capacity(n),
                    v: Vec::with_capacity(n),
                    m_hat: Vec::with_capacity(n),
                    v_hat: Vec::with_capacity(n),
                    step: Vec::with_capacity(n),
                },
                Optimizer::Sgd(s) => ParamUpdate::Sgd {
                    velocity_before: state(&s.velocity, k, n),
                    velocity: Vec::with_capacity(n),
                    step: Vec::with_capacity(n),
                },
            };
            ParamTrace {
                name: p.name,
                shape: p.shape.clone(),
                before: p.value.to_vec(),
                grad: p.grad.to_vec(),
                after: Vec::new(),
                update,
            }
        })
        .collect();

    // The optimizer's own step, observed element by element.
    let bias_correction = match opt {
        Optimizer::Adam(a) => {
            a.step_observed(&mut net.params(), |k, _, u| {
                if let ParamUpdate::Adam {
                    m,
                    v,
                    m_hat,
                    v_hat,
                    step,
                    ..
                } = &mut params[k].update
                {
                    m.push(u.m);
                    v.push(u.v);
                    m_hat.push(u.m_hat);
                    v_hat.push(u.v_hat);
                    step.push(u.step);
                }
            });
            Some(a.cfg.bias_correction(a.t))
        }
        Optimizer::Sgd(s) => {
            s.step_observed(&mut net.params(), |k, _, u| {
                if let ParamUpdate::Sgd { velocity, step, .. } = &mut params[k].update {
                    velocity.push(u.velocity);
                    step.push(u.step);
                }
            });
            None
        }
    };
    for (p, now) in params.iter_mut().zip(net.params()) {
        p.after = now.value.to_vec();
    }

    // Hand each layer its parameters, in the order `param_names` listed them.
    let mut per_layer: Vec<Vec<ParamTrace>> = vec![Vec::new(); net.layers.len()];
    for ((layer, _), p) in names.into_iter().zip(params) {
        per_layer[layer].push(p);
    }
    let layers = net
        .layers
        .iter()
        .zip(per_layer)
        .enumerate()
        .map(|(i, (layer, params))| LayerTrace {
            index: i,
            spec: layer.spec(),
            input_shape: if i == 0 {
                net.input_shape.clone()
            } else {
                shapes[i - 1].clone()
            },
            output_shape: shapes[i].clone(),
            output: std::mem::take(&mut outputs[i]),
            grad_output: std::mem::take(&mut grad_outputs[i]),
            argmax: match layer {
                Layer::MaxPool2d(p) => Some(p.argmax().to_vec()),
                _ => None,
            },
            params,
        })
        .collect();

    Trace {
        batch,
        input_shape: net.input_shape.clone(),
        input,
        layers,
        loss: loss_trace,
        optimizer: OptimizerTrace {
            config: opt.config(),
            t: opt.steps(),
            bias_correction,
        },
    }
}

/// The analytic gradient of one parameter element next to its central-difference estimate:
/// the step-through view shows both, so a learner can see that backprop is right.
#[derive(Debug, Clone, Serialize)]
pub struct GradCheck {
    pub layer: usize,
    pub param: &'static str,
    pub index: usize,
    pub h: f32,
    pub loss_plus: f32,
    pub loss_minus: f32,
    /// (L(θ + h) − L(θ − h)) / 2h
    pub numeric: f32,
    pub analytic: f32,
    /// |analytic − numeric| / max(|analytic|, |numeric|, 1e-12)
    pub relative_error: f32,
}

/// Checks ∂L/∂θ for element `index` of parameter `param` (`weight` or `bias`) of layer `layer`,
/// on a copy of `net` (nothing changes).
pub fn gradient_check(
    net: &Network,
    x: &Tensor,
    targets: &Targets,
    loss: Loss,
    layer: usize,
    param: &str,
    index: usize,
) -> Result<GradCheck> {
    let mut base = net.clone();
    let names = base.param_names();
    let k = names
        .iter()
        .position(|&(l, n)| l == layer && n == param)
        .ok_or_else(|| Error::new(format!("layer {layer} has no parameter '{param}'")))?;
    let len = base.params()[k].value.len();
    if index >= len {
        return Err(Error::new(format!(
            "layer {layer} {param} has {len} elements; index {index} is out of range"
        )));
    }
    // Evaluation mode: dropout would otherwise draw new masks for every evaluation.
    let loss_at = |n: &mut Network| {
        let out = n.forward(x.clone(), false);
        loss.forward_backward(out.view(), targets)
    };
    let lo = loss_at(&mut base);
    base.zero_grad();
    base.backward(lo.dout);
    let analytic = base.params()[k].grad[index];
    // f32: a step of 1e-3 balances truncation error (h²) against rounding (ε/h).
    let h = 1e-3f32;
    let nudged = |delta: f32| {
        let mut n = net.clone();
        n.params()[k].value[index] += delta;
        loss_at(&mut n).loss
    };
    let (loss_plus, loss_minus) = (nudged(h), nudged(-h));
    let numeric = ((loss_plus as f64 - loss_minus as f64) / (2.0 * h as f64)) as f32;
    let relative_error = (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(1e-12);
    Ok(GradCheck {
        layer,
        param: names[k].1,
        index,
        h,
        loss_plus,
        loss_minus,
        numeric,
        analytic,
        relative_error,
    })
}

/// Runs a spec's steps, one trace per step.
pub fn run_spec(spec: &crate::spec::Spec, steps: usize) -> Vec<Trace> {
    let mut net = spec.network.clone();
    let mut opt = spec.optimizer.build();
    (0..steps)
        .map(|_| {
            trace_step(
                &mut net,
                &mut opt,
                spec.inputs.clone(),
                &spec.targets,
                spec.loss,
                true,
            )
        })
        .collect()
}
