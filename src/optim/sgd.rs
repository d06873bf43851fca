//! Stochastic gradient descent: θ ← θ − lr·g.
//!
//! With momentum μ > 0 (the PyTorch form), each parameter keeps a velocity
//! `v ← μ v + g` and steps `θ ← θ − lr·v`, so steps build up along directions the gradient
//! keeps pointing to. With μ = 0 this is plain gradient descent, the update of the textbook
//! worked examples.
//!
//! Next: [`super::adam`].

use multiversion::multiversion;

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
    #[inline(always)]
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
    #[inline(always)]
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
        let (lr, momentum, velocity) = self.begin_step(params);
        for (k, p) in params.iter_mut().enumerate() {
            update_tensor(lr, momentum, p.value, p.grad, &mut velocity[k], |i, u| {
                observe(k, i, u)
            });
        }
    }

    /// Starts a step: the velocities exist and the step is counted; returns the learning rate,
    /// the momentum and the velocities that [`update_tensor`] runs on (see
    /// [`super::Adam::begin_step`]).
    pub fn begin_step(&mut self, params: &[Param<'_>]) -> (f32, f32, &mut [Vec<f32>]) {
        if self.velocity.len() != params.len() {
            self.velocity = params.iter().map(|p| vec![0.0; p.value.len()]).collect();
        }
        self.t += 1;
        (self.lr as f32, self.momentum as f32, &mut self.velocity[..])
    }
}

/// Updates one parameter tensor in one pass (see [`super::adam::update_tensor`]: the slices are
/// cut to one length so that the loop runs in f32 lanes).
#[multiversion(targets("x86_64+avx"))]
pub fn update_tensor(
    lr: f32,
    momentum: f32,
    theta: &mut [f32],
    g: &[f32],
    velocity: &mut [f32],
    mut observe: impl FnMut(usize, &SgdUpdate),
) {
    let n = theta.len();
    let (g, velocity) = (&g[..n], &mut velocity[..n]);
    for i in 0..n {
        let u = Sgd::update(lr, momentum, g[i], velocity[i], theta[i]);
        observe(i, &u);
        velocity[i] = u.velocity;
        theta[i] = u.new;
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

    /// As for Adam: the loop in lanes and the observed loop give the same bits, remainder
    /// included, with momentum carrying over between steps.
    #[test]
    fn the_observed_step_is_the_plain_step_bit_for_bit() {
        let n = 1003;
        let theta0: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let (mut plain, mut plain_theta) = (Sgd::new(0.05, 0.9), theta0.clone());
        let (mut observed, mut observed_theta) = (Sgd::new(0.05, 0.9), theta0);
        for step in 0..3 {
            let g: Vec<f32> = (0..n)
                .map(|i| ((i * 7 + step) as f32 * 0.61).cos() * 10f32.powi(i as i32 % 5 - 2))
                .collect();
            let param = |value| Param {
                name: "weight",
                shape: vec![n],
                value,
                grad: &g,
            };
            plain.step(&mut [param(&mut plain_theta)]);
            let velocity_before = observed.velocity.first().cloned();
            let theta_before = observed_theta.clone();
            let mut seen = Vec::new();
            observed.step_observed(&mut [param(&mut observed_theta)], |_, i, u| {
                seen.push((i, *u))
            });
            assert_eq!(plain_theta, observed_theta);
            assert_eq!(plain.velocity, observed.velocity);
            assert_eq!(seen.len(), n);
            for (i, u) in seen {
                let v = velocity_before.as_ref().map_or(0.0, |v| v[i]);
                assert_eq!(u, Sgd::update(0.05, 0.9, g[i], v, theta_before[i]));
            }
        }
    }
}
