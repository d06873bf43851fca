//! 2-D convolution, computed as every deep-learning framework does: cross-correlation (the
//! kernel is not flipped), with an integer stride and symmetric zero padding.
//!
//! For one example, output channel `o` at position `(i, j)` is
//! `z[o,i,j] = b[o] + Σ_c Σ_ki Σ_kj w[o,c,ki,kj] · x[c, i·s + ki − p, j·s + kj − p]`
//! with weights stored as `[out_channels][in_channels][kh][kw]` and `x` zero outside the image.
//!
//! We compute it as one matrix product per example ("im2col"): copy every receptive field into a
//! column of `cols` `(C·k·k, OH·OW)`, then `Z = W cols + b` with `W` viewed as `(O, C·k·k)`.
//! That turns the six nested loops into a matrix product, which is what makes it fast.
//! Backward is the same trick in reverse:
//! `dW = Σ_n dZ_n colsₙᵀ`, `db = Σ_n Σ_(i,j) dZ_n`, `dcols = Wᵀ dZ_n`, and `dx` is `dcols`
//! scattered back to the pixels each column came from ("col2im", adding where fields overlap).
//!
//! Next: [`super::maxpool`].

use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array3, Array4, ArrayView2, Axis, Ix4};

use super::{Param, Tensor};

#[derive(Debug, Clone)]
pub struct Conv2d {
    /// Weights, `(O, C, k, k)`.
    pub w: Array4<f32>,
    /// Biases, `(O,)`.
    pub b: Array1<f32>,
    pub dw: Array4<f32>,
    pub db: Array1<f32>,
    pub stride: usize,
    pub padding: usize,
    /// The receptive fields of the last forward pass, `(N, C·k·k, OH·OW)`.
    cols: Array3<f32>,
    /// The input's `(C, H, W)`, for col2im.
    in_chw: (usize, usize, usize),
}

/// The geometry of one convolution, computed once per forward pass.
#[derive(Clone, Copy)]
struct Geometry {
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    p: usize,
    oh: usize,
    ow: usize,
}

impl Geometry {
    /// The input row (or column) that kernel offset `ki` reads for output row `oi`, if inside.
    #[inline]
    fn source(&self, o: usize, ki: usize, size: usize) -> Option<usize> {
        (o * self.s + ki).checked_sub(self.p).filter(|&v| v < size)
    }
}

impl Conv2d {
    pub fn new(w: Array4<f32>, b: Array1<f32>, stride: usize, padding: usize) -> Self {
        assert_eq!(
            w.shape()[0],
            b.len(),
            "conv2d: {} filters but {} biases",
            w.shape()[0],
            b.len()
        );
        assert_eq!(w.shape()[2], w.shape()[3], "conv2d: kernels are square");
        assert!(stride >= 1, "conv2d: stride must be at least 1");
        let (dw, db) = (Array4::zeros(w.raw_dim()), Array1::zeros(b.raw_dim()));
        Conv2d {
            w,
            b,
            dw,
            db,
            stride,
            padding,
            cols: Array3::zeros((0, 0, 0)),
            in_chw: (0, 0, 0),
        }
    }

    pub fn out_channels(&self) -> usize {
        self.w.shape()[0]
    }
    pub fn in_channels(&self) -> usize {
        self.w.shape()[1]
    }
    pub fn kernel(&self) -> usize {
        self.w.shape()[2]
    }

    fn geometry(&self, c: usize, h: usize, w: usize) -> Geometry {
        let (k, s, p) = (self.kernel(), self.stride, self.padding);
        assert!(
            h + 2 * p >= k && w + 2 * p >= k,
            "conv2d: kernel {k} larger than padded input {h}x{w}+{p}"
        );
        Geometry {
            c,
            h,
            w,
            k,
            s,
            p,
            oh: (h + 2 * p - k) / s + 1,
            ow: (w + 2 * p - k) / s + 1,
        }
    }

    /// `Z_n = W cols_n + b` for every example n.
    // x: (N, C, H, W) -> (N, O, OH, OW)
    pub fn forward(&mut self, x: Tensor) -> Tensor {
        let x = x
            .into_dimensionality::<Ix4>()
            .expect("conv2d: input must be (N, C, H, W)");
        let (n, c, h, w) = x.dim();
        assert_eq!(
            c,
            self.in_channels(),
            "conv2d: input has {c} channels, layer expects {}",
            self.in_channels()
        );
        let g = self.geometry(c, h, w);
        let ckk = c * g.k * g.k;
        if self.cols.dim() != (n, ckk, g.oh * g.ow) {
            self.cols = Array3::zeros((n, ckk, g.oh * g.ow));
        }
        self.in_chw = (c, h, w);

        let o = self.out_channels();
        let mut out = Array3::<f32>::zeros((n, o, g.oh * g.ow));
        let w2 = as_matrix(&self.w);
        for (i, (mut cols, mut out_n)) in self
            .cols
            .outer_iter_mut()
            .zip(out.outer_iter_mut())
            .enumerate()
        {
            im2col(
                &g,
                x.index_axis(Axis(0), i)
                    .as_slice()
                    .expect("contiguous input"),
                &mut cols,
            );
            for (mut row, &b) in out_n.outer_iter_mut().zip(self.b.iter()) {
                row.fill(b);
            }
            general_mat_mul(1.0, &w2, &cols, 1.0, &mut out_n);
        }
        out.into_shape_with_order((n, o, g.oh, g.ow))
            .expect("contiguous")
            .into_dyn()
    }

    /// `dW += Σ_n dZ_n colsₙᵀ`, `db += Σ dZ`, `dx = col2im(Wᵀ dZ_n)`
    // dout: (N, O, OH, OW) -> dx: (N, C, H, W)
    pub fn backward(&mut self, dout: &Tensor, need_dx: bool) -> Option<Tensor> {
        let (n, ckk, ohw) = self.cols.dim();
        let o = self.out_channels();
        assert_eq!(
            dout.shape(),
            &[n, o, dout.shape()[2], dout.shape()[3]],
            "conv2d: dout shape"
        );
        let dout = dout
            .view()
            .into_shape_with_order((n, o, ohw))
            .expect("dout is contiguous");
        let (c, h, w) = self.in_chw;
        let g = self.geometry(c, h, w);

        let mut dw2 = self
            .dw
            .view_mut()
            .into_shape_with_order((o, ckk))
            .expect("contiguous");
        for (cols, dout_n) in self.cols.outer_iter().zip(dout.outer_iter()) {
            general_mat_mul(1.0, &dout_n, &cols.t(), 1.0, &mut dw2);
        }
        self.db += &dout.sum_axis(Axis(2)).sum_axis(Axis(0));
        if !need_dx {
            return None;
        }

        let mut dx = Array4::<f32>::zeros((n, c, h, w));
        let mut dcols = ndarray::Array2::<f32>::zeros((ckk, ohw));
        let w2 = as_matrix(&self.w);
        for (dout_n, mut dx_n) in dout.outer_iter().zip(dx.outer_iter_mut()) {
            general_mat_mul(1.0, &w2.t(), &dout_n, 0.0, &mut dcols);
            col2im(&g, &dcols.view(), dx_n.as_slice_mut().expect("contiguous"));
        }
        Some(dx.into_dyn())
    }

    pub fn params(&mut self) -> Vec<Param<'_>> {
        super::weight_and_bias(&mut self.w, &self.dw, &mut self.b, &self.db)
    }

    pub fn zero_grad(&mut self) {
        self.dw.fill(0.0);
        self.db.fill(0.0);
    }
}

/// The weights `(O, C, k, k)` viewed as the matrix `(O, C·k·k)`: one filter per row.
fn as_matrix(w: &Array4<f32>) -> ArrayView2<'_, f32> {
    let o = w.shape()[0];
    w.view()
        .into_shape_with_order((o, w.len() / o))
        .expect("weights are contiguous")
}

/// Copies every receptive field of one example `x` `(C, H, W)` into a column of `cols`
/// `(C·k·k, OH·OW)`; row `(c, ki, kj)` holds what kernel weight `(c, ki, kj)` multiplies.
fn im2col(g: &Geometry, x: &[f32], cols: &mut ndarray::ArrayViewMut2<'_, f32>) {
    let cols = cols.as_slice_mut().expect("cols are contiguous");
    let ohw = g.oh * g.ow;
    for c in 0..g.c {
        let plane = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.k {
            for kj in 0..g.k {
                let row = ((c * g.k + ki) * g.k + kj) * ohw;
                for oi in 0..g.oh {
                    let dst = &mut cols[row + oi * g.ow..row + (oi + 1) * g.ow];
                    match g.source(oi, ki, g.h) {
                        None => dst.fill(0.0),
                        Some(i) => {
                            let src = &plane[i * g.w..(i + 1) * g.w];
                            for (oj, d) in dst.iter_mut().enumerate() {
                                *d = g.source(oj, kj, g.w).map_or(0.0, |j| src[j]);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The transpose of [`im2col`]: adds every column entry back onto the pixel it was copied from.
fn col2im(g: &Geometry, dcols: &ArrayView2<'_, f32>, dx: &mut [f32]) {
    let dcols = dcols.as_slice().expect("dcols are contiguous");
    let ohw = g.oh * g.ow;
    for c in 0..g.c {
        let plane = &mut dx[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.k {
            for kj in 0..g.k {
                let row = ((c * g.k + ki) * g.k + kj) * ohw;
                for oi in 0..g.oh {
                    let Some(i) = g.source(oi, ki, g.h) else {
                        continue;
                    };
                    let src = &dcols[row + oi * g.ow..row + (oi + 1) * g.ow];
                    for (oj, &d) in src.iter().enumerate() {
                        if let Some(j) = g.source(oj, kj, g.w) {
                            plane[i * g.w + j] += d;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check_layer, random_tensor};
    use crate::layers::Layer;
    use ndarray::{array, Array};

    fn layer(o: usize, c: usize, k: usize, stride: usize, padding: usize, seed: u64) -> Conv2d {
        let w = random_tensor(&[o, c, k, k], seed)
            .into_dimensionality()
            .unwrap();
        let b = random_tensor(&[o], seed + 1).into_dimensionality().unwrap();
        Conv2d::new(w, b, stride, padding)
    }

    /// The six-loop definition from the module docs, to check im2col against.
    fn naive(conv: &Conv2d, x: &Array4<f32>) -> Array4<f32> {
        let (n, c, h, w) = x.dim();
        let (o, k, s, p) = (
            conv.out_channels(),
            conv.kernel(),
            conv.stride,
            conv.padding,
        );
        let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        Array::from_shape_fn((n, o, oh, ow), |(b_, o_, i, j)| {
            let mut z = conv.b[o_];
            for c_ in 0..c {
                for ki in 0..k {
                    for kj in 0..k {
                        let (yi, xj) = (
                            (i * s + ki) as isize - p as isize,
                            (j * s + kj) as isize - p as isize,
                        );
                        if yi >= 0 && xj >= 0 && (yi as usize) < h && (xj as usize) < w {
                            z += conv.w[[o_, c_, ki, kj]] * x[[b_, c_, yi as usize, xj as usize]];
                        }
                    }
                }
            }
            z
        })
    }

    #[test]
    fn cross_correlation_by_hand() {
        // One 3x3 image, one 2x2 kernel, no padding: z[0,0] = 1*1 + 2*0 + 4*0 + 5*(-1) + 0.5 = -3.5
        let mut conv = Conv2d::new(array![[[[1.0, 0.0], [0.0, -1.0]]]], array![0.5], 1, 0);
        let x = array![[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]];
        let out = conv.forward(x.into_dyn());
        assert_eq!(out, array![[[[-3.5, -3.5], [-3.5, -3.5]]]].into_dyn());
    }

    #[test]
    fn im2col_matches_the_definition() {
        for &(o, c, k, s, p, h, w) in &[
            (3, 2, 3, 1, 0, 6, 5),
            (2, 3, 3, 2, 1, 7, 7),
            (4, 1, 2, 1, 2, 4, 3),
        ] {
            let mut conv = layer(o, c, k, s, p, 3);
            let x: Array4<f32> = random_tensor(&[2, c, h, w], 4)
                .into_dimensionality()
                .unwrap();
            let expected = naive(&conv, &x);
            let got = conv.forward(x.into_dyn());
            for (a, b) in got.iter().zip(expected.iter()) {
                assert!((a - b).abs() < 1e-5, "im2col {a} vs definition {b}");
            }
        }
    }

    #[test]
    fn gradients_match_central_differences() {
        check_layer(
            &mut Layer::Conv2d(layer(2, 2, 3, 1, 1, 5)),
            &[2, 2, 5, 4],
            21,
        );
    }

    #[test]
    fn gradients_with_stride_and_padding() {
        check_layer(
            &mut Layer::Conv2d(layer(3, 1, 3, 2, 1, 6)),
            &[2, 1, 6, 6],
            22,
        );
        check_layer(
            &mut Layer::Conv2d(layer(2, 2, 2, 1, 0, 7)),
            &[1, 2, 4, 4],
            23,
        );
    }
}
