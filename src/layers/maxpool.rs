//! 2-D max pooling: each output is the largest value in its `size × size` window.
//!
//! `y[c,i,j] = max_(a,b) x[c, i·s + a, j·s + b]` over the window, no padding.
//! Forward remembers *where* each maximum was (the argmax); backward sends each output's
//! gradient to that one input and nothing to the others, because nudging a non-maximal input a
//! little does not change the output at all. Ties go to the first maximum in reading order.
//!
//! Next: [`super::flatten`].

use ndarray::{Array4, Ix4};

use super::Tensor;

#[derive(Debug, Clone)]
pub struct MaxPool2d {
    pub size: usize,
    pub stride: usize,
    /// For each output element (flat, C order), the flat index of its maximum in the input.
    argmax: Vec<usize>,
    in_shape: (usize, usize, usize, usize),
}

impl MaxPool2d {
    pub fn new(size: usize, stride: usize) -> Self {
        assert!(
            size >= 1 && stride >= 1,
            "maxpool2d: size and stride must be at least 1"
        );
        MaxPool2d {
            size,
            stride,
            argmax: Vec::new(),
            in_shape: (0, 0, 0, 0),
        }
    }

    // x: (N, C, H, W) -> (N, C, OH, OW), OH = (H − size) / stride + 1
    pub fn forward(&mut self, x: Tensor) -> Tensor {
        let x = x
            .into_dimensionality::<Ix4>()
            .expect("maxpool2d: input must be (N, C, H, W)");
        let (n, c, h, w) = x.dim();
        assert!(
            h >= self.size && w >= self.size,
            "maxpool2d: window {} larger than {h}x{w}",
            self.size
        );
        let (oh, ow) = (
            (h - self.size) / self.stride + 1,
            (w - self.size) / self.stride + 1,
        );
        let xs = x.as_slice().expect("contiguous input");
        let (size, stride) = (self.size, self.stride);
        self.argmax.resize(n * c * oh * ow, 0);
        let mut out = vec![0.0f32; n * c * oh * ow];
        let mut k = 0;
        for plane in 0..n * c {
            let base = plane * h * w;
            let p = &xs[base..base + h * w];
            for i in 0..oh {
                for j in 0..ow {
                    let (r0, c0) = (i * stride, j * stride);
                    // The running best stays in a register and rows are slices.
                    let (mut best, mut best_v) = (r0 * w + c0, p[r0 * w + c0]);
                    for a in 0..size {
                        let start = (r0 + a) * w + c0;
                        for (b, &v) in p[start..start + size].iter().enumerate() {
                            // Written as selects, not a branch: which input wins is random, so a
                            // branch would be mispredicted half the time.
                            let better = v > best_v;
                            best_v = if better { v } else { best_v };
                            best = if better { start + b } else { best };
                        }
                    }
                    self.argmax[k] = base + best;
                    out[k] = best_v;
                    k += 1;
                }
            }
        }
        self.in_shape = (n, c, h, w);
        Array4::from_shape_vec((n, c, oh, ow), out)
            .expect("sizes agree")
            .into_dyn()
    }

    /// `dx[argmax[k]] += dout[k]`; every other input gets 0.
    pub fn backward(&self, dout: &Tensor) -> Tensor {
        assert_eq!(
            dout.len(),
            self.argmax.len(),
            "maxpool2d: dout has the wrong size"
        );
        let mut dx = Array4::<f32>::zeros(self.in_shape);
        let dxs = dx.as_slice_mut().expect("contiguous");
        for (&d, &idx) in dout.iter().zip(&self.argmax) {
            dxs[idx] += d;
        }
        dx.into_dyn()
    }

    /// Where each output's maximum came from, as flat input indices (the step-through view
    /// shows which pixel of the window won).
    pub fn argmax(&self) -> &[usize] {
        &self.argmax
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check_layer_at, well_separated_tensor};
    use crate::layers::Layer;
    use ndarray::array;

    #[test]
    fn picks_the_maximum_and_routes_back_to_it() {
        let mut pool = MaxPool2d::new(2, 2);
        let x = array![[[
            [1.0, 5.0, 2.0, 0.0],
            [3.0, 4.0, 8.0, 1.0],
            [0.0, 0.0, 1.0, 1.0],
            [9.0, 0.0, 1.0, 2.0]
        ]]];
        let out = pool.forward(x.into_dyn());
        assert_eq!(out, array![[[[5.0, 8.0], [9.0, 2.0]]]].into_dyn());
        let dx = pool.backward(&array![[[[10.0, 20.0], [30.0, 40.0]]]].into_dyn());
        let expected = array![[[
            [0.0, 10.0, 0.0, 0.0],
            [0.0, 0.0, 20.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],
            [30.0, 0.0, 0.0, 40.0]
        ]]];
        assert_eq!(dx, expected.into_dyn());
    }

    #[test]
    fn overlapping_windows_add_their_gradients() {
        // size 2, stride 1: the 9 in the middle is the maximum of all four windows.
        let mut pool = MaxPool2d::new(2, 1);
        pool.forward(array![[[[1.0, 2.0, 1.0], [2.0, 9.0, 2.0], [1.0, 2.0, 1.0]]]].into_dyn());
        let dx = pool.backward(&array![[[[1.0, 2.0], [3.0, 4.0]]]].into_dyn());
        assert_eq!(dx[[0, 0, 1, 1]], 10.0);
        assert_eq!(dx.sum(), 10.0);
    }

    #[test]
    fn gradients_match_central_differences() {
        check_layer_at(
            &mut Layer::MaxPool2d(MaxPool2d::new(2, 2)),
            well_separated_tensor(&[2, 3, 4, 6], 31),
            31,
        );
        check_layer_at(
            &mut Layer::MaxPool2d(MaxPool2d::new(3, 2)),
            well_separated_tensor(&[1, 2, 7, 5], 32),
            32,
        );
    }
}
