//! Elementwise activations: ReLU, sigmoid and tanh.
//!
//! Each keeps its *output* `y` from the forward pass, because all three derivatives are
//! cheapest in terms of `y`:
//! - ReLU:    y = max(0, x),        dy/dx = 1 if y > 0 else 0  (the "ReLU mask")
//! - sigmoid: y = 1 / (1 + e^−x),   dy/dx = y (1 − y)
//! - tanh:    y = tanh(x),          dy/dx = 1 − y²
//!
//! and backward is `dx = dout ⊙ dy/dx`.
//!
//! Next: [`crate::loss`].

use serde::{Deserialize, Serialize};

use super::Tensor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationKind {
    Relu,
    Sigmoid,
    Tanh,
}

impl ActivationKind {
    pub fn apply(self, x: f32) -> f32 {
        match self {
            // A comparison rather than x.max(0.0), which is a library call in wasm (a quarter of
            // the CNN's training time there). NaN still becomes 0, as with max.
            ActivationKind::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            ActivationKind::Sigmoid => sigmoid(x),
            ActivationKind::Tanh => x.tanh(),
        }
    }

    /// dy/dx written in terms of the output y.
    pub fn derivative_from_output(self, y: f32) -> f32 {
        match self {
            ActivationKind::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            ActivationKind::Sigmoid => y * (1.0 - y),
            ActivationKind::Tanh => 1.0 - y * y,
        }
    }
}

/// Written so that neither branch overflows: e^−x for x ≥ 0, e^x for x < 0.
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[derive(Debug, Clone)]
pub struct Activation {
    pub kind: ActivationKind,
    /// The output of the last forward pass.
    y: Tensor,
}

impl Activation {
    pub fn new(kind: ActivationKind) -> Self {
        Activation {
            kind,
            y: Tensor::zeros(ndarray::IxDyn(&[0])),
        }
    }

    /// The output of the last forward pass (what backward uses; the health panel reads it too).
    pub fn output(&self) -> &Tensor {
        &self.y
    }

    // x: any shape -> same shape
    pub fn forward(&mut self, mut x: Tensor) -> Tensor {
        let kind = self.kind;
        x.mapv_inplace(|v| kind.apply(v));
        self.y.clone_from(&x);
        x
    }

    /// dx = dout ⊙ f'(x), with f' computed from the saved output.
    pub fn backward(&self, dout: &Tensor) -> Tensor {
        assert_eq!(
            dout.shape(),
            self.y.shape(),
            "{:?}: dout shape differs from output shape",
            self.kind
        );
        let kind = self.kind;
        let mut dx = dout.as_standard_layout().into_owned();
        let y = self.y.as_slice().expect("the saved output is contiguous");
        for (d, &y) in dx.as_slice_mut().expect("contiguous").iter_mut().zip(y) {
            *d *= kind.derivative_from_output(y);
        }
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::check_layer;
    use crate::layers::Layer;
    use ndarray::array;

    #[test]
    fn known_values() {
        let x = array![[-2.0f32, 0.0, 3.0]].into_dyn();
        let relu = Activation::new(ActivationKind::Relu).forward(x.clone());
        assert_eq!(relu, array![[0.0, 0.0, 3.0]].into_dyn());
        let s = Activation::new(ActivationKind::Sigmoid).forward(x.clone());
        // σ(0) = 1/2; σ(3) = 1/(1+e^-3) = 0.95257413
        assert_eq!(s[[0, 1]], 0.5);
        assert!((s[[0, 2]] - 0.952_574_13).abs() < 1e-7);
        let t = Activation::new(ActivationKind::Tanh).forward(x);
        assert!((t[[0, 0]] - (-0.964_027_6)).abs() < 1e-7);
    }

    #[test]
    fn sigmoid_does_not_overflow() {
        let s = Activation::new(ActivationKind::Sigmoid)
            .forward(array![[-1000.0f32, 1000.0]].into_dyn());
        assert_eq!(s, array![[0.0, 1.0]].into_dyn());
    }

    #[test]
    fn relu_gradients() {
        check_layer(
            &mut Layer::Activation(Activation::new(ActivationKind::Relu)),
            &[3, 7],
            11,
        );
    }

    #[test]
    fn sigmoid_gradients() {
        check_layer(
            &mut Layer::Activation(Activation::new(ActivationKind::Sigmoid)),
            &[3, 7],
            12,
        );
    }

    #[test]
    fn tanh_gradients() {
        check_layer(
            &mut Layer::Activation(Activation::new(ActivationKind::Tanh)),
            &[2, 2, 3, 3],
            13,
        );
    }
}
