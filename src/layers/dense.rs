//! The dense (fully connected) layer: every output is a weighted sum of every input plus a bias.
//!
//! For one example, `z = W x + b` with `W` stored as `[out][in]`, so row `j` of `W` holds the
//! incoming weights of unit `j` (the page draws row `j` as a 28x28 picture for the first layer).
//! For a batch we stack examples as rows of `X` and compute all of them in one matrix product,
//! which is where nearly all the time of training an MLP goes.
//!
//! Backward, with `dZ` the gradient of the loss with respect to the output:
//! `dW = dZᵀ X` (each weight's gradient is δ_j · x_i, summed over the batch),
//! `db = Σ_batch dZ`, `dX = dZ W`.
//!
//! Next: [`super::activation`].

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, Axis, Ix2};

use super::{Param, Tensor};

#[derive(Debug, Clone)]
pub struct Dense {
    /// Weights, `(out, in)`.
    pub w: Array2<f32>,
    /// Biases, `(out,)`.
    pub b: Array1<f32>,
    pub dw: Array2<f32>,
    pub db: Array1<f32>,
    /// The input of the last forward pass, `(N, in)`: backward needs it for `dW`.
    x: Array2<f32>,
}

impl Dense {
    pub fn new(w: Array2<f32>, b: Array1<f32>) -> Self {
        assert_eq!(
            w.nrows(),
            b.len(),
            "dense: {} rows of weights but {} biases",
            w.nrows(),
            b.len()
        );
        let (dw, db) = (Array2::zeros(w.raw_dim()), Array1::zeros(b.raw_dim()));
        Dense {
            w,
            b,
            dw,
            db,
            x: Array2::zeros((0, 0)),
        }
    }

    pub fn inputs(&self) -> usize {
        self.w.ncols()
    }

    pub fn outputs(&self) -> usize {
        self.w.nrows()
    }

    /// `Z = X Wᵀ + b`
    // x: (N, in) -> (N, out)
    pub fn forward(&mut self, x: Tensor) -> Tensor {
        let x = x
            .into_dimensionality::<Ix2>()
            .expect("dense: input must be (N, features)");
        assert_eq!(
            x.ncols(),
            self.inputs(),
            "dense: input has {} features, layer expects {}",
            x.ncols(),
            self.inputs()
        );
        let mut out = Array2::from_shape_fn((x.nrows(), self.outputs()), |(_, j)| self.b[j]);
        general_mat_mul(1.0, &x, &self.w.t(), 1.0, &mut out);
        self.x = x;
        out.into_dyn()
    }

    /// `dW += dZᵀ X`, `db += Σ_n dZ`, `dX = dZ W`
    // dout: (N, out) -> dx: (N, in)
    pub fn backward(&mut self, dout: &Tensor, need_dx: bool) -> Option<Tensor> {
        let dout = dout
            .view()
            .into_dimensionality::<Ix2>()
            .expect("dense: dout must be (N, out)");
        assert_eq!(
            dout.nrows(),
            self.x.nrows(),
            "dense: backward batch differs from forward batch"
        );
        general_mat_mul(1.0, &dout.t(), &self.x, 1.0, &mut self.dw);
        self.db += &dout.sum_axis(Axis(0));
        need_dx.then(|| dout.dot(&self.w).into_dyn())
    }

    pub fn params(&mut self) -> Vec<Param<'_>> {
        super::weight_and_bias(&mut self.w, &self.dw, &mut self.b, &self.db)
    }

    pub fn zero_grad(&mut self) {
        self.dw.fill(0.0);
        self.db.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check_layer, random_tensor};
    use crate::layers::Layer;
    use ndarray::array;

    #[test]
    fn forward_is_w_x_plus_b() {
        // Worked by hand: z0 = 1*1 + 2*2 + 3*3 + 0.5 = 14.5, z1 = -1*1 + 0*2 + 1*3 - 1 = 1
        let mut d = Dense::new(array![[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]], array![0.5, -1.0]);
        let out = d.forward(array![[1.0, 2.0, 3.0]].into_dyn());
        assert_eq!(out, array![[14.5, 1.0]].into_dyn());
    }

    #[test]
    fn gradients_match_central_differences() {
        let w = random_tensor(&[4, 5], 1).into_dimensionality().unwrap();
        let b = random_tensor(&[4], 2).into_dimensionality().unwrap();
        let mut layer = Layer::Dense(Dense::new(w, b));
        check_layer(&mut layer, &[3, 5], 7);
    }

    #[test]
    fn gradients_accumulate_until_zero_grad() {
        let mut d = Dense::new(array![[1.0, 2.0]], array![0.0]);
        let dout = array![[1.0]].into_dyn();
        d.forward(array![[3.0, 4.0]].into_dyn());
        d.backward(&dout, false);
        d.forward(array![[3.0, 4.0]].into_dyn());
        d.backward(&dout, false);
        assert_eq!(d.dw, array![[6.0, 8.0]]);
        d.zero_grad();
        assert_eq!(d.dw, array![[0.0, 0.0]]);
    }
}
