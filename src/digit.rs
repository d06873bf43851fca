//! One digit as a batch of one: a test digit by its index, the worked trace of one training step
//! on it, and the gradient check of one weight. The CLI's `trace` and `predict` and the page's
//! step-through use these, so both trace the same step the same way.
//!
//! The image is 784 pixels scaled to [0, 1] (as training reads them); the loss is softmax
//! cross-entropy against its label, as in training.
//!
//! Next: [`crate::spec`].

use crate::data::mnist::{Dataset, SIDE};
use crate::error::{Error, Result};
use crate::layers::Tensor;
use crate::loss::{Loss, Targets};
use crate::network::Network;
use crate::optim::Optimizer;
use crate::trace::{self, GradCheck, Trace};

const PIXELS: usize = SIDE * SIDE;

/// Test digit `index` of `test`: its 784 pixels in [0, 1] and its label. A missing index gives a
/// message with the number of digits there are.
pub fn test_digit(test: &Dataset, index: usize) -> Result<(Vec<f32>, usize)> {
    if index >= test.len() {
        return Err(Error::new(format!(
            "test digit {index} does not exist; there are {} (0 to {})",
            test.len(),
            test.len().saturating_sub(1)
        )));
    }
    let mut x = vec![0.0; PIXELS];
    let mut y = [0usize];
    test.fill_batch(&[index], &mut x, &mut y);
    Ok((x, y[0]))
}

/// `pixels` must be one image of 28x28.
pub fn check_pixels(net: &Network, pixels: &[f32]) -> Result<()> {
    let want: usize = net.input_shape.iter().product();
    if pixels.len() != want || want != PIXELS {
        return Err(Error::new(format!(
            "expected {PIXELS} pixels (28x28), found {}",
            pixels.len()
        )));
    }
    Ok(())
}

/// One image with its label as a batch of one.
fn one_example(net: &Network, pixels: &[f32], label: usize) -> Result<(Tensor, Targets)> {
    check_pixels(net, pixels)?;
    if label > 9 {
        return Err(Error::new(format!(
            "expected a label from 0 to 9, found {label}"
        )));
    }
    Ok((
        net.batch_from_flat(pixels.to_vec(), 1),
        Targets::Labels(vec![label]),
    ))
}

/// The worked trace of one training step of `net` with `opt` on one image and its label. The step
/// is taken on `net` and `opt`: pass copies to keep the originals.
pub fn trace_digit(
    net: &mut Network,
    opt: &mut Optimizer,
    pixels: &[f32],
    label: usize,
) -> Result<Trace> {
    let (x, targets) = one_example(net, pixels, label)?;
    Ok(trace::trace_step(
        net,
        opt,
        x,
        &targets,
        Loss::SoftmaxCrossEntropy,
        true,
    ))
}

/// The central-difference check of one parameter element's gradient on one image and its label.
pub fn check_digit(
    net: &Network,
    pixels: &[f32],
    label: usize,
    layer: usize,
    param: &str,
    index: usize,
) -> Result<GradCheck> {
    let (x, targets) = one_example(net, pixels, label)?;
    trace::gradient_check(
        net,
        &x,
        &targets,
        Loss::SoftmaxCrossEntropy,
        layer,
        param,
        index,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mnist::synthetic;
    use crate::optim::OptimizerConfig;
    use crate::presets;

    #[test]
    fn a_test_digit_by_index_or_a_message_with_the_count() {
        let data = synthetic(12);
        let (x, label) = test_digit(&data, 3).unwrap();
        assert_eq!(label, 3);
        // Digit 3's bar is row 10, columns 4 to 23, at full ink (255 / 255 = 1).
        assert_eq!((x[10 * 28 + 4], x[10 * 28 + 3]), (1.0, 0.0));
        assert_eq!(
            test_digit(&data, 12).unwrap_err().to_string(),
            "test digit 12 does not exist; there are 12 (0 to 11)"
        );
    }

    #[test]
    fn tracing_a_digit_takes_the_same_step_as_training() {
        let data = synthetic(10);
        let (x, label) = test_digit(&data, 7).unwrap();
        let mut net = presets::network("mlp-64", 2).unwrap();
        let mut opt = OptimizerConfig::default().build();
        let (mut plain, mut plain_opt) = (net.clone(), opt.clone());
        let t = trace_digit(&mut net, &mut opt, &x, label).unwrap();
        assert_eq!((t.batch, t.input.len()), (1, 784));
        // The same step without a trace gives bit-identical weights.
        let out = plain.forward(plain.batch_from_flat(x.clone(), 1), true);
        let l = Loss::SoftmaxCrossEntropy.forward_backward(out.view(), &Targets::Labels(vec![7]));
        plain.zero_grad();
        plain.backward(l.dout);
        plain_opt.step(&mut plain.params());
        let w = |n: &mut Network| -> Vec<Vec<f32>> {
            n.params().iter().map(|p| p.value.to_vec()).collect()
        };
        assert_eq!(w(&mut net), w(&mut plain));
        assert_eq!(
            trace_digit(&mut net, &mut opt, &x, 10)
                .unwrap_err()
                .to_string(),
            "expected a label from 0 to 9, found 10"
        );
        let c = check_digit(&net, &x, label, 2, "bias", 7).unwrap();
        assert!(c.relative_error < 1e-2, "{c:?}");
    }
}
