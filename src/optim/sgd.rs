//! Stochastic gradient descent: θ ← θ − lr·g.
//!
//! With momentum μ > 0 (the PyTorch form), each parameter keeps a velocity
//! `v ← μ v + g` and steps `θ ← θ − lr·v`, so steps build up along directions the gradient
//! keeps pointing to. With μ = 0 this is plain gradient descent, the update of the textbook
//! worked examples.
//!
//! Next: [`super::adam`].

use crate::layers::Param;

#[derive(Debug, Clone)]
pub struct Sgd {
    pub lr: f64,
    pub momentum: f64,
    /// One velocity per parameter tensor, flat; empty until the first step.
    pub velocity: Vec<Vec<f32>>,
    pub t: u64,
}

/// Every number of one SGD update of one parameter element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdUpdate {
    pub velocity: f32,
    pub step: f32,
    pub new: f32,
}

impl Sgd {
    pub fn new(lr: f64, momentum: f64) -> Self {
        Sgd {
            lr,
            momentum,
            velocity: Vec::new(),
            t: 0,
        }
    }

    /// One element: `v ← μ v + g`, `θ ← θ − lr v` (with μ = 0, `v = g`).
    #[inline]
    pub fn update(lr: f32, momentum: f32, g: f32, velocity: f32, theta: f32) -> SgdUpdate {
        let velocity = momentum * velocity + g;
        let step = Sgd::step_of(lr, velocity);
        SgdUpdate {
            velocity,
            step,
            new: theta + step,
        }
    }

    /// `−lr · v`
    #[inline]
    fn step_of(lr: f32, velocity: f32) -> f32 {
        -lr * velocity
    }

    /// The step each parameter element took last, from its velocity (with the current learning
    /// rate). Empty before the first step.
    pub fn last_steps(&self) -> Vec<Vec<f32>> {
        let lr = self.lr as f32;
        self.velocity
            .iter()
            .map(|v| v.iter().map(|&x| Sgd::step_of(lr, x)).collect())
            .collect()
    }

    /// The length of the step each parameter tensor took last ([`Sgd::last_steps`]'s steps, not
    /// kept). Empty before the first step.
    pub fn last_step_norms(&self) -> Vec<f64> {
        let lr = self.lr as f32;
        self.velocity
            .iter()
            .map(|v| crate::health::sum_squares(v, v, |x, _| Sgd::step_of(lr, x)).sqrt())
            .collect()
    }

    pub fn step(&mut self, params: &mut [Param<'_>]) {
        self.step_observed(params, |_, _, _| {});
    }

    /// [`step`](Self::step), calling `observe(param, element, update)` before each update is
    /// applied (see [`super::Adam::step_observed`]).
    pub fn step_observed(
        &mut self,
        params: &mut [Param<'_>],
        mut observe: impl FnMut(usize, usize, &SgdUpdate),
    ) {
        if self.velocity.len() != params.len() {
            self.velocity = params.iter().map(|p| vec![0.0; p.value.len()]).collect();
        }
        self.t += 1;
        let (lr, momentum) = (self.lr as f32, self.momentum as f32);
        for (k, (p, vel)) in params.iter_mut().zip(self.velocity.iter_mut()).enumerate() {
            for (i, ((theta, &g), v)) in p
                .value
                .iter_mut()
                .zip(p.grad)
                .zip(vel.iter_mut())
                .enumerate()
            {
                let u = Sgd::update(lr, momentum, g, *v, *theta);
                observe(k, i, &u);
                *v = u.velocity;
                *theta = u.new;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_momentum_steps_by_hand() {
        // θ = 1, g = 0.2, lr 0.5: θ ← 1 − 0.5·0.2 = 0.9
        assert_eq!(Sgd::update(0.5, 0.0, 0.2, 0.0, 1.0).new, 0.9);
        // lr 0.1, μ 0.9: v = 0.9·1 + 0.5 = 1.4, θ ← 2 − 0.1·1.4 = 1.86
        let u = Sgd::update(0.1, 0.9, 0.5, 1.0, 2.0);
        assert!((u.velocity - 1.4).abs() < 1e-6 && (u.new - 1.86).abs() < 1e-6);
    }
}
