//! Loss functions: how wrong the network's output is, and the gradient that starts backprop.
//!
//! - **Softmax cross-entropy** (classification): `p = softmax(z)`, `L = −Σ_k y_k ln p_k`,
//!   averaged over the batch. Softmax and the loss are fused: their joint gradient is simply
//!   `∂L/∂z = (p − y) / N`. Computing it this way is numerically stable (no division by a tiny
//!   `p`), and `p − y` is exactly the number the step-through view shows first when walking
//!   backward. `ln p` is computed as `z − max − ln Σ e^(z − max)` so large logits cannot overflow.
//! - **Mean squared error**: `L = mean over batch and outputs of (o − t)²`,
//!   `∂L/∂o = 2 (o − t) / (N·K)`.
//! - **Half sum of squared errors**, the textbook `E = ½ Σ_k (t_k − o_k)²`, summed over outputs
//!   and averaged over the batch: `∂L/∂o = (o − t) / N`. Classic worked examples use it because
//!   the ½ cancels the 2 of the derivative.
//!
//! Next: [`crate::network`].

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    SoftmaxCrossEntropy,
    Mse,
    HalfSse,
}

/// What the outputs should have been: class labels, or one row of target values per example
/// (for cross-entropy a probability distribution per row).
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    Labels(Vec<usize>),
    Values(Array2<f32>),
}

impl Targets {
    pub fn len(&self) -> usize {
        match self {
            Targets::Labels(l) => l.len(),
            Targets::Values(v) => v.nrows(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The target of example `n`, class `k`: one-hot for labels.
    fn get(&self, n: usize, k: usize) -> f32 {
        match self {
            Targets::Labels(l) => (l[n] == k) as u8 as f32,
            Targets::Values(v) => v[[n, k]],
        }
    }
}

/// The value of the loss, its gradient with respect to the network's output, and for
/// cross-entropy the softmax probabilities.
#[derive(Debug, Clone)]
pub struct LossOutput {
    pub loss: f32,
    /// The same loss before rounding to f32: the gradient check differences two losses, and
    /// rounding each to f32 first would cost it most of its digits.
    pub loss_f64: f64,
    /// `∂L/∂out`, `(N, K)`.
    pub dout: Array2<f32>,
    /// `softmax(out)` for cross-entropy, else `None`.
    pub probs: Option<Array2<f32>>,
}

impl Loss {
    pub fn name(self) -> &'static str {
        match self {
            Loss::SoftmaxCrossEntropy => "softmax_cross_entropy",
            Loss::Mse => "mse",
            Loss::HalfSse => "half_sse",
        }
    }

    // out: (N, K), targets: N labels or (N, K) values -> loss, dout (N, K)
    pub fn forward_backward(self, out: ArrayView2<'_, f32>, targets: &Targets) -> LossOutput {
        self.forward_backward_observed(out, targets, None)
    }

    /// [`forward_backward`](Self::forward_backward) of some rows of a batch of `batch` examples:
    /// the batch's mean loss and its gradient, restricted to these rows. Every mean divides by
    /// `batch`, not by the rows here, so the parts of a batch add up to the loss and the gradient
    /// of the whole batch (data-parallel training computes them shard by shard).
    // out: (n, K), part of a batch of N -> the rows' share of the loss, dout (n, K)
    pub fn forward_backward_part(
        self,
        out: ArrayView2<'_, f32>,
        targets: &Targets,
        batch: usize,
    ) -> LossOutput {
        self.compute(out, targets, batch, None)
    }

    /// [`forward_backward`](Self::forward_backward), also filling `parts` (when given, for
    /// cross-entropy) with the softmax's intermediate numbers: the worked trace records them
    /// from the same loop that computes the loss.
    pub fn forward_backward_observed(
        self,
        out: ArrayView2<'_, f32>,
        targets: &Targets,
        parts: Option<&mut SoftmaxParts>,
    ) -> LossOutput {
        self.compute(out, targets, out.nrows(), parts)
    }

    /// The loss of the rows of `out`, part (or all) of a batch of `batch` examples.
    fn compute(
        self,
        out: ArrayView2<'_, f32>,
        targets: &Targets,
        batch: usize,
        parts: Option<&mut SoftmaxParts>,
    ) -> LossOutput {
        let (n, k) = out.dim();
        assert!(n <= batch, "{n} rows cannot be part of a batch of {batch}");
        assert_eq!(
            targets.len(),
            n,
            "{} outputs but {} targets",
            n,
            targets.len()
        );
        if let Targets::Labels(l) = targets {
            assert!(
                l.iter().all(|&c| c < k),
                "a label is not below the {k} outputs: {l:?}"
            );
        }
        if let Targets::Values(v) = targets {
            assert_eq!(
                v.ncols(),
                k,
                "targets have {} columns, outputs {k}",
                v.ncols()
            );
        }
        match self {
            Loss::SoftmaxCrossEntropy => softmax_cross_entropy(out, targets, batch, parts),
            Loss::Mse => {
                let scale = 2.0 / (batch * k) as f32;
                let mut sum = 0f64;
                let dout = Array2::from_shape_fn((n, k), |(i, j)| {
                    let e = out[[i, j]] - targets.get(i, j);
                    sum += (e as f64) * (e as f64);
                    scale * e
                });
                LossOutput {
                    loss: (sum / (batch * k) as f64) as f32,
                    loss_f64: sum / (batch * k) as f64,
                    dout,
                    probs: None,
                }
            }
            Loss::HalfSse => {
                let mut sum = 0f64;
                let dout = Array2::from_shape_fn((n, k), |(i, j)| {
                    let e = out[[i, j]] - targets.get(i, j);
                    sum += 0.5 * (e as f64) * (e as f64);
                    e / batch as f32
                });
                LossOutput {
                    loss: (sum / batch as f64) as f32,
                    loss_f64: sum / batch as f64,
                    dout,
                    probs: None,
                }
            }
        }
    }
}

/// Softmax of each row, stable: `p_k = e^(z_k − max) / Σ_j e^(z_j − max)`.
pub fn softmax(z: ArrayView2<'_, f32>) -> Array2<f32> {
    let mut p = z.to_owned();
    for mut row in p.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        row.mapv_inplace(|v| (v - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
    p
}

/// The softmax's intermediate numbers for each example n: `max_n = max_k z_nk`, the shifted
/// exponentials `e^(z_nk − max_n)` (f64, as computed) and their sum `S_n`. Then
/// `p_nk = e^(z_nk − max_n) / S_n` and `−ln p_nk = ln S_n − (z_nk − max_n)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SoftmaxParts {
    pub max: Vec<f32>,
    /// `(N, K)` flat.
    pub exps: Vec<f64>,
    pub sum: Vec<f64>,
}

/// `L = −(1/N) Σ_n Σ_k y_nk ln p_nk`, and the fused backward `∂L/∂z = (p − y) / N`, for the rows
/// of `z` (all of the batch of N, or a part of it).
fn softmax_cross_entropy(
    z: ArrayView2<'_, f32>,
    targets: &Targets,
    batch: usize,
    mut parts: Option<&mut SoftmaxParts>,
) -> LossOutput {
    let (n, k) = z.dim();
    let mut probs = Array2::zeros((n, k));
    let mut dout = Array2::zeros((n, k));
    let mut total = 0f64;
    for i in 0..n {
        let row = z.row(i);
        let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let exp = |v: f32| ((v - max) as f64).exp();
        let sum: f64 = row.iter().map(|&v| exp(v)).sum();
        if let Some(p) = parts.as_deref_mut() {
            p.max.push(max);
            p.exps.extend(row.iter().map(|&v| exp(v)));
            p.sum.push(sum);
        }
        let log_sum = sum.ln();
        for j in 0..k {
            let log_p = (row[j] - max) as f64 - log_sum;
            let p = log_p.exp();
            let y = targets.get(i, j) as f64;
            if y != 0.0 {
                total -= y * log_p;
            }
            probs[[i, j]] = p as f32;
            // p − y: the gradient of softmax and cross-entropy together.
            dout[[i, j]] = ((p - y) / batch as f64) as f32;
        }
    }
    LossOutput {
        loss: (total / batch as f64) as f32,
        loss_f64: total / batch as f64,
        dout,
        probs: Some(probs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Central differences of the loss with respect to each output.
    fn check(loss: Loss, out: Array2<f32>, targets: Targets) {
        let analytic = loss.forward_backward(out.view(), &targets).dout;
        let h = 1e-2f32;
        for idx in ndarray::indices(out.dim()) {
            let mut plus = out.clone();
            plus[idx] += h;
            let mut minus = out.clone();
            minus[idx] -= h;
            let lp = loss.forward_backward(plus.view(), &targets).loss as f64;
            let lm = loss.forward_backward(minus.view(), &targets).loss as f64;
            let numeric = (lp - lm) / (2.0 * h as f64);
            let a = analytic[idx] as f64;
            assert!(
                (a - numeric).abs() < 1e-3 * a.abs().max(numeric.abs()) + 1e-4,
                "{loss:?} {idx:?}: {a} vs {numeric}"
            );
        }
    }

    #[test]
    fn cross_entropy_by_hand() {
        // z = (0, ln 2, ln 5): e^z = (1, 2, 5), p = (1/8, 2/8, 5/8); label 2: L = −ln(5/8) = 0.4700036
        let z = array![[0.0, 2f32.ln(), 5f32.ln()]];
        let o = Loss::SoftmaxCrossEntropy.forward_backward(z.view(), &Targets::Labels(vec![2]));
        assert!((o.loss - 0.470_003_6).abs() < 1e-6);
        let p = o.probs.unwrap();
        assert!((p[[0, 0]] - 0.125).abs() < 1e-6 && (p[[0, 2]] - 0.625).abs() < 1e-6);
        // p − y = (1/8, 2/8, 5/8 − 1)
        assert!((o.dout[[0, 2]] + 0.375).abs() < 1e-6);
    }

    #[test]
    fn cross_entropy_is_stable_for_huge_logits() {
        let o = Loss::SoftmaxCrossEntropy.forward_backward(
            array![[1000.0, 0.0, -1000.0]].view(),
            &Targets::Labels(vec![1]),
        );
        assert!((o.loss - 1000.0).abs() < 1e-3, "loss {}", o.loss);
        assert!(o.dout.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn mse_and_half_sse_by_hand() {
        // errors (1, −2) and (0, 3): MSE = (1 + 4 + 0 + 9) / 4 = 3.5; ½SSE = ((1+4)/2 + 9/2) / 2 = 3.5
        let out = array![[1.0, 0.0], [2.0, 3.0]];
        let t = Targets::Values(array![[0.0, 2.0], [2.0, 0.0]]);
        assert_eq!(Loss::Mse.forward_backward(out.view(), &t).loss, 3.5);
        assert_eq!(Loss::HalfSse.forward_backward(out.view(), &t).loss, 3.5);
        // d½SSE/do = (o − t) / N
        assert_eq!(
            Loss::HalfSse.forward_backward(out.view(), &t).dout,
            array![[0.5, -1.0], [0.0, 1.5]]
        );
    }

    #[test]
    fn gradients_match_central_differences() {
        let out = array![[0.3, -1.2, 2.0], [0.5, 0.1, -0.7]];
        check(
            Loss::SoftmaxCrossEntropy,
            out.clone(),
            Targets::Labels(vec![2, 0]),
        );
        check(
            Loss::SoftmaxCrossEntropy,
            out.clone(),
            Targets::Values(array![[0.2, 0.3, 0.5], [0.0, 0.9, 0.1]]),
        );
        let t = Targets::Values(array![[1.0, 0.0, -1.0], [0.25, 0.5, 0.75]]);
        check(Loss::Mse, out.clone(), t.clone());
        check(Loss::HalfSse, out, t);
    }

    /// The parts of a batch give the rows of the whole batch's gradient, bit for bit, and their
    /// losses add up to the batch's.
    #[test]
    fn parts_of_a_batch_add_up_to_the_batch() {
        let out = array![[0.3, -1.2, 2.0], [0.5, 0.1, -0.7], [1.5, 0.2, 0.0]];
        let labels = Targets::Labels(vec![2, 0, 1]);
        let values = Targets::Values(array![[1.0, 0.0, -1.0], [0.25, 0.5, 0.75], [0.0, 1.0, 0.0]]);
        for (loss, targets) in [
            (Loss::SoftmaxCrossEntropy, &labels),
            (Loss::Mse, &values),
            (Loss::HalfSse, &values),
        ] {
            let whole = loss.forward_backward(out.view(), targets);
            let rows = |t: &Targets, r: std::ops::Range<usize>| match t {
                Targets::Labels(l) => Targets::Labels(l[r].to_vec()),
                Targets::Values(v) => Targets::Values(v.slice(ndarray::s![r, ..]).to_owned()),
            };
            let a = loss.forward_backward_part(
                out.slice(ndarray::s![..1, ..]),
                &rows(targets, 0..1),
                3,
            );
            let b = loss.forward_backward_part(
                out.slice(ndarray::s![1.., ..]),
                &rows(targets, 1..3),
                3,
            );
            assert_eq!(
                ndarray::concatenate![ndarray::Axis(0), a.dout, b.dout],
                whole.dout,
                "{loss:?}"
            );
            assert!(
                (a.loss_f64 + b.loss_f64 - whole.loss_f64).abs() < 1e-12,
                "{loss:?}"
            );
        }
    }
}
