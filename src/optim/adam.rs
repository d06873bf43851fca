//! Adam, exactly as Kingma & Ba (2015), Algorithm 1. For every parameter θ with gradient g at
//! step t (t starts at 1):
//!
//! ```text
//! m ← β1·m + (1 − β1)·g          running mean of the gradient ("first moment")
//! v ← β2·v + (1 − β2)·g²         running mean of its square ("second moment")
//! m̂ = m / (1 − β1ᵗ)              bias corrections: m and v start at 0, so early on they are
//! v̂ = v / (1 − β2ᵗ)              too small; dividing by 1 − βᵗ undoes that
//! θ ← θ − α · m̂ / (√v̂ + ε)
//! ```
//!
//! Defaults α = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8. [`AdamStep::update`] computes all of these
//! numbers for one element and [`update_tensor`] runs it over a tensor in one pass;
//! training and the worked trace both run that loop, so the numbers the step-through view shows
//! are the ones training uses.
//!
//! Next: [`crate::layers::conv2d`].

use multiversion::multiversion;
use serde::{Deserialize, Serialize};

use crate::layers::Param;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AdamConfig {
    /// α, the learning rate.
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 0.001,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Adam {
    pub cfg: AdamConfig,
    /// Steps taken so far; the next step is t + 1.
    pub t: u64,
    /// First and second moments, one flat vector per parameter tensor; empty before step 1.
    pub m: Vec<Vec<f32>>,
    pub v: Vec<Vec<f32>>,
}

/// The bias-correction factors of step t: `(1 − β1ᵗ, 1 − β2ᵗ)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BiasCorrection {
    pub bc1: f32,
    pub bc2: f32,
}

/// Every number of one Adam update of one parameter element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamUpdate {
    pub m: f32,
    pub v: f32,
    pub m_hat: f32,
    pub v_hat: f32,
    /// −α m̂ / (√v̂ + ε)
    pub step: f32,
    pub new: f32,
}

impl AdamConfig {
    /// `1 − βᵗ` for step t, computed in f64 so that β2ᵗ for large t keeps its precision.
    pub fn bias_correction(&self, t: u64) -> BiasCorrection {
        let (bc1, bc2) = self.bias_correction_f64(t);
        BiasCorrection {
            bc1: bc1 as f32,
            bc2: bc2 as f32,
        }
    }

    fn bias_correction_f64(&self, t: u64) -> (f64, f64) {
        let t = t.min(i32::MAX as u64) as i32;
        (1.0 - self.beta1.powi(t), 1.0 - self.beta2.powi(t))
    }

    /// The numbers step t uses for every element, worked out once for the whole step.
    pub fn step_constants(&self, t: u64) -> AdamStep {
        // The settings are kept in f64 so that 1 − β and 1 − βᵗ are exact to f32 precision
        // (0.999 rounded to f32 first would put 1 − β2 off in its 5th digit).
        let (bc1, bc2) = self.bias_correction_f64(t);
        AdamStep {
            beta1: self.beta1 as f32,
            one_minus_beta1: (1.0 - self.beta1) as f32,
            beta2: self.beta2 as f32,
            one_minus_beta2: (1.0 - self.beta2) as f32,
            inv_bc1: (1.0 / bc1) as f32,
            inv_bc2: (1.0 / bc2) as f32,
            lr: self.lr as f32,
            eps: self.eps as f32,
        }
    }
}

/// The per-step constants of Algorithm 1 in f32: β1, 1 − β1, β2, 1 − β2, α, ε and the
/// reciprocals of the bias corrections, so that the update of each element multiplies where
/// the algorithm divides by `1 − βᵗ` (one division and one square root per element remain).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep {
    beta1: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    /// `1 / (1 − β1ᵗ)` and `1 / (1 − β2ᵗ)`
    inv_bc1: f32,
    inv_bc2: f32,
    lr: f32,
    eps: f32,
}

impl AdamStep {
    /// One element of Algorithm 1, from the previous m, v and θ.
    #[inline(always)]
    pub fn update(&self, g: f32, m: f32, v: f32, theta: f32) -> AdamUpdate {
        let m = self.beta1 * m + self.one_minus_beta1 * g;
        let v = self.beta2 * v + self.one_minus_beta2 * g * g;
        let (m_hat, v_hat, step) = self.corrected_step(m, v);
        AdamUpdate {
            m,
            v,
            m_hat,
            v_hat,
            step,
            new: theta + step,
        }
    }

    /// `m̂ = m / (1 − β1ᵗ)`, `v̂ = v / (1 − β2ᵗ)` and the step `−α m̂ / (√v̂ + ε)`, from the
    /// moments after the update of step t.
    #[inline(always)]
    pub fn corrected_step(&self, m: f32, v: f32) -> (f32, f32, f32) {
        let m_hat = m * self.inv_bc1;
        let v_hat = v * self.inv_bc2;
        (m_hat, v_hat, -self.lr * m_hat / (v_hat.sqrt() + self.eps))
    }
}

/// Updates one parameter tensor in one pass: `m`, `v` and `theta` in place, calling
/// `observe(element, update)` before each element's update is stored.
///
/// The four slices are cut to one length first, so the loop has no bounds checks and the
/// compiler runs it in f32 lanes: 4 with wasm simd128 or SSE, 8 in the copy compiled for AVX
/// (picked at run time on x86-64 CPUs that have it). Each lane does the same IEEE operations
/// as the scalar code, with no fused multiply-adds, so every copy gives the same bits. With an
/// observer that does nothing, as in training, nothing of it is left in the compiled loop.
#[multiversion(targets("x86_64+avx"))]
pub fn update_tensor(
    s: &AdamStep,
    theta: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    mut observe: impl FnMut(usize, &AdamUpdate),
) {
    let n = theta.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let u = s.update(g[i], m[i], v[i], theta[i]);
        observe(i, &u);
        m[i] = u.m;
        v[i] = u.v;
        theta[i] = u.new;
    }
}

impl Adam {
    /// The step each parameter element took at step t, from the moments it left behind (with
    /// the current learning rate). Empty before the first step.
    pub fn last_steps(&self) -> Vec<Vec<f32>> {
        if self.t == 0 {
            return Vec::new();
        }
        let s = self.cfg.step_constants(self.t);
        self.m
            .iter()
            .zip(&self.v)
            .map(|(m, v)| {
                m.iter()
                    .zip(v)
                    .map(|(&m, &v)| s.corrected_step(m, v).2)
                    .collect()
            })
            .collect()
    }

    /// The length of the step each parameter tensor took at step t ([`Adam::last_steps`]'s
    /// steps, not kept). Empty before the first step.
    pub fn last_step_norms(&self) -> Vec<f64> {
        if self.t == 0 {
            return Vec::new();
        }
        let s = self.cfg.step_constants(self.t);
        self.m
            .iter()
            .zip(&self.v)
            .map(|(m, v)| crate::health::sum_squares(m, v, |m, v| s.corrected_step(m, v).2).sqrt())
            .collect()
    }

    pub fn new(cfg: AdamConfig) -> Self {
        Adam {
            cfg,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Makes sure there is a zero m and v per parameter (before the first step).
    pub fn init_state(&mut self, params: &[Param<'_>]) {
        if self.m.len() != params.len() {
            self.m = params.iter().map(|p| vec![0.0; p.value.len()]).collect();
            self.v = self.m.clone();
        }
    }

    pub fn step(&mut self, params: &mut [Param<'_>]) {
        self.step_observed(params, |_, _, _| {});
    }

    /// [`step`](Self::step), calling `observe(param, element, update)` with every number of every
    /// element's update, before it is applied: the worked trace records Adam this way, through
    /// the same loop that trains.
    pub fn step_observed(
        &mut self,
        params: &mut [Param<'_>],
        mut observe: impl FnMut(usize, usize, &AdamUpdate),
    ) {
        let (s, m, v) = self.begin_step(params);
        for (k, p) in params.iter_mut().enumerate() {
            update_tensor(&s, p.value, p.grad, &mut m[k], &mut v[k], |i, u| {
                observe(k, i, u)
            });
        }
    }

    /// Starts step t + 1: the state exists, t counts the step, and the returned constants and
    /// moments (one m and v per parameter) are what [`update_tensor`] runs on. [`step`](Self::step)
    /// runs it tensor by tensor; data-parallel training runs it on pieces of the tensors on
    /// several cores (`crate::parallel::optimizer_step`), which changes no bit: each element's
    /// update depends on that element alone.
    pub fn begin_step(
        &mut self,
        params: &[Param<'_>],
    ) -> (AdamStep, &mut [Vec<f32>], &mut [Vec<f32>]) {
        self.init_state(params);
        self.t += 1;
        (
            self.cfg.step_constants(self.t),
            &mut self.m[..],
            &mut self.v[..],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative agreement to f32 precision.
    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-5 * b.abs()
    }

    #[test]
    fn first_step_moves_by_alpha_in_the_direction_of_minus_g() {
        // At t = 1, m̂ = g and v̂ = g², so the step is −α g/(|g| + ε) ≈ −α sign(g).
        let adam = AdamConfig::default();
        let bc = adam.bias_correction(1);
        assert!(close(bc.bc1, 0.1) && close(bc.bc2, 0.001), "{bc:?}");
        let u = adam.step_constants(1).update(0.5, 0.0, 0.0, 1.0);
        // m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025, m̂ = 0.5, v̂ = 0.25
        assert!(close(u.m, 0.05) && close(u.v, 0.00025), "{u:?}");
        assert!(close(u.m_hat, 0.5) && close(u.v_hat, 0.25), "{u:?}");
        assert!(close(u.step, -0.001 * 0.5 / (0.5 + 1e-8)), "{u:?}");
        assert!(close(u.new, 0.999), "{u:?}");
    }

    /// Training's loop runs in lanes; the trace's, with an observer that records, runs element
    /// by element. Both must leave the same bits, also in the elements after the last full lane
    /// (1003 is not a multiple of 4 or 8), over steps whose m and v carry over.
    #[test]
    fn the_observed_step_is_the_plain_step_bit_for_bit() {
        let n = 1003;
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            // Spread over several orders of magnitude, both signs.
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        };
        let theta0: Vec<f32> = (0..n).map(|_| next()).collect();
        let grads: Vec<Vec<f32>> = (0..3)
            .map(|_| {
                (0..n)
                    .map(|i| next() * 10f32.powi(i as i32 % 7 - 4))
                    .collect()
            })
            .collect();
        let cfg = AdamConfig {
            lr: 0.01,
            ..AdamConfig::default()
        };
        let (mut plain, mut plain_theta) = (Adam::new(cfg), theta0.clone());
        let (mut observed, mut observed_theta) = (Adam::new(cfg), theta0);
        for g in &grads {
            let param = |value| Param {
                name: "weight",
                shape: vec![n],
                value,
                grad: g,
            };
            plain.step(&mut [param(&mut plain_theta)]);
            let (m_before, v_before) = (observed.m.clone(), observed.v.clone());
            let theta_before = observed_theta.clone();
            let mut seen = Vec::new();
            observed.step_observed(&mut [param(&mut observed_theta)], |k, i, u| {
                seen.push((k, i, *u))
            });
            assert_eq!(plain_theta, observed_theta);
            assert_eq!((&plain.m, &plain.v), (&observed.m, &observed.v));
            // Each observed element is the scalar update of that element.
            let s = cfg.step_constants(observed.t);
            assert_eq!(seen.len(), n);
            for (k, i, u) in seen {
                let m = m_before.first().map_or(0.0, |m| m[i]);
                let v = v_before.first().map_or(0.0, |v| v[i]);
                assert_eq!((k, u.new), (0, observed_theta[i]));
                assert_eq!(u, s.update(g[i], m, v, theta_before[i]), "element {i}");
            }
        }
    }
}
