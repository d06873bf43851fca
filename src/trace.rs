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
//! Next: `src/layers/gradcheck.rs` (how every layer's backward is checked).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::layers::{Layer, LayerSpec, Tensor};
use crate::loss::{Loss, SoftmaxParts, Targets};
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
    /// ∂L/∂input, `(N, input_shape...)` flat: the same backward pass carried one layer further,
    /// to the pixels (training stops a layer short, since the input has nothing to learn). What
    /// [`crate::saliency`] computes for one class's score, here for the loss.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_grad: Option<Vec<f32>>,
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
    /// The network's answer for each example: the class with the largest output (the most
    /// probable class, for cross-entropy; the first of equals).
    pub predicted: Vec<usize>,
    /// Cross-entropy: the predicted class's probability, in f64: `1/S`, since its score is the
    /// largest, `m` (an f32 probability near 1 rounds to exactly 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_predicted: Option<Vec<f64>>,
    /// Cross-entropy: `1 − p_predicted` without the cancellation, `(S − 1)/S`: the other classes'
    /// `e^(z − m)` summed, over S. A page prints "1 − 3.2e−8" from it instead of "1".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_rest: Option<Vec<f64>>,
    /// Cross-entropy: each example's largest logit m, the exponentials `e^(z − m)` and their sum
    /// S, as the loss computed them (`p = e^(z − m)/S`, `L = ln S − (z_y − m)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub softmax: Option<SoftmaxParts>,
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
    let mut parts = SoftmaxParts::default();
    let lo = loss.forward_backward_observed(out.view(), targets, Some(&mut parts));
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
    let predicted: Vec<usize> = (0..batch)
        .map(|n| {
            let row = out.row(n);
            (1..k).fold(0, |best, j| if row[j] > row[best] { j } else { best })
        })
        .collect();
    let (p_predicted, p_rest) = if lo.probs.is_some() {
        let (p, rest): (Vec<f64>, Vec<f64>) = predicted
            .iter()
            .enumerate()
            .map(|(n, &c)| {
                let sum = parts.sum[n];
                let others: f64 = (0..k)
                    .filter(|&j| j != c)
                    .map(|j| parts.exps[n * k + j])
                    .sum();
                (parts.exps[n * k + c] / sum, others / sum)
            })
            .unzip();
        (Some(p), Some(rest))
    } else {
        (None, None)
    };
    let loss_trace = LossTrace {
        kind: loss.name(),
        predicted,
        p_predicted,
        p_rest,
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
        softmax: lo.probs.is_some().then_some(parts),
    };

    net.zero_grad();
    let mut grad_outputs: Vec<Vec<f32>> = vec![Vec::new(); net.layers.len()];
    let input_grad = net.backward_to_input(lo.dout, |i, g| {
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
        input_grad: Some(input_grad.iter().copied().collect()),
    }
}

/// The nominal step of the gradient check, 2⁻⁷ = 0.0078125. In f32 the estimate's error is the
/// central difference's own (about h² · |L‴|/6) plus the rounding of the two losses (about
/// ε_f32 · |L|/h, ε_f32 = 1.2e-7); the sum is smallest near h = ε_f32^(1/3) ≈ 0.005. The usual
/// 1e-3 of f64 code leaves the rounding about eight times larger, enough to put a small gradient
/// 2 % off (Mazur's first layer; the test `the_gradient_checks_step_suits_f32`). A power of two,
/// so that θ ± h are exact f32s for most weights (those that stay within their power of two) and
/// the step taken is exactly 2h.
pub const GRADCHECK_H: f32 = 0.0078125;
/// The check's verdict: backprop and the central difference agree when they differ by at most
/// this fraction of the larger of the two...
pub const GRADCHECK_TOLERANCE: f64 = 1e-2;
/// ...plus this many times the measured rounding noise of the estimate (so that a zero gradient,
/// whose estimate is rounding noise and nothing else, agrees).
pub const GRADCHECK_NOISE_FACTOR: f64 = 3.0;

/// The analytic gradient of one parameter element next to its central-difference estimate, with
/// every number the estimate is made of and the verdict: the step-through view and its Markdown
/// export print these numbers and this verdict; they compute neither.
#[derive(Debug, Clone, Serialize)]
pub struct GradCheck {
    pub layer: usize,
    pub param: &'static str,
    pub index: usize,
    /// The nominal step h ([`GRADCHECK_H`]).
    pub h: f32,
    /// θ, and θ + h and θ − h rounded to f32: the values the network really ran with.
    pub theta: f32,
    pub theta_plus: f32,
    pub theta_minus: f32,
    /// (θ + h) − (θ − h), the step really taken (exact: two f32s differ by an exact f64).
    pub step: f64,
    /// L(θ + h) and L(θ − h): the f32 network's outputs, the loss summed in f64 (rounding each
    /// to f32 first would cost the difference most of its digits).
    pub loss_plus: f64,
    pub loss_minus: f64,
    /// L(θ + h) − L(θ − h).
    pub difference: f64,
    /// `difference / step`: the central-difference estimate of ∂L/∂θ.
    pub numeric: f64,
    /// Backprop's ∂L/∂θ, in evaluation mode like the two losses (no dropout masks).
    pub analytic: f32,
    /// |analytic − numeric|
    pub abs_error: f64,
    /// `abs_error / max(|analytic|, |numeric|)` (0 when both are 0).
    pub relative_error: f64,
    /// How much the estimate moves with the rounding of the two losses alone: the standard
    /// deviation of five estimates with steps h, 1.01 h, …, 1.04 h (their own h² error taken
    /// out). Each uses other f32 values of θ ± h, so each is rounded differently.
    pub noise: f64,
    /// The central difference's own error, c·h² (c = L‴/6), estimated from one more estimate
    /// with step 2h: `(numeric(2h) − numeric(h)) / 3`.
    pub truncation: f64,
    /// [`GRADCHECK_TOLERANCE`] and [`GRADCHECK_NOISE_FACTOR`].
    pub tolerance: f64,
    pub noise_factor: f64,
    /// `tolerance · max(|analytic|, |numeric|) + noise_factor · noise`
    pub allowed: f64,
    /// `abs_error ≤ allowed`
    pub agrees: bool,
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
    gradient_check_with_step(net, x, targets, loss, layer, param, index, GRADCHECK_H)
}

/// [`gradient_check`] with a nominal step `h` of one's choosing (the tests compare steps).
#[allow(clippy::too_many_arguments)]
pub fn gradient_check_with_step(
    net: &Network,
    x: &Tensor,
    targets: &Targets,
    loss: Loss,
    layer: usize,
    param: &str,
    index: usize,
    h: f32,
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
    let theta = base.params()[k].value[index];
    let loss_with = |value: f32| {
        let mut n = net.clone();
        n.params()[k].value[index] = value;
        loss_at(&mut n).loss_f64
    };
    // One central difference with step `h`: θ ± h rounded to f32, divided by the step taken.
    let estimate = |h: f32| {
        let (up, down) = (theta + h, theta - h);
        let (plus, minus) = (loss_with(up), loss_with(down));
        let step = up as f64 - down as f64;
        (up, down, step, plus, minus, (plus - minus) / step)
    };
    let (theta_plus, theta_minus, step, loss_plus, loss_minus, numeric) = estimate(h);
    let truncation = (estimate(2.0 * h).5 - numeric) / 3.0;
    let noise = {
        let scales = [1.0f32, 1.01, 1.02, 1.03, 1.04];
        let values: Vec<f64> = scales
            .iter()
            .map(|&s| {
                let e = if s == 1.0 { numeric } else { estimate(h * s).5 };
                e - truncation * (s as f64) * (s as f64)
            })
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var =
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
        var.sqrt()
    };
    let a = analytic as f64;
    let abs_error = (a - numeric).abs();
    let larger = a.abs().max(numeric.abs());
    let relative_error = if larger > 0.0 {
        abs_error / larger
    } else {
        0.0
    };
    let allowed = GRADCHECK_TOLERANCE * larger + GRADCHECK_NOISE_FACTOR * noise;
    Ok(GradCheck {
        layer,
        param: names[k].1,
        index,
        h,
        theta,
        theta_plus,
        theta_minus,
        step,
        loss_plus,
        loss_minus,
        difference: loss_plus - loss_minus,
        numeric,
        analytic,
        abs_error,
        relative_error,
        noise,
        truncation,
        tolerance: GRADCHECK_TOLERANCE,
        noise_factor: GRADCHECK_NOISE_FACTOR,
        allowed,
        agrees: abs_error <= allowed,
    })
}

/// Takes `steps` training steps of `net` and `opt` (a spec's network, maybe already stepped) on
/// the spec's inputs and targets without tracing them, and returns each step's loss. The same
/// steps as [`trace_spec_step`] takes, bit for bit, at the cost of training: for "take 10 steps"
/// of a large network, where ten traces would hold ten copies of every weight and its optimizer
/// state.
pub fn advance_spec(
    spec: &crate::spec::Spec,
    net: &mut Network,
    opt: &mut Optimizer,
    steps: usize,
) -> Vec<f32> {
    (0..steps)
        .map(|_| {
            let out = net.forward(spec.inputs.clone(), true);
            let lo = spec.loss.forward_backward(out.view(), &spec.targets);
            net.zero_grad();
            net.backward(lo.dout);
            opt.step(&mut net.params());
            lo.loss
        })
        .collect()
}

/// Runs a spec's steps, one trace per step.
pub fn run_spec(spec: &crate::spec::Spec, steps: usize) -> Vec<Trace> {
    let mut net = spec.network.clone();
    let mut opt = spec.build_optimizer();
    (0..steps)
        .map(|_| trace_spec_step(spec, &mut net, &mut opt))
        .collect()
}

/// One traced step of `net` and `opt` (a spec's network, maybe already stepped) on the spec's
/// inputs and targets.
pub fn trace_spec_step(spec: &crate::spec::Spec, net: &mut Network, opt: &mut Optimizer) -> Trace {
    trace_step(
        net,
        opt,
        spec.inputs.clone(),
        &spec.targets,
        spec.loss,
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::AdamConfig;

    const CNN_SPEC: &str = r#"{
        "inputs": [[0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.4, 0.6, 0.35, 0.15, 0.95, 0.45, 0.25, 0.85, 0.55],
                   [0.9, 0.1, 0.6, 0.2, 0.4, 0.8, 0.3, 0.7, 0.5, 0.65, 0.05, 0.75, 0.35, 0.95, 0.15, 0.45]],
        "input_shape": [1, 4, 4],
        "layers": [
            {"type": "conv2d", "weights": [[[[0.2, -0.1], [0.4, 0.3]]], [[[-0.3, 0.5], [0.1, -0.2]]]], "bias": [0.05, -0.05]},
            {"type": "relu"},
            {"type": "maxpool2d", "size": 3, "stride": 3},
            {"type": "flatten"},
            {"type": "dense", "weights": [[0.5, -0.4], [-0.3, 0.8], [0.2, 0.1]], "bias": [0.0, 0.1, -0.1]}
        ],
        "labels": [2, 0], "loss": "softmax_cross_entropy",
        "optimizer": {"type": "adam", "lr": 0.01}}"#;

    /// m_before, m, v, m̂, v̂, step of an Adam update.
    type AdamNumbers<'a> = (
        &'a [f32],
        &'a [f32],
        &'a [f32],
        &'a [f32],
        &'a [f32],
        &'a [f32],
    );

    fn adam_update(p: &ParamTrace) -> AdamNumbers<'_> {
        match &p.update {
            ParamUpdate::Adam {
                m_before,
                m,
                v,
                m_hat,
                v_hat,
                step,
                ..
            } => (m_before, m, v, m_hat, v_hat, step),
            other => panic!("expected an Adam update, found {other:?}"),
        }
    }

    #[test]
    fn tracing_a_step_is_taking_a_step() {
        let spec = crate::spec::parse(CNN_SPEC).unwrap();
        // Plain training...
        let (mut net, mut opt) = (spec.network.clone(), spec.build_optimizer());
        for _ in 0..2 {
            let out = net.forward(spec.inputs.clone(), true);
            let lo = spec.loss.forward_backward(out.view(), &spec.targets);
            net.zero_grad();
            net.backward(lo.dout);
            opt.step(&mut net.params());
        }
        // ...and traced training end with the same weights, bit for bit.
        let traces = run_spec(&spec, 2);
        let traced: Vec<f32> = traces[1]
            .layers
            .iter()
            .flat_map(|l| l.params.iter().flat_map(|p| p.after.clone()))
            .collect();
        let plain: Vec<f32> = net.params().iter().flat_map(|p| p.value.to_vec()).collect();
        assert_eq!(traced, plain);
    }

    #[test]
    fn the_numbers_fit_together() {
        let spec = crate::spec::parse(CNN_SPEC).unwrap();
        let traces = run_spec(&spec, 2);
        let (t1, t2) = (&traces[0], &traces[1]);
        let AdamConfig {
            lr,
            eps,
            beta1,
            beta2,
        } = match t1.optimizer.config {
            OptimizerConfig::Adam(c) => c,
            _ => unreachable!(),
        };
        assert_eq!((t1.optimizer.t, t2.optimizer.t), (1, 2));
        let bc = t2.optimizer.bias_correction.unwrap();
        assert!(
            (bc.bc1 as f64 - (1.0 - beta1 * beta1)).abs() < 1e-7
                && (bc.bc2 as f64 - (1.0 - beta2 * beta2)).abs() < 1e-7
        );

        // Softmax cross-entropy: grad = (p − y)/N, loss = mean of −ln p_label.
        let probs = t1.loss.probs.as_ref().unwrap();
        for (i, g) in t1.loss.grad.iter().enumerate() {
            assert!((g - (probs[i] - t1.loss.targets[i]) / 2.0).abs() < 1e-7);
        }
        let mean = -(probs[2].ln() + probs[3].ln()) / 2.0;
        assert!((t1.loss.value - mean).abs() < 1e-6);
        // The gradient reaching the last layer's output is the loss gradient.
        assert_eq!(t1.layers[4].grad_output, t1.loss.grad);
        // Max-pooling's argmax points at the input value it passed on.
        let pool = &t1.layers[2];
        for (k, &idx) in pool.argmax.as_ref().unwrap().iter().enumerate() {
            assert_eq!(t1.layers[1].output[idx], pool.output[k]);
        }

        for (l1, l2) in t1.layers.iter().zip(&t2.layers) {
            for (p1, p2) in l1.params.iter().zip(&l2.params) {
                let (m_before, m, v, m_hat, v_hat, step) = adam_update(p1);
                assert!(
                    m_before.iter().all(|&x| x == 0.0),
                    "first step starts from m = 0"
                );
                for i in 0..p1.before.len() {
                    assert_eq!(p1.after[i], p1.before[i] + step[i], "θ ← θ + step");
                    let want = -(lr as f32) * m_hat[i] / (v_hat[i].sqrt() + eps as f32);
                    assert!(
                        (step[i] - want).abs() <= 1e-7 * want.abs().max(1e-6),
                        "step = −α m̂/(√v̂+ε)"
                    );
                    assert!(
                        (m[i] - 0.1 * p1.grad[i]).abs() < 1e-6
                            && (v[i] - 0.001 * p1.grad[i] * p1.grad[i]).abs() < 1e-9
                    );
                }
                // The second step starts from the first step's state and weights.
                let (m_before2, ..) = adam_update(p2);
                assert_eq!(m_before2, m);
                assert_eq!(p2.before, p1.after);
            }
        }
    }

    #[test]
    fn the_input_gradient_is_the_saliency_of_each_class_weighted_by_p_minus_y() {
        // L = −ln p_y, so ∂L/∂x = Σ_j (p_j − y_j) ∂z_j/∂x: the loss gradient at the output
        // carried back to the pixels, each class's logit saliency weighted by its p − y.
        let spec = crate::spec::parse(CNN_SPEC).unwrap();
        let x = spec.inputs.slice(ndarray::s![0..1, .., .., ..]).to_owned();
        let (mut net, mut opt) = (spec.network.clone(), spec.optimizer.build());
        let label = 2;
        let t = trace_step(
            &mut net,
            &mut opt,
            x.clone().into_dyn(),
            &Targets::Labels(vec![label]),
            spec.loss,
            true,
        );
        let grad = t.input_grad.expect("the trace records ∂L/∂input");
        let probs = t.loss.probs.unwrap();
        let flat: Vec<f32> = x.iter().copied().collect();
        let mut want = vec![0.0f32; flat.len()];
        for (j, p) in probs.iter().enumerate() {
            let s = crate::saliency::saliency(
                &mut spec.network.clone(),
                &flat,
                j,
                crate::saliency::Score::Logit,
            )
            .unwrap();
            let w = p - (j == label) as u8 as f32;
            want.iter_mut().zip(&s.grad).for_each(|(a, g)| *a += w * g);
        }
        assert_eq!(grad.len(), 16);
        for (g, w) in grad.iter().zip(&want) {
            assert!((g - w).abs() < 1e-6, "{grad:?} vs {want:?}");
        }
    }

    #[test]
    fn the_optimizers_last_steps_are_the_steps_taken() {
        for optimizer in [
            r#"{"type": "adam", "lr": 0.01}"#,
            r#"{"type": "sgd", "lr": 0.1, "momentum": 0.9}"#,
        ] {
            let doc = CNN_SPEC.replace(r#"{"type": "adam", "lr": 0.01}"#, optimizer);
            let spec = crate::spec::parse(&doc).unwrap();
            let (mut net, mut opt) = (spec.network.clone(), spec.build_optimizer());
            assert!(opt.last_steps().is_empty(), "no step yet");
            for _ in 0..2 {
                let t = trace_step(
                    &mut net,
                    &mut opt,
                    spec.inputs.clone(),
                    &spec.targets,
                    spec.loss,
                    true,
                );
                let traced: Vec<Vec<f32>> = t
                    .layers
                    .iter()
                    .flat_map(|l| l.params.iter())
                    .map(|p| match &p.update {
                        ParamUpdate::Adam { step, .. } | ParamUpdate::Sgd { step, .. } => {
                            step.clone()
                        }
                    })
                    .collect();
                assert_eq!(opt.last_steps(), traced, "{optimizer}");
            }
        }
    }

    #[test]
    fn gradient_check_agrees_with_backprop() {
        let spec = crate::spec::parse(CNN_SPEC).unwrap();
        for (layer, param, index) in [
            (0, "weight", 3),
            (0, "bias", 1),
            (4, "weight", 4),
            (4, "bias", 2),
        ] {
            let c = gradient_check(
                &spec.network,
                &spec.inputs,
                &spec.targets,
                spec.loss,
                layer,
                param,
                index,
            )
            .unwrap();
            assert!(c.relative_error < 1e-2 && c.agrees, "{c:?}");
        }
        let err = gradient_check(
            &spec.network,
            &spec.inputs,
            &spec.targets,
            spec.loss,
            1,
            "weight",
            0,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "layer 1 has no parameter 'weight'");
        let err = gradient_check(
            &spec.network,
            &spec.inputs,
            &spec.targets,
            spec.loss,
            4,
            "bias",
            3,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "layer 4 bias has 3 elements; index 3 is out of range"
        );
    }

    /// The check reports the numbers it really used, and its verdict follows from them.
    #[test]
    fn gradient_check_shows_what_it_computed() {
        for (doc, last) in [
            (include_str!("../www/presets/mazur-2-2-2-sgd.json"), 2),
            (include_str!("../www/presets/relu-softmax-adam.json"), 2),
            (CNN_SPEC, 4),
        ] {
            let spec = crate::spec::parse(doc).unwrap();
            for (layer, param, index) in [(0, "weight", 0), (0, "bias", 1), (last, "weight", 1)] {
                let c = gradient_check(
                    &spec.network,
                    &spec.inputs,
                    &spec.targets,
                    spec.loss,
                    layer,
                    param,
                    index,
                )
                .unwrap();
                assert_eq!(
                    (c.theta + c.h, c.theta - c.h),
                    (c.theta_plus, c.theta_minus)
                );
                // The step really taken, not 2h: θ ± h are rounded to f32.
                assert_eq!(c.step, c.theta_plus as f64 - c.theta_minus as f64);
                assert_eq!(c.difference, c.loss_plus - c.loss_minus);
                assert_eq!(c.numeric, c.difference / c.step);
                let larger = (c.analytic as f64).abs().max(c.numeric.abs());
                assert_eq!(c.allowed, 0.01 * larger + 3.0 * c.noise);
                assert_eq!(c.agrees, c.abs_error <= c.allowed);
                assert!(c.agrees, "{c:?}");
                // The noise is the f32 forward pass's: a few units in the last place of the
                // loss, divided by the step (a loss near 0.3 has an f32 ulp of 3e-8).
                let ulp = (c.loss_plus.abs().max(1e-30) as f32).to_bits();
                let ulp = (f32::from_bits(ulp + 1) - f32::from_bits(ulp)) as f64;
                assert!(c.noise <= 30.0 * ulp / c.step, "{c:?}");
            }
        }
    }

    /// A gradient that is not the loss's slope fails the check: the verdict is not a formality.
    #[test]
    fn a_wrong_gradient_fails_the_check() {
        let spec = crate::spec::parse(include_str!("../www/presets/mazur-2-2-2-sgd.json")).unwrap();
        let c = gradient_check(
            &spec.network,
            &spec.inputs,
            &spec.targets,
            spec.loss,
            2,
            "weight",
            0,
        )
        .unwrap();
        // The same numbers with an analytic gradient 5 % off, as a wrongly routed gradient gives.
        let wrong = c.analytic as f64 * 1.05;
        let allowed = c.tolerance * wrong.abs().max(c.numeric.abs()) + c.noise_factor * c.noise;
        assert!((wrong - c.numeric).abs() > allowed, "{c:?}");
    }

    /// The step h: in f32 the estimate's error is the central difference's own, about
    /// h²·|L‴|/6, plus the rounding of the two losses, about ε·|L|/h with ε = 1.2e-7; their sum
    /// is smallest near h = ε^(1/3) ≈ 0.005 for L and L‴ of order 1. At h = 0.001 the rounding
    /// dominates: on Mazur's first layer, whose gradients are small (about 4e-4), the estimate is
    /// 2 % off. At 2⁻⁷ ≈ 0.0078 the rounding is eight times smaller and the h² error still below
    /// it; and being a power of two, θ ± h are exact (Mazur's weights all stay within their power
    /// of two), so the step taken is 2h.
    #[test]
    fn the_gradient_checks_step_suits_f32() {
        assert_eq!(GRADCHECK_H, 2f32.powi(-7));
        let spec = crate::spec::parse(include_str!("../www/presets/mazur-2-2-2-sgd.json")).unwrap();
        let check = |index, h| {
            gradient_check_with_step(
                &spec.network,
                &spec.inputs,
                &spec.targets,
                spec.loss,
                0,
                "weight",
                index,
                h,
            )
            .unwrap()
        };
        let worst = |h| {
            (0..4)
                .map(|i| check(i, h).relative_error)
                .fold(0.0, f64::max)
        };
        let (now, before) = (worst(GRADCHECK_H), worst(1e-3));
        assert!(now < 5e-3, "Mazur's W0 at h = {GRADCHECK_H}: {now:e}");
        assert!(before > 1e-2, "Mazur's W0 at h = 0.001: {before:e}");
        for i in 0..4 {
            let c = check(i, GRADCHECK_H);
            assert!(c.agrees, "{c:?}");
            assert_eq!(c.step, 2.0 * GRADCHECK_H as f64, "{c:?}");
        }
    }

    /// "Take 10 steps" takes its steps untraced: the same weights, bit for bit, and the same
    /// losses as traced steps, with dropout's masks too.
    #[test]
    fn untraced_steps_are_the_traced_steps() {
        let with_dropout = CNN_SPEC.replace(
            r#"{"type": "flatten"},"#,
            r#"{"type": "flatten"}, {"type": "dropout", "rate": 0.5},"#,
        );
        for doc in [CNN_SPEC, with_dropout.as_str()] {
            let spec = crate::spec::parse(doc).unwrap();
            let traces = run_spec(&spec, 3);
            let (mut net, mut opt) = (spec.network.clone(), spec.build_optimizer());
            let losses = advance_spec(&spec, &mut net, &mut opt, 2);
            let last = trace_spec_step(&spec, &mut net, &mut opt);
            let traced: Vec<f32> = traces.iter().take(2).map(|t| t.loss.value).collect();
            assert_eq!(losses, traced);
            assert_eq!(last.loss.value, traces[2].loss.value);
            assert_eq!(last.optimizer.t, 3);
            let weights = |t: &Trace| -> Vec<f32> {
                t.layers
                    .iter()
                    .flat_map(|l| l.params.iter().flat_map(|p| p.after.clone()))
                    .collect()
            };
            assert_eq!(weights(&last), weights(&traces[2]));
        }
    }

    /// The network's answer comes from the core, with a probability that is never a rounded 1.
    #[test]
    fn the_trace_names_the_predicted_class_and_its_probability() {
        let doc = r#"{"inputs": [[1.0], [0.5]], "layers": [
            {"type": "dense", "weights": [[30.0], [0.0], [0.0]], "bias": [0.0, 0.0, 0.0]}],
            "labels": [0, 2], "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}"#;
        let spec = crate::spec::parse(doc).unwrap();
        let t = run_spec(&spec, 1).remove(0);
        assert_eq!(t.loss.predicted, vec![0, 0]);
        let (p, rest) = (t.loss.p_predicted.unwrap(), t.loss.p_rest.unwrap());
        let probs = t.loss.probs.unwrap();
        // e^30 against 1 + 1: the f32 probability is exactly 1, the core's 1 − p is 2e^−30.
        assert_eq!(probs[0], 1.0);
        assert!((rest[0] - 2.0 * (-30f64).exp()).abs() < 1e-25, "{rest:?}");
        // e^15 against 2.
        assert!(
            (rest[1] - 2.0 / (15f64.exp() + 2.0)).abs() < 1e-18,
            "{rest:?}"
        );
        for n in 0..2 {
            assert!((p[n] + rest[n] - 1.0).abs() < 1e-15);
            assert_eq!(p[n] as f32, probs[3 * n]);
        }
        // Ties go to the first class; MSE names the largest output and no probability.
        let spec = crate::spec::parse(include_str!(
            "../tests/walkthrough/fixtures/tanh-mse-momentum.json"
        ))
        .unwrap();
        let t = run_spec(&spec, 1).remove(0);
        let k = t.loss.outputs.len() / t.batch;
        for (n, &c) in t.loss.predicted.iter().enumerate() {
            let row = &t.loss.outputs[n * k..(n + 1) * k];
            assert!(row.iter().all(|&v| v <= row[c]) && row[..c].iter().all(|&v| v < row[c]));
        }
        assert!(t.loss.p_predicted.is_none());
    }
}
