//! Saliency: which pixels made the answer, by one more step of backpropagation.
//!
//! Training runs backward from the loss and stops at the first layer's weights: the image has
//! nothing to learn, so nobody asks for its gradient. Asked for it, the same backward pass gives,
//! for every input pixel `x_i`, how much a class's score would change if that pixel had a little
//! more ink: `∂s_c/∂x_i` (Simonyan, Vedaldi & Zisserman 2013, "Deep Inside Convolutional
//! Networks"). Positive: more ink there raises the score of class `c`; negative: it lowers it.
//!
//! The score is the class's **logit** `z_c` (the last layer's output before softmax), not its
//! probability `p_c`, as in Simonyan et al. Softmax couples the classes:
//! `∂p_c/∂z_j = p_c (δ_cj − p_j)`, so `∂p_c/∂x = p_c (∂z_c/∂x − Σ_j p_j ∂z_j/∂x)`. When the
//! network is sure (`p_c ≈ 1`) the bracket cancels and the map fades to nothing exactly when it
//! is most interesting, and otherwise it mixes in the other classes' evidence. The logit's
//! gradient is about class `c` alone and does not fade. [`Score::Probability`] is there to show
//! the difference.
//!
//! How: forward in evaluation mode (dropout off), seed the gradient at the output with `e_c` (a
//! one in row `c`: `∂z_c/∂z = e_c`) or with `p_c (e_c − p)` for the probability, and run the
//! network's own backward ([`Network::backward_to_input`]) with the first layer's dx computed.
//! Every layer's backward is the one training runs, so the map is as right as training's
//! gradients, and the tests check it against central differences all the same.
//!
//! Next: [`crate::trace`], which records this gradient as the last step of a worked trace.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::network::Network;

/// Which number of class `c` the saliency differentiates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Score {
    /// The logit `z_c`: the usual choice (see the module docs).
    #[default]
    Logit,
    /// The softmax probability `p_c`, whose gradient fades when the network is sure.
    Probability,
}

/// The gradient of one class's score with respect to one input, with the forward pass it came
/// from (so a caller that also wants the prediction runs the network once).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saliency {
    pub class: usize,
    pub score: Score,
    /// The network's outputs `z`, one per class.
    pub logits: Vec<f32>,
    /// softmax(z).
    pub probs: Vec<f32>,
    /// `∂score/∂x_i` for each input number, flat in the input's C order (784 for a digit).
    pub grad: Vec<f32>,
    /// The largest `|∂score/∂x_i|`: the page's colour scale and its legend run from `−max_abs`
    /// to `+max_abs`.
    pub max_abs: f32,
    /// The class the network predicts (the first of the largest probabilities).
    pub predicted: usize,
}

/// The gradient `∂s/∂x` of class `class`'s score `s` (its logit or probability) with respect to
/// the input `x` (one example, flat), by the network's own backward pass.
///
/// Like every backward pass it adds into the parameter gradients; training clears them
/// (`zero_grad`) before each of its own steps, so that changes nothing.
// x: (features,) -> grad: (features,)
pub fn saliency(net: &mut Network, x: &[f32], class: usize, score: Score) -> Result<Saliency> {
    saliency_of(net, x, Some(class), score)
}

/// [`saliency`] of `class`, or with `None` of the class the network predicts for `x` (the page's
/// default): one forward pass serves the prediction and the map.
pub fn saliency_of(
    net: &mut Network,
    x: &[f32],
    class: Option<usize>,
    score: Score,
) -> Result<Saliency> {
    let features: usize = net.input_shape.iter().product();
    if x.len() != features {
        return Err(Error::new(format!(
            "the network takes {features} input numbers, but {} were given",
            x.len()
        )));
    }
    let classes = net.outputs();
    if let Some(class) = class.filter(|&c| c >= classes) {
        return Err(Error::new(format!(
            "class {class} does not exist; the network has {classes} classes (0 to {})",
            classes - 1
        )));
    }
    let z = net.forward(net.batch_from_flat(x.to_vec(), 1), false);
    let p = crate::loss::softmax(z.view());
    let predicted = crate::train::argmax(p.as_slice().expect("contiguous"));
    let class = class.unwrap_or(predicted);
    // dout = ∂s/∂z, (1, K).
    let dout = match score {
        Score::Logit => one_hot(classes, class),
        Score::Probability => {
            let pc = p[[0, class]];
            (one_hot(classes, class) - &p) * pc
        }
    };
    let grad = net.backward_to_input(dout, |_, _| {});
    let grad = grad.into_raw_vec_and_offset().0;
    Ok(Saliency {
        class,
        score,
        logits: z.into_raw_vec_and_offset().0,
        probs: p.into_raw_vec_and_offset().0,
        max_abs: grad.iter().fold(0.0f32, |m, g| m.max(g.abs())),
        grad,
        predicted,
    })
}

/// `e_c` as a (1, K) row.
fn one_hot(classes: usize, class: usize) -> ndarray::Array2<f32> {
    ndarray::Array2::from_shape_fn((1, classes), |(_, k)| (k == class) as u8 as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::random_tensor;
    use crate::layers::LayerSpec;
    use crate::network::Arch;

    /// The score of `class` at input `x`, in f64 from the f32 network, on a copy of `net`.
    fn score_at(net: &Network, x: &[f32], class: usize, score: Score) -> f64 {
        let p = net.clone().predict(x);
        match score {
            Score::Logit => {
                let z = net
                    .clone()
                    .forward(net.batch_from_flat(x.to_vec(), 1), false);
                z[[0, class]] as f64
            }
            Score::Probability => p[[0, class]] as f64,
        }
    }

    /// Which side of every ReLU's kink each unit is on and which input won each max-pooling
    /// window, at input `x`: where this pattern is the same, the network (conv, dense, ReLU,
    /// max-pooling: all piecewise linear) is exactly affine in `x`.
    fn kinks(net: &Network, x: &[f32]) -> Vec<usize> {
        let mut net = net.clone();
        let mut pattern = Vec::new();
        let mut is_relu = Vec::new();
        for l in &net.layers {
            is_relu.push(l.spec() == LayerSpec::Relu);
        }
        net.forward_observed(net.batch_from_flat(x.to_vec(), 1), false, |i, out| {
            if is_relu[i] {
                pattern.extend(out.iter().map(|&v| (v > 0.0) as usize));
            }
        });
        for l in &net.layers {
            if let crate::layers::Layer::MaxPool2d(p) = l {
                pattern.extend_from_slice(p.argmax());
            }
        }
        pattern
    }

    /// Every `stride`-th input number's gradient against the central difference
    /// `(s(x + h e_i) − s(x − h e_i)) / 2h`, where the nudges stay on the same side of every
    /// kink ([`kinks`]). Across a kink the central difference averages two different slopes,
    /// so it says nothing about backprop; at least 70% of the pixels must be checked (88% were
    /// on the CNN preset).
    ///
    /// Tolerance: 0.5% of the largest gradient plus 0.1% of the gradient itself. Within a
    /// linear piece the logit's difference quotient is exact but for f32 rounding: the two
    /// forward passes each round their sums of thousands of terms, and the difference of the
    /// two is divided by 2h = 0.002. On the CNN preset that error was at most 0.2% of the
    /// largest gradient (it shrinks as h grows: 0.05% at h = 0.003, but then a third of the
    /// nudges cross a kink). The probability adds softmax's curvature, of order h². A wrong
    /// backward (a transposed weight, a missing factor, a gradient routed to the wrong pixel) is
    /// off by far more; across a kink the difference was up to 11% of the largest gradient.
    fn check(net: &mut Network, x: &[f32], class: usize, score: Score, stride: usize) {
        let min_share = 0.7;
        let s = saliency(net, x, class, score).unwrap();
        let largest = s.grad.iter().fold(0.0f32, |m, g| m.max(g.abs())) as f64;
        assert!(
            largest > 1e-4,
            "a gradient of zero everywhere checks nothing"
        );
        let h = 1e-3f32;
        let here = kinks(net, x);
        let (mut checked, mut tried) = (0, 0);
        for i in (0..x.len()).step_by(stride) {
            tried += 1;
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            if kinks(net, &up) != here || kinks(net, &down) != here {
                continue;
            }
            let numeric = (score_at(net, &up, class, score) - score_at(net, &down, class, score))
                / (up[i] as f64 - down[i] as f64);
            let analytic = s.grad[i] as f64;
            let err = (analytic - numeric).abs();
            assert!(
                err <= 5e-3 * largest + 1e-3 * analytic.abs(),
                "{score:?} of class {class}, pixel {i}: backward says {analytic:.6}, \
                 central difference says {numeric:.6}"
            );
            checked += 1;
        }
        eprintln!("{score:?} of class {class}: {checked} of {tried} pixels checked");
        assert!(
            checked as f64 >= min_share * tried as f64,
            "only {checked} of {tried} pixels could be checked"
        );
    }

    fn small_net() -> Network {
        let arch = Arch {
            input_shape: vec![1, 6, 6],
            layers: vec![
                LayerSpec::Conv2d {
                    in_channels: 1,
                    out_channels: 3,
                    kernel: 3,
                    stride: 1,
                    padding: 1,
                },
                LayerSpec::Relu,
                LayerSpec::Maxpool2d { size: 2, stride: 2 },
                LayerSpec::Flatten,
                LayerSpec::Dense {
                    inputs: 27,
                    outputs: 8,
                },
                LayerSpec::Tanh,
                LayerSpec::Dropout { rate: 0.5 },
                LayerSpec::Dense {
                    inputs: 8,
                    outputs: 4,
                },
            ],
        };
        Network::from_arch(&arch, 7).unwrap()
    }

    #[test]
    fn a_dense_layers_logit_gradient_is_its_weight_row() {
        // z = W x + b, so ∂z_c/∂x = row c of W, whatever x is.
        let w = ndarray::array![[0.5, -1.0, 2.0], [0.25, 3.0, -0.5]];
        let net = Network {
            input_shape: vec![3],
            layers: vec![crate::layers::Layer::Dense(crate::layers::Dense::new(
                w,
                ndarray::array![0.1, -0.2],
            ))],
        };
        let s = saliency(&mut net.clone(), &[0.3, 0.7, 0.1], 1, Score::Logit).unwrap();
        assert_eq!(s.grad, vec![0.25, 3.0, -0.5]);
        // ∂p_1/∂x = p_1 (∂z_1/∂x − Σ_j p_j ∂z_j/∂x) = p_1 p_0 (W_1 − W_0) for two classes.
        let s = saliency(&mut net.clone(), &[0.3, 0.7, 0.1], 1, Score::Probability).unwrap();
        let (p0, p1) = (s.probs[0], s.probs[1]);
        for (g, d) in s.grad.iter().zip([0.25 - 0.5, 3.0 + 1.0, -0.5 - 2.0]) {
            assert!((g - p0 * p1 * d).abs() < 1e-6, "{g} vs {}", p0 * p1 * d);
        }
    }

    #[test]
    fn saliency_matches_central_differences_on_a_small_network() {
        let mut net = small_net();
        let x = random_tensor(&[36], 11).into_raw_vec_and_offset().0;
        for class in 0..4 {
            check(&mut net, &x, class, Score::Logit, 1);
            check(&mut net, &x, class, Score::Probability, 1);
        }
    }

    #[test]
    fn saliency_matches_central_differences_on_the_cnn_preset() {
        let mut net = crate::presets::network("cnn", 3).unwrap();
        // Ink everywhere, in (0, 1]: no two inputs of a pooling window tie, as they would on
        // an empty background, where a nudge up and a nudge down pick different winners.
        let x: Vec<f32> = random_tensor(&[784], 5)
            .iter()
            .map(|v| 0.5 + 0.45 * v)
            .collect();
        for (class, score) in [(3, Score::Logit), (8, Score::Probability)] {
            check(&mut net, &x, class, score, 5);
        }
    }

    #[test]
    fn the_forward_pass_is_the_prediction_and_nothing_is_changed() {
        let mut net = crate::presets::network("mlp-128", 1).unwrap();
        let x: Vec<f32> = (0..784).map(|i| ((i * 37) % 100) as f32 / 100.0).collect();
        let before = net
            .clone()
            .params()
            .iter()
            .map(|p| p.value.to_vec())
            .collect::<Vec<_>>();
        let probs = net.predict(&x).into_raw_vec_and_offset().0;
        let s = saliency(&mut net, &x, 2, Score::Logit).unwrap();
        assert_eq!(s.probs, probs);
        assert_eq!(s.grad.len(), 784);
        let after = net
            .params()
            .iter()
            .map(|p| p.value.to_vec())
            .collect::<Vec<_>>();
        assert_eq!(
            before, after,
            "saliency reads the weights, never changes them"
        );
        // The same call again gives the same map: nothing carried over from the last one.
        assert_eq!(saliency(&mut net, &x, 2, Score::Logit).unwrap(), s);
    }

    #[test]
    fn no_class_means_the_predicted_one_and_the_scale_is_the_largest_magnitude() {
        let mut net = crate::presets::network("mlp-64", 2).unwrap();
        let x: Vec<f32> = (0..784).map(|i| ((i * 13) % 50) as f32 / 50.0).collect();
        let picked = saliency_of(&mut net, &x, None, Score::Logit).unwrap();
        let probs = net.predict(&x).into_raw_vec_and_offset().0;
        assert_eq!(picked.predicted, crate::train::argmax(&probs));
        assert_eq!(picked.class, picked.predicted);
        let same = saliency(&mut net, &x, picked.predicted, Score::Logit).unwrap();
        assert_eq!(picked, same);
        let other = saliency(&mut net, &x, (picked.predicted + 1) % 10, Score::Logit).unwrap();
        assert_eq!(
            other.predicted, picked.predicted,
            "the prediction does not follow the pick"
        );
        assert_ne!(other.grad, picked.grad);
        let largest = other.grad.iter().map(|g| g.abs()).fold(0.0, f32::max);
        assert!(largest > 0.0);
        assert_eq!(other.max_abs, largest);
    }

    #[test]
    fn bad_requests_are_explained() {
        let mut net = crate::presets::network("mlp-64", 1).unwrap();
        assert_eq!(
            saliency(&mut net, &[0.0; 784], 10, Score::Logit)
                .unwrap_err()
                .to_string(),
            "class 10 does not exist; the network has 10 classes (0 to 9)"
        );
        assert_eq!(
            saliency(&mut net, &[0.0; 100], 1, Score::Logit)
                .unwrap_err()
                .to_string(),
            "the network takes 784 input numbers, but 100 were given"
        );
    }
}
