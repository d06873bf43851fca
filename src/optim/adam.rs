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
//! Defaults α = 0.001, β1 = 0.9, β2 = 0.999, ε = 1e-8. [`AdamConfig::update`] computes all of these
//! numbers for one element; training and the worked trace both call it, so the numbers the
//! step-through view shows are the ones training uses.
//!
//! Next: [`crate::layers::conv2d`].

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
        let t = t.min(i32::MAX as u64) as i32;
        BiasCorrection {
            bc1: (1.0 - self.beta1.powi(t)) as f32,
            bc2: (1.0 - self.beta2.powi(t)) as f32,
        }
    }

    /// One element of Algorithm 1, from the previous m, v and θ.
    #[inline]
    pub fn update(&self, bc: BiasCorrection, g: f32, m: f32, v: f32, theta: f32) -> AdamUpdate {
        // The settings are kept in f64 so that 1 − β and 1 − βᵗ are exact to f32 precision
        // (0.999 rounded to f32 first would put 1 − β2 off in its 5th digit).
        let (beta1, one_minus_beta1) = (self.beta1 as f32, (1.0 - self.beta1) as f32);
        let (beta2, one_minus_beta2) = (self.beta2 as f32, (1.0 - self.beta2) as f32);
        let m = beta1 * m + one_minus_beta1 * g;
        let v = beta2 * v + one_minus_beta2 * g * g;
        let (m_hat, v_hat, step) = self.corrected_step(bc, m, v);
        AdamUpdate {
            m,
            v,
            m_hat,
            v_hat,
            step,
            new: theta + step,
        }
    }
}

impl AdamConfig {
    /// `m̂ = m / (1 − β1ᵗ)`, `v̂ = v / (1 − β2ᵗ)` and the step `−α m̂ / (√v̂ + ε)`, from the
    /// moments after the update of step t.
    #[inline]
    pub fn corrected_step(&self, bc: BiasCorrection, m: f32, v: f32) -> (f32, f32, f32) {
        let (lr, eps) = (self.lr as f32, self.eps as f32);
        let m_hat = m / bc.bc1;
        let v_hat = v / bc.bc2;
        (m_hat, v_hat, -lr * m_hat / (v_hat.sqrt() + eps))
    }
}

impl Adam {
    /// The step each parameter element took at step t, from the moments it left behind (with
    /// the current learning rate). Empty before the first step.
    pub fn last_steps(&self) -> Vec<Vec<f32>> {
        if self.t == 0 {
            return Vec::new();
        }
        let bc = self.cfg.bias_correction(self.t);
        let step = |(&m, &v): (&f32, &f32)| self.cfg.corrected_step(bc, m, v).2;
        self.m
            .iter()
            .zip(&self.v)
            .map(|(m, v)| m.iter().zip(v).map(step).collect())
            .collect()
    }

    /// The length of the step each parameter tensor took at step t ([`Adam::last_steps`]'s
    /// steps, not kept). Empty before the first step.
    pub fn last_step_norms(&self) -> Vec<f64> {
        if self.t == 0 {
            return Vec::new();
        }
        let bc = self.cfg.bias_correction(self.t);
        self.m
            .iter()
            .zip(&self.v)
            .map(|(m, v)| {
                crate::health::sum_squares(m, v, |m, v| self.cfg.corrected_step(bc, m, v).2).sqrt()
            })
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
        self.init_state(params);
        self.t += 1;
        let cfg = self.cfg;
        let bc = cfg.bias_correction(self.t);
        for (k, ((p, ms), vs)) in params
            .iter_mut()
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
            .enumerate()
        {
            for (i, (((theta, &g), m), v)) in p
                .value
                .iter_mut()
                .zip(p.grad)
                .zip(ms.iter_mut())
                .zip(vs.iter_mut())
                .enumerate()
            {
                let u = cfg.update(bc, g, *m, *v, *theta);
                observe(k, i, &u);
                *m = u.m;
                *v = u.v;
                *theta = u.new;
            }
        }
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
        let u = adam.update(bc, 0.5, 0.0, 0.0, 1.0);
        // m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025, m̂ = 0.5, v̂ = 0.25
        assert!(close(u.m, 0.05) && close(u.v, 0.00025), "{u:?}");
        assert!(close(u.m_hat, 0.5) && close(u.v_hat, 0.25), "{u:?}");
        assert!(close(u.step, -0.001 * 0.5 / (0.5 + 1e-8)), "{u:?}");
        assert!(close(u.new, 0.999), "{u:?}");
    }
}
