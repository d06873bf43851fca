//! Flatten: `(N, C, H, W)` → `(N, C·H·W)`, in (channel, row, column) order, so that a dense
//! layer can follow a convolution. No numbers change; backward reshapes the gradient back.
//!
//! Next: [`super::dropout`].

use ndarray::IxDyn;

use super::Tensor;

#[derive(Debug, Clone, Default)]
pub struct Flatten {
    in_shape: Vec<usize>,
}

impl Flatten {
    pub fn new() -> Self {
        Flatten::default()
    }

    // x: (N, ...) -> (N, product of the rest)
    pub fn forward(&mut self, x: Tensor) -> Tensor {
        self.in_shape = x.shape().to_vec();
        let n = self.in_shape[0];
        let x = if x.is_standard_layout() {
            x
        } else {
            x.as_standard_layout().into_owned()
        };
        let rest = x.len() / n.max(1);
        x.into_shape_with_order(IxDyn(&[n, rest]))
            .expect("C-order reshape")
    }

    pub fn backward(&self, dout: &Tensor) -> Tensor {
        dout.as_standard_layout()
            .into_owned()
            .into_shape_with_order(IxDyn(&self.in_shape))
            .expect("sizes agree")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::check_layer;
    use crate::layers::Layer;
    use ndarray::array;

    #[test]
    fn channel_then_row_then_column() {
        let x = array![[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]].into_dyn();
        let out = Flatten::new().forward(x);
        assert_eq!(
            out,
            array![[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]].into_dyn()
        );
    }

    #[test]
    fn gradients_match_central_differences() {
        check_layer(&mut Layer::Flatten(Flatten::new()), &[2, 3, 2, 2], 41);
    }
}
