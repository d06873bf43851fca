//! What the weights view shows of a network: each layer's weights as a histogram beside one of
//! the optimizer's last step, a layer's weights as they are, and every layer's output for one
//! image.
//!
//! A histogram of n values in `bins` equal bins between their min and max: value v falls in bin
//! `⌊(v − min) / (max − min) · bins⌋` (the max in the last bin); `mean = Σv / n`,
//! `std = √(Σ(v − mean)² / n)` (the population standard deviation).
//!
//! Next: [`crate::drawing`].

use serde::Serialize;

use crate::error::{Error, Result};
use crate::layers::LayerSpec;
use crate::network::Network;
use crate::optim::Optimizer;
use crate::vocabulary;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Histogram {
    pub min: f32,
    pub max: f32,
    pub mean: f32,
    pub std: f32,
    pub counts: Vec<u32>,
}

/// Counts of `values` in `bins` equal bins between their min and max (see the module docs).
/// No values: every count 0 and min = max = mean = std = 0.
pub fn histogram(values: &[f32], bins: usize) -> Histogram {
    assert!(bins >= 1, "a histogram needs at least one bin");
    let (mut min, mut max, mut sum) = (f32::INFINITY, f32::NEG_INFINITY, 0f64);
    for &v in values {
        min = min.min(v);
        max = max.max(v);
        sum += f64::from(v);
    }
    let n = values.len().max(1) as f64;
    let mean = sum / n;
    let var = values
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    let mut counts = vec![0u32; bins];
    let width = (max - min).max(f32::MIN_POSITIVE);
    for &v in values {
        let b = (((v - min) / width) * bins as f32) as usize;
        counts[b.min(bins - 1)] += 1;
    }
    if values.is_empty() {
        (min, max) = (0.0, 0.0);
    }
    Histogram {
        min,
        max,
        mean: mean as f32,
        std: var.sqrt() as f32,
        counts,
    }
}

/// One layer with weights, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    pub index: usize,
    pub spec: LayerSpec,
    pub weight_shape: Vec<usize>,
    pub weights: Histogram,
    /// The last optimizer step of each weight (all 0 before the first step).
    pub last_update: Histogram,
}

/// Every layer with weights: its shape, a histogram of its weights and one of the optimizer's last
/// step. `bins` must lie within [`vocabulary::HISTOGRAM_BINS`].
pub fn weight_summary(
    net: &mut Network,
    opt: &Optimizer,
    bins: usize,
) -> Result<Vec<LayerSummary>> {
    vocabulary::HISTOGRAM_BINS.check_count("bins", bins)?;
    let names = net.param_names();
    let steps = opt.last_steps();
    let specs: Vec<LayerSpec> = net.layers.iter().map(|l| l.spec()).collect();
    let mut out = Vec::new();
    for (k, ((layer, name), p)) in names.iter().zip(net.params()).enumerate() {
        if *name != "weight" {
            continue;
        }
        let last = steps
            .get(k)
            .cloned()
            .unwrap_or_else(|| vec![0.0; p.value.len()]);
        out.push(LayerSummary {
            index: *layer,
            spec: specs[*layer].clone(),
            weight_shape: p.shape.clone(),
            weights: histogram(p.value, bins),
            last_update: histogram(&last, bins),
        });
    }
    Ok(out)
}

/// A copy of layer `layer`'s weights, flat (`[out][in]` or `[O][C][k][k]`).
pub fn layer_weights(net: &mut Network, layer: usize) -> Result<Vec<f32>> {
    let l = net
        .layers
        .get_mut(layer)
        .ok_or_else(|| Error::new(format!("no layer {layer}")))?;
    let params = l.params();
    let w = params
        .first()
        .ok_or_else(|| Error::new(format!("layer {layer} has no weights")))?;
    Ok(w.value.to_vec())
}

/// One layer's weights at two points of a run, and the difference `b − a`.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub layer: usize,
    pub shape: Vec<usize>,
    pub a: Vec<f32>,
    pub b: Vec<f32>,
    /// `b − a`, element by element (f32).
    pub diff: Vec<f32>,
    /// `‖a‖`, `‖b‖` and `‖b − a‖` ([`crate::health::norm`]).
    pub a_norm: f64,
    pub b_norm: f64,
    pub diff_norm: f64,
}

/// Layer `layer`'s weights in `a` and in `b` (two networks of the same shape) and their difference.
pub fn compare(a: &mut Network, b: &mut Network, layer: usize) -> Result<Comparison> {
    if a.arch() != b.arch() {
        return Err(Error::new("the two points are of different models"));
    }
    let (wa, wb) = (layer_weights(a, layer)?, layer_weights(b, layer)?);
    let shape = a.layers[layer].params()[0].shape.clone();
    let diff: Vec<f32> = wa.iter().zip(&wb).map(|(x, y)| y - x).collect();
    Ok(Comparison {
        layer,
        shape,
        a_norm: crate::health::norm(&wa),
        b_norm: crate::health::norm(&wb),
        diff_norm: crate::health::norm(&diff),
        a: wa,
        b: wb,
        diff,
    })
}

/// One layer's output for one example.
#[derive(Debug, Clone, Serialize)]
pub struct Activation {
    /// The shape of one example's output: `[units]` or `[channels, height, width]`.
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// Every layer's output for one example (`pixels`, flat), in eval mode (dropout off).
pub fn activations(net: &mut Network, pixels: &[f32]) -> Result<Vec<Activation>> {
    crate::digit::check_pixels(net, pixels)?;
    let x = net.batch_from_flat(pixels.to_vec(), 1);
    let mut outs = Vec::new();
    net.forward_observed(x, false, |_, o| {
        outs.push(Activation {
            shape: o.shape()[1..].to_vec(),
            values: o.iter().copied().collect(),
        })
    });
    Ok(outs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::OptimizerConfig;
    use crate::presets;

    #[test]
    fn a_histogram_worked_by_hand() {
        // Values 0, 1, 2, 3, 4 in 4 bins of width 1 from 0 to 4: bins [0,1) [1,2) [2,3) [3,4];
        // the max (4) goes in the last bin. Mean 2; variance (4 + 1 + 0 + 1 + 4) / 5 = 2.
        let h = histogram(&[3.0, 0.0, 4.0, 1.0, 2.0], 4);
        assert_eq!(h.counts, vec![1, 1, 1, 2]);
        assert_eq!((h.min, h.max, h.mean), (0.0, 4.0, 2.0));
        assert_eq!(h.std, 2f32.sqrt());
        // Equal values: all in the first bin, spread 0.
        let h = histogram(&[0.5; 3], 5);
        assert_eq!((h.counts[0], h.std, h.min, h.max), (3, 0.0, 0.5, 0.5));
        // No values at all.
        let h = histogram(&[], 3);
        assert_eq!(
            (h.counts, h.min, h.max, h.mean),
            (vec![0, 0, 0], 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn the_weight_summary_covers_every_weight_and_the_last_step() {
        let mut net = presets::network("mlp-64", 1).unwrap();
        let mut opt = OptimizerConfig::Sgd {
            lr: 0.1,
            momentum: 0.0,
        }
        .build();
        let s = weight_summary(&mut net, &opt, 10).unwrap();
        assert_eq!(s.iter().map(|l| l.index).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(s[0].weight_shape, vec![64, 784]);
        assert_eq!(s[0].weights.counts.iter().sum::<u32>(), 64 * 784);
        assert_eq!(s[0].last_update.max, 0.0, "no step yet");
        // One step: the last update of each weight is −lr·grad.
        let x = net.batch_from_flat(vec![0.5; 784], 1);
        let out = net.forward(x, true);
        let l = crate::loss::Loss::SoftmaxCrossEntropy
            .forward_backward(out.view(), &crate::loss::Targets::Labels(vec![3]));
        net.zero_grad();
        net.backward(l.dout);
        opt.step(&mut net.params());
        let s = weight_summary(&mut net, &opt, 10).unwrap();
        let dw: Vec<f32> = opt.last_steps()[2].clone();
        assert_eq!(s[1].last_update, histogram(&dw, 10));
        assert!(s[1].last_update.max > 0.0);
        assert_eq!(
            weight_summary(&mut net, &opt, 1).unwrap_err().to_string(),
            "bins: expected a whole number from 2 to 200, found 1"
        );
    }

    #[test]
    fn two_points_compared_by_hand() {
        let mut a = presets::network("mlp-64", 1).unwrap();
        let mut b = a.clone();
        // Move two weights of layer 2 by +3 and +4: ‖b − a‖ = 5 (up to f32 rounding of w + 3).
        b.params()[2].value[0] += 3.0;
        b.params()[2].value[1] += 4.0;
        let c = compare(&mut a, &mut b, 2).unwrap();
        assert_eq!(c.shape, vec![10, 64]);
        assert!((c.diff[0] - 3.0).abs() < 1e-6 && (c.diff[1] - 4.0).abs() < 1e-6);
        assert!(c.diff[2..].iter().all(|&d| d == 0.0));
        assert!((c.diff_norm - 5.0).abs() < 1e-5);
        assert_eq!(c.a_norm, crate::health::norm(&c.a));
        let mut other = presets::network("mlp-128", 1).unwrap();
        assert_eq!(
            compare(&mut a, &mut other, 0).unwrap_err().to_string(),
            "the two points are of different models"
        );
    }

    #[test]
    fn activations_and_weights_of_a_layer() {
        let mut net = presets::network("cnn", 1).unwrap();
        let a = activations(&mut net, &[0.25; 784]).unwrap();
        let shapes: Vec<Vec<usize>> = a.iter().map(|x| x.shape.clone()).collect();
        assert_eq!(
            shapes,
            vec![
                vec![32, 26, 26],
                vec![32, 26, 26],
                vec![32, 13, 13],
                vec![5408],
                vec![64],
                vec![64],
                vec![10]
            ]
        );
        assert_eq!(layer_weights(&mut net, 0).unwrap().len(), 32 * 9);
        assert_eq!(
            layer_weights(&mut net, 1).unwrap_err().to_string(),
            "layer 1 has no weights"
        );
        assert_eq!(
            layer_weights(&mut net, 9).unwrap_err().to_string(),
            "no layer 9"
        );
        assert_eq!(
            activations(&mut net, &[0.0; 5]).unwrap_err().to_string(),
            "expected 784 pixels (28x28), found 5"
        );
    }
}
