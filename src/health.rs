//! Is training going well? The health panel's numbers, measured from the training itself: for
//! every layer with weights, from the last step of a chunk of training,
//!
//! - the gradient norm `‖g‖ = √(Σ g²)` of its weights (the biases apart), on that step's batch;
//! - the update-to-weight ratio `‖Δθ‖ / ‖θ‖`: the length of the optimizer's last step of those
//!   weights over the length of the weights after it. About 1e-3 is the usual rule of thumb
//!   (Karpathy, CS231n "Babysitting the learning process"): far less and learning crawls, far
//!   more and each step rewrites a good part of the weights. Above
//!   [`vocabulary::UPDATE_RATIO`]'s alarm level it is a warning before divergence;
//! - after a ReLU, the share of dead units: those that gave 0 for every example of the window, the
//!   last [`vocabulary::HEALTH_WINDOW`] or more training examples (the batches of the last steps).
//!   A convolution's channel counts as one unit (0 at every position of every example);
//! - after a sigmoid or a tanh, the share of saturated outputs: within
//!   [`vocabulary::SATURATION_MARGIN`] of a limit, over every output of every example of the
//!   window.
//!
//! Nothing is recomputed: the gradients are the ones the step left in the layers, the step is the
//! optimizer's own (from its state, [`crate::optim::Optimizer::last_step_norms`]), the outputs are
//! the ones the activation layers kept for their backward. The trainer only reads them on the
//! steps that end a chunk (and, for the activations, the few before), so training pays for it a
//! handful of passes over the weights per chunk.
//!
//! Next: [`crate::timeline`].

use serde::Serialize;

use crate::layers::{ActivationKind, Layer};
use crate::network::Network;
use crate::optim::Optimizer;
use crate::vocabulary::{self, HealthStat};

/// Where a statistic stands against its [`HealthStat`] levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below the `low` level (the update ratio: learning crawls).
    Low,
    Good,
    /// At or above `watch`: worth a look.
    Watch,
    /// At or above `alarm`: something is wrong.
    Alarm,
}

impl Level {
    /// The level of `value` against `stat`'s thresholds. A value that is not a number is an alarm.
    pub fn of(stat: &HealthStat, value: f64) -> Level {
        if !value.is_finite() {
            return Level::Alarm;
        }
        if stat.alarm.is_some_and(|a| value >= a) {
            Level::Alarm
        } else if stat.watch.is_some_and(|w| value >= w) {
            Level::Watch
        } else if stat.low.is_some_and(|l| value < l) {
            Level::Low
        } else {
            Level::Good
        }
    }
}

/// What the activation after a layer does over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivationHealth {
    /// The activation layer's index.
    pub index: usize,
    pub kind: ActivationKind,
    /// The statistic: [`vocabulary::DEAD_RELU`] for ReLU, [`vocabulary::SATURATED`] otherwise.
    pub stat: &'static str,
    /// Units (ReLU: features or channels) or outputs (sigmoid, tanh) counted.
    pub count: u64,
    /// How many of them are dead or saturated.
    pub hits: u64,
    /// `hits / count`.
    pub share: f64,
    pub level: Level,
}

/// One layer with weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerHealth {
    pub index: usize,
    pub grad_norm: f64,
    pub weight_norm: f64,
    pub update_norm: f64,
    /// `update_norm / weight_norm`.
    pub update_ratio: f64,
    pub update_level: Level,
    /// The activation right after this layer, when there is one and the window is complete.
    pub activation: Option<ActivationHealth>,
}

/// The warning before divergence: a layer's update ratio at or above the alarm level.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub layer: usize,
    pub update_ratio: f64,
    pub lr: f64,
    pub suggested_lr: f64,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the last step moved layer {}'s weights by {} of their size (about 0.001 is usual): training is likely to blow up. Try a smaller learning rate, such as {}.",
            self.layer,
            ratio_words(self.update_ratio),
            self.suggested_lr
        )
    }
}

/// A ratio as people read it: "35 %" from 0.01 up, "0.0042" below, "more than 1000 times" far above.
fn ratio_words(r: f64) -> String {
    if !r.is_finite() {
        "more than any number".into()
    } else if r >= 1000.0 {
        format!("{:.0e} times", r)
    } else if r >= 10.0 {
        format!("{:.0} times", r)
    } else if r >= 0.01 {
        format!("{:.0} %", r * 100.0)
    } else {
        format!("{r:.2e}")
    }
}

impl Serialize for Warning {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Warning", 5)?;
        st.serialize_field("layer", &self.layer)?;
        st.serialize_field("update_ratio", &self.update_ratio)?;
        st.serialize_field("lr", &self.lr)?;
        st.serialize_field("suggested_lr", &self.suggested_lr)?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// The health of the network after a step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// The step it describes (steps taken in total).
    pub step: u64,
    /// Training examples the activation statistics cover (0 before the first window is complete).
    pub window: usize,
    pub layers: Vec<LayerHealth>,
    /// The first layer whose update ratio is at the alarm level, if any.
    pub warning: Option<Warning>,
}

/// `√(Σ v²)` ([`sum_squares`]).
pub fn norm(values: &[f32]) -> f64 {
    sum_squares(values, values, |v, _| v).sqrt()
}

/// `Σ f(a[i], b[i])²`: each f32 value squared and summed in f64, in blocks of 8 lanes so that the
/// loop vectorises (the health panel reads every weight, gradient and optimizer step with it).
#[inline]
pub fn sum_squares(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    assert_eq!(a.len(), b.len(), "two slices of one parameter tensor");
    let mut lanes = [0f64; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let mut v = [0f32; 8];
        for k in 0..8 {
            v[k] = f(x[k], y[k]);
        }
        for k in 0..8 {
            lanes[k] += f64::from(v[k]) * f64::from(v[k]);
        }
    }
    let tail = a.len() / 8 * 8;
    let rest: f64 = a[tail..]
        .iter()
        .zip(&b[tail..])
        .map(|(&x, &y)| f64::from(f(x, y)) * f64::from(f(x, y)))
        .sum();
    lanes.iter().sum::<f64>() + rest
}

/// Counts, over a window of training examples, what the activation layers output.
#[derive(Debug, Clone, Default)]
pub struct Watch {
    /// One tally per activation layer, in layer order.
    tallies: Vec<Tally>,
    examples: usize,
}

#[derive(Debug, Clone)]
struct Tally {
    index: usize,
    kind: ActivationKind,
    /// ReLU: per unit, whether it gave something other than 0 in the window.
    fired: Vec<bool>,
    /// Sigmoid, tanh: outputs seen and outputs saturated.
    outputs: u64,
    saturated: u64,
}

impl Watch {
    /// Adds the outputs the activation layers kept from the last forward pass (`n` examples).
    pub fn observe(&mut self, net: &Network, n: usize) {
        if self.tallies.is_empty() {
            self.tallies = net
                .layers
                .iter()
                .enumerate()
                .filter_map(|(index, l)| match l {
                    Layer::Activation(a) => Some(Tally {
                        index,
                        kind: a.kind,
                        fired: Vec::new(),
                        outputs: 0,
                        saturated: 0,
                    }),
                    _ => None,
                })
                .collect();
        }
        for t in &mut self.tallies {
            let Layer::Activation(a) = &net.layers[t.index] else {
                unreachable!("the tallies follow the network's activation layers")
            };
            let y = a.output();
            let y = y.as_slice().expect("an activation's output is contiguous");
            debug_assert_eq!(y.len() % n.max(1), 0);
            match t.kind {
                ActivationKind::Relu => {
                    // (N, units) or (N, C, H, W): a unit is a feature or a channel.
                    let shape = a.output().shape().to_vec();
                    let units = shape.get(1).copied().unwrap_or(1);
                    let per_unit = shape[2..].iter().product::<usize>().max(1);
                    if t.fired.len() != units {
                        t.fired = vec![false; units];
                    }
                    for example in y.chunks_exact(units * per_unit) {
                        for (u, values) in example.chunks_exact(per_unit).enumerate() {
                            if !t.fired[u] && values.iter().any(|&v| v != 0.0) {
                                t.fired[u] = true;
                            }
                        }
                    }
                }
                ActivationKind::Sigmoid | ActivationKind::Tanh => {
                    let m = vocabulary::SATURATION_MARGIN;
                    let low = if t.kind == ActivationKind::Sigmoid {
                        m
                    } else {
                        -1.0 + m
                    };
                    let high = 1.0 - m;
                    t.outputs += y.len() as u64;
                    t.saturated += y.iter().filter(|&&v| v < low || v > high).count() as u64;
                }
            }
        }
        self.examples += n;
    }

    pub fn examples(&self) -> usize {
        self.examples
    }

    /// The statistics of the window, by activation layer index.
    pub fn finish(&self) -> Vec<ActivationHealth> {
        self.tallies
            .iter()
            .map(|t| {
                let (stat, count, hits) = match t.kind {
                    ActivationKind::Relu => (
                        vocabulary::DEAD_RELU,
                        t.fired.len() as u64,
                        t.fired.iter().filter(|f| !**f).count() as u64,
                    ),
                    _ => (vocabulary::SATURATED, t.outputs, t.saturated),
                };
                let share = if count == 0 {
                    0.0
                } else {
                    hits as f64 / count as f64
                };
                ActivationHealth {
                    index: t.index,
                    kind: t.kind,
                    stat: stat.key,
                    count,
                    hits,
                    share,
                    level: Level::of(&stat, share),
                }
            })
            .collect()
    }
}

/// The health of `net` after `opt`'s last step, with the activation statistics of the last
/// complete window (`window` examples; empty before the first).
pub fn measure(
    net: &mut Network,
    opt: &Optimizer,
    step: u64,
    activations: &[ActivationHealth],
    window: usize,
) -> Health {
    let updates = opt.last_step_norms();
    let n_layers = net.layers.len();
    let mut layers = Vec::new();
    let mut k = 0; // the parameter tensor's position in the optimizer's order
    for (index, layer) in net.layers.iter_mut().enumerate() {
        let params = layer.params();
        if let Some(w) = params.iter().find(|p| p.name == "weight") {
            let weight_k = k + params
                .iter()
                .position(|p| p.name == "weight")
                .expect("found");
            let weight_norm = norm(w.value);
            let update_norm = updates.get(weight_k).copied().unwrap_or(0.0);
            let update_ratio = if weight_norm > 0.0 {
                update_norm / weight_norm
            } else if update_norm == 0.0 {
                0.0
            } else {
                f64::INFINITY
            };
            layers.push(LayerHealth {
                index,
                grad_norm: norm(w.grad),
                weight_norm,
                update_norm,
                update_ratio,
                update_level: if updates.is_empty() {
                    Level::Good
                } else {
                    Level::of(&vocabulary::UPDATE_RATIO, update_ratio)
                },
                activation: (index + 1 < n_layers)
                    .then(|| activations.iter().find(|a| a.index == index + 1).cloned())
                    .flatten(),
            });
        }
        k += params.len();
    }
    let warning = layers
        .iter()
        .find(|l| l.update_level == Level::Alarm)
        .map(|l| {
            let cfg = opt.config();
            Warning {
                layer: l.index,
                update_ratio: l.update_ratio,
                lr: cfg.lr(),
                suggested_lr: crate::train::smaller_learning_rate(&cfg),
            }
        });
    Health {
        step,
        window,
        layers,
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{Activation, Dense};
    use crate::loss::{Loss, Targets};
    use crate::optim::OptimizerConfig;
    use ndarray::array;

    /// 2 → 2 dense, ReLU, 2 → 2 dense, with weights and inputs chosen so that every number below
    /// can be worked by hand.
    fn tiny() -> Network {
        Network {
            input_shape: vec![2],
            layers: vec![
                Layer::Dense(Dense::new(
                    array![[1.0, 0.0], [0.0, -1.0]],
                    array![0.0, 0.0],
                )),
                Layer::Activation(Activation::new(ActivationKind::Relu)),
                Layer::Dense(Dense::new(array![[3.0, 4.0], [0.0, 0.0]], array![0.0, 0.0])),
            ],
        }
    }

    #[test]
    fn norms_ratios_and_dead_units_worked_by_hand() {
        let mut net = tiny();
        // Inputs (1, 2) and (3, 1): the hidden unit 1 computes −x₂ = −2 and −1, so the ReLU gives
        // 0 for both examples: it is dead; unit 0 gives 1 and 3.
        let x = net.batch_from_flat(vec![1.0, 2.0, 3.0, 1.0], 2);
        let out = net.forward(x, true);
        let loss =
            Loss::SoftmaxCrossEntropy.forward_backward(out.view(), &Targets::Labels(vec![0, 1]));
        net.zero_grad();
        net.backward(loss.dout);
        let mut opt = OptimizerConfig::Sgd {
            lr: 0.5,
            momentum: 0.0,
        }
        .build();
        let grads: Vec<Vec<f32>> = net.params().iter().map(|p| p.grad.to_vec()).collect();
        opt.step(&mut net.params());
        let mut watch = Watch::default();
        watch.observe(&net, 2);
        let acts = watch.finish();
        assert_eq!(acts.len(), 1);
        let relu = &acts[0];
        assert_eq!(
            (relu.index, relu.count, relu.hits, relu.share),
            (1, 2, 1, 0.5),
            "unit 1 is dead, unit 0 is not"
        );
        assert_eq!(
            relu.level,
            Level::Watch,
            "half the units dead: above 0.4, below 0.6"
        );

        let h = measure(&mut net, &opt, 1, &acts, 2);
        assert_eq!(
            h.layers.iter().map(|l| l.index).collect::<Vec<_>>(),
            vec![0, 2]
        );
        // Layer 2's weight gradient, dW = dZᵀ H with H = [[1, 0], [3, 0]]: only column 0 is not 0.
        // Its norm by hand from the gradient the step used:
        let g2 = &grads[2];
        let by_hand = (g2.iter().map(|g| f64::from(*g).powi(2)).sum::<f64>()).sqrt();
        assert_eq!(h.layers[1].grad_norm, by_hand);
        assert_eq!(g2[1], 0.0, "the dead unit's weights get no gradient");
        assert_eq!(g2[3], 0.0);
        // SGD without momentum: Δθ = −0.5 g, so ‖Δθ‖ = 0.5 ‖g‖ (the f32 products, summed in f64).
        let step: Vec<f32> = g2.iter().map(|g| -0.5 * g).collect();
        assert_eq!(h.layers[1].update_norm, norm(&step));
        // ‖θ‖ after the step: θ = [3, 4, 0, 0] − 0.5 g.
        let after: Vec<f32> = [3.0f32, 4.0, 0.0, 0.0]
            .iter()
            .zip(g2)
            .map(|(w, g)| w + -0.5 * g)
            .collect();
        assert_eq!(h.layers[1].weight_norm, norm(&after));
        assert_eq!(
            h.layers[1].update_ratio,
            norm(&step) / norm(&after),
            "the ratio of the two"
        );
        assert!(
            h.layers[1].activation.is_none(),
            "no activation after the last layer"
        );
        assert_eq!(h.layers[0].activation.as_ref(), Some(relu));
    }

    #[test]
    fn a_norm_and_a_ratio_by_hand() {
        // 1² + 2² + ... + 10² = 385 (a block of 8 and a tail of 2); doubled by f: 4 · 385.
        let v: Vec<f32> = (1..=10).map(|i| i as f32).collect();
        assert_eq!(sum_squares(&v, &v, |x, _| x), 385.0);
        assert_eq!(sum_squares(&v, &v, |x, y| x + y), 1540.0);
        // ‖(3, 4)‖ = 5; ‖(0.003, 0.004)‖ = 0.005; 0.005 / 5 = 0.001, the rule of thumb: good.
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        assert!(
            (norm(&[0.003, 0.004]) - 0.005).abs() < 1e-9,
            "f32 0.003 and 0.004"
        );
        assert_eq!(Level::of(&vocabulary::UPDATE_RATIO, 0.001), Level::Good);
        assert_eq!(Level::of(&vocabulary::UPDATE_RATIO, 1e-6), Level::Low);
        assert_eq!(Level::of(&vocabulary::UPDATE_RATIO, 0.02), Level::Watch);
        assert_eq!(Level::of(&vocabulary::UPDATE_RATIO, 0.1), Level::Alarm);
        assert_eq!(Level::of(&vocabulary::UPDATE_RATIO, f64::NAN), Level::Alarm);
        assert_eq!(Level::of(&vocabulary::DEAD_RELU, 0.05), Level::Good);
    }

    #[test]
    fn saturated_outputs_and_dead_channels_are_counted() {
        // A sigmoid layer fed −10, 0, 10, 4.5 and 4.6: σ = 0.0000454, 0.5, 0.9999546, 0.98901,
        // 0.99005; those below 0.01 or above 0.99 are saturated: 3 of 5.
        let mut net = Network {
            input_shape: vec![5],
            layers: vec![Layer::Activation(Activation::new(ActivationKind::Sigmoid))],
        };
        net.forward(
            net.batch_from_flat(vec![-10.0, 0.0, 10.0, 4.5, 4.6], 1),
            true,
        );
        let mut w = Watch::default();
        w.observe(&net, 1);
        let s = &w.finish()[0];
        assert_eq!((s.stat, s.count, s.hits), ("saturated", 5, 3));
        // tanh(2.65) = 0.99002 and tanh(−2.6) = −0.98903: one of two beyond ±0.99.
        let mut net = Network {
            input_shape: vec![2],
            layers: vec![Layer::Activation(Activation::new(ActivationKind::Tanh))],
        };
        net.forward(net.batch_from_flat(vec![2.65, -2.6], 1), true);
        let mut w = Watch::default();
        w.observe(&net, 1);
        assert_eq!(w.finish()[0].hits, 1);

        // A ReLU over 2 channels of 2×1 for two examples: channel 1 is 0 everywhere on both,
        // channel 0 fires once (on example 2): one dead channel of two.
        let mut net = Network {
            input_shape: vec![2, 2, 1],
            layers: vec![
                Layer::Activation(Activation::new(ActivationKind::Relu)),
                Layer::Flatten(crate::layers::Flatten::new()),
            ],
        };
        let x = net.batch_from_flat(vec![-1.0, -2.0, 0.0, -3.0, -1.0, 0.5, -2.0, -0.1], 2);
        net.forward(x, true);
        let mut w = Watch::default();
        w.observe(&net, 2);
        let r = &w.finish()[0];
        assert_eq!((r.count, r.hits, w.examples()), (2, 1, 2));
    }

    #[test]
    fn before_any_step_nothing_is_updated() {
        let mut net = tiny();
        let opt = OptimizerConfig::default().build();
        let h = measure(&mut net, &opt, 0, &[], 0);
        assert!(h
            .layers
            .iter()
            .all(|l| l.update_norm == 0.0 && l.update_ratio == 0.0));
        assert!(h.warning.is_none());
        assert_eq!(
            h.layers[0].weight_norm,
            2f64.sqrt(),
            "‖[[1, 0], [0, −1]]‖ = √2"
        );
    }

    #[test]
    fn the_warning_names_the_layer_the_ratio_and_a_smaller_rate() {
        let w = Warning {
            layer: 2,
            update_ratio: 0.35,
            lr: 0.5,
            suggested_lr: 0.05,
        };
        assert_eq!(
            w.to_string(),
            "the last step moved layer 2's weights by 35 % of their size (about 0.001 is usual): training is likely to blow up. Try a smaller learning rate, such as 0.05."
        );
        assert_eq!(ratio_words(12.3), "12 times");
        assert_eq!(ratio_words(3.0e4), "3e4 times");
        assert_eq!(ratio_words(0.004), "4.00e-3");
    }
}
