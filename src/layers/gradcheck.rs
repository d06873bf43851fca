//! Central-difference gradient check shared by every layer's tests.
//!
//! The scalar we differentiate is `L = Σ G ⊙ layer(x)` with `G` a random, non-uniform upstream
//! gradient: with `G` all ones a layer that routed gradients to the wrong place (a transposed
//! weight, a swapped channel) could still pass, with random `G` it cannot.
//! For every input and parameter element `θ`, `(L(θ+h) − L(θ−h)) / 2h` must match what backward
//! computed. f32 limits the agreement to about 1e-3 relative, which still catches any real bug
//! (a wrong gradient is off by a factor, not by 0.1%).
//!
//! Next, the product around the maths: [`crate::vocabulary`].

use ndarray::{ArrayD, IxDyn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Layer, Tensor};

/// Uniform numbers in [-1, 1), reproducible from `seed`.
pub fn random_tensor(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    ArrayD::from_shape_simple_fn(IxDyn(shape), || rng.random_range(-1.0..1.0))
}

fn loss_of(layer: &Layer, x: &Tensor, g: &Tensor) -> f64 {
    // A clone per evaluation: dropout then draws the same mask every time.
    let out = layer.clone().forward(x.clone(), true);
    out.iter()
        .zip(g.iter())
        .map(|(&o, &g)| o as f64 * g as f64)
        .sum()
}

fn assert_close(what: &str, analytic: f32, numeric: f64) {
    let (a, n) = (analytic as f64, numeric);
    let err = (a - n).abs();
    let tol = 2e-3 * a.abs().max(n.abs()) + 2e-3;
    assert!(
        err <= tol,
        "{what}: backward says {a:.6}, central difference says {n:.6} (error {err:.2e})"
    );
}

/// Checks dx and every parameter gradient of `layer` on a random input of `input_shape`.
pub fn check_layer(layer: &mut Layer, input_shape: &[usize], seed: u64) {
    let mut x = random_tensor(input_shape, seed);
    // Keep inputs away from ReLU's kink at 0, where the derivative is undefined.
    x.mapv_inplace(|v| if v.abs() < 0.05 { v + 0.1 } else { v });
    check_layer_at(layer, x, seed);
}

/// Distinct values at least 0.05 apart in random order: no two inputs of a max-pooling window
/// are within the finite-difference step of each other, so no nudge changes which one wins.
pub fn well_separated_tensor(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let mut values: Vec<f32> = (0..n).map(|i| (i as f32 - n as f32 / 2.0) * 0.05).collect();
    for i in (1..n).rev() {
        values.swap(i, rng.random_range(0..=i));
    }
    ArrayD::from_shape_vec(IxDyn(shape), values).expect("sizes agree")
}

/// Like [`check_layer`], at a given input.
pub fn check_layer_at(layer: &mut Layer, x: Tensor, seed: u64) {
    let h = 1e-2f32;

    let out = layer.clone().forward(x.clone(), true);
    let g = random_tensor(out.shape(), seed + 1000);

    layer.zero_grad();
    let before = layer.clone();
    layer.forward(x.clone(), true);
    let dx = layer.backward(&g, true).expect("dx requested");
    assert_eq!(dx.shape(), x.shape(), "dx has the shape of x");

    for i in 0..x.len() {
        let mut xp = x.clone();
        xp.as_slice_mut().unwrap()[i] += h;
        let mut xm = x.clone();
        xm.as_slice_mut().unwrap()[i] -= h;
        let numeric = (loss_of(&before, &xp, &g) - loss_of(&before, &xm, &g)) / (2.0 * h as f64);
        assert_close(&format!("dx[{i}]"), dx.as_slice().unwrap()[i], numeric);
    }

    let grads: Vec<(String, Vec<f32>)> = layer
        .params()
        .into_iter()
        .map(|p| (p.name.to_string(), p.grad.to_vec()))
        .collect();
    for (k, (name, grad)) in grads.iter().enumerate() {
        for (i, &analytic) in grad.iter().enumerate() {
            let nudged = |delta: f32| {
                let mut l = before.clone();
                l.params()[k].value[i] += delta;
                loss_of(&l, &x, &g)
            };
            let numeric = (nudged(h) - nudged(-h)) / (2.0 * h as f64);
            assert_close(&format!("d{name}[{i}]"), analytic, numeric);
        }
    }
}
