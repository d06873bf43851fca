//! The vocabulary the CLI and the page share: every limit, every default, the presets with their
//! descriptions, the layer kinds, the losses and the optimizers, each stated once, here.
//!
//! Validation uses these [`Limit`]s (so a limit cannot say one thing and enforce another), the
//! CLI takes its defaults from these constants, and the page receives the whole table as JSON
//! from [`vocabulary`] (the wasm call `vocabulary()`; the wasm build also writes it to
//! `www/pkg/vocabulary.js` so the page's settings form exists before the wasm has loaded).
//!
//! A limit checks a value and says what was expected in the project's one style,
//! `batch: expected a whole number from 1 to 4096, found 0`.
//!
//! Beside the limits: the words for step, batch and epoch ([`TERMS`]), the training speeds the page
//! offers ([`SPEEDS`]), the timeline's memory bound ([`TIMELINE_BYTES`]) and the health panel's
//! statistics with their thresholds and advice ([`HEALTH_STATS`]).
//!
//! Next: [`crate::presets`], which builds the networks this table describes.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::optim::{AdamConfig, OptimizerConfig};
use crate::presets;

/// The range a setting may take. `max: None` means no upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limit {
    pub min: f64,
    pub max: Option<f64>,
    /// `min` itself is not allowed (a learning rate must be above 0).
    pub min_exclusive: bool,
    /// `max` itself is not allowed (momentum must stay below 1).
    pub max_exclusive: bool,
    /// Only whole numbers.
    pub integer: bool,
}

impl Limit {
    /// Whole numbers from `min` to `max`, both included.
    pub const fn whole(min: u64, max: u64) -> Limit {
        Limit {
            min: min as f64,
            max: Some(max as f64),
            min_exclusive: false,
            max_exclusive: false,
            integer: true,
        }
    }

    /// Any finite number above 0.
    pub const POSITIVE: Limit = Limit {
        min: 0.0,
        max: None,
        min_exclusive: true,
        max_exclusive: false,
        integer: false,
    };

    /// A fraction in [0, 1): 0 allowed, 1 not.
    pub const FRACTION: Limit = Limit {
        min: 0.0,
        max: Some(1.0),
        min_exclusive: false,
        max_exclusive: true,
        integer: false,
    };

    /// Whether `v` is allowed.
    pub fn contains(&self, v: f64) -> bool {
        let above = if self.min_exclusive {
            v > self.min
        } else {
            v >= self.min
        };
        let below = match self.max {
            None => v.is_finite(),
            Some(max) if self.max_exclusive => v < max,
            Some(max) => v <= max,
        };
        above && below && (!self.integer || v.fract() == 0.0)
    }

    /// What is expected, in words: "a whole number from 1 to 4096", "a positive number",
    /// "a number in [0, 1)".
    pub fn text(&self) -> String {
        match (self.integer, self.max) {
            (true, Some(max)) => format!("a whole number from {} to {}", self.min, max),
            (true, None) => format!("a whole number, {} or more", self.min),
            (false, None) if self.min == 0.0 && self.min_exclusive => "a positive number".into(),
            (false, None) => format!("a number of at least {}", self.min),
            (false, Some(max)) => format!(
                "a number in {}{}, {}{}",
                if self.min_exclusive { "(" } else { "[" },
                self.min,
                max,
                if self.max_exclusive { ")" } else { "]" }
            ),
        }
    }

    /// `Ok` when `v` is allowed, else an error naming `path`: `batch: expected a whole number
    /// from 1 to 4096, found 0`.
    pub fn check(&self, path: &str, v: f64) -> Result<()> {
        self.check_shown(path, v, v)
    }

    /// [`Limit::check`] for an f32, printed with f32 digits (0.3, not 0.30000001192092896).
    pub fn check_f32(&self, path: &str, v: f32) -> Result<()> {
        self.check_shown(path, f64::from(v), v)
    }

    fn check_shown(&self, path: &str, v: f64, shown: impl std::fmt::Display) -> Result<()> {
        if self.contains(v) {
            return Ok(());
        }
        let expected = self.text();
        Err(Error::at(
            path,
            format!("expected {expected}, found {shown}"),
        ))
    }

    /// [`Limit::check`] for a count (a batch size, a number of epochs).
    pub fn check_count(&self, path: &str, v: usize) -> Result<()> {
        self.check(path, v as f64)
    }
}

// ---- limits -------------------------------------------------------------------------------------

/// Examples per training step.
pub const BATCH: Limit = Limit::whole(1, 4096);
/// Epochs of one training run.
pub const EPOCHS: Limit = Limit::whole(1, 100);
/// A seed: up to 2⁵³ − 1, the largest whole number a JavaScript number holds exactly, so the page
/// can send any seed the CLI takes.
pub const SEED: Limit = Limit::whole(0, (1 << 53) - 1);
/// The learning rate of either optimizer.
pub const LEARNING_RATE: Limit = Limit::POSITIVE;
/// SGD's momentum.
pub const MOMENTUM: Limit = Limit::FRACTION;
/// Adam's β1 and β2.
pub const BETA: Limit = Limit::FRACTION;
/// Adam's ε.
pub const EPS: Limit = Limit::POSITIVE;
/// The share of values a dropout layer zeroes while training.
pub const DROPOUT_RATE: Limit = Limit::FRACTION;
/// Optimizer steps of one network spec (each step's trace is kept).
pub const SPEC_STEPS: Limit = Limit::whole(1, MAX_SPEC_STEPS as u64);
pub const MAX_SPEC_STEPS: usize = 10_000;
/// Bins of the weights view's histograms.
pub const HISTOGRAM_BINS: Limit = Limit::whole(2, 200);
/// The most numbers one example may become at any layer of a network (its input included): 2²⁴,
/// 64 MB of f32, hundreds of times what the MNIST models need (the CNN's largest is 32 × 26 × 26
/// = 21,632). A model file or a spec asking for more is refused before anything that size is
/// allocated.
pub const MAX_VALUES_PER_EXAMPLE: usize = 1 << 24;
/// A training speed the page asks for, in steps per second ([`SPEEDS`] lists the ones it offers).
pub const SPEED: Limit = Limit::POSITIVE;

/// Optimizer steps of one fine-tuning run on the user's digits.
pub const FINETUNE_STEPS: Limit = Limit::whole(1, crate::finetune::MAX_STEPS as u64);
/// The share of each fine-tuning batch taken from the user's digits: above 0, at most 1.
pub const USER_SHARE: Limit = Limit {
    min: 0.0,
    max: Some(1.0),
    min_exclusive: true,
    max_exclusive: false,
    integer: false,
};
/// The share of the user's digits held out to measure fine-tuning: from 0 up to (not) 1.
pub const HOLDOUT: Limit = Limit::FRACTION;
/// The most digits of their own a user keeps (each is 784 bytes in the browser's storage; a
/// fine-tuning run sends them all to the worker).
pub const MAX_OWN_DIGITS: usize = 1000;

/// A limit by the name the page knows it by (the keys of [`Limits`]).
pub fn limit(name: &str) -> Option<Limit> {
    Some(match name {
        "batch" => BATCH,
        "epochs" => EPOCHS,
        "seed" => SEED,
        "lr" => LEARNING_RATE,
        "momentum" => MOMENTUM,
        "beta" => BETA,
        "eps" => EPS,
        "dropout_rate" => DROPOUT_RATE,
        "spec_steps" => SPEC_STEPS,
        "histogram_bins" => HISTOGRAM_BINS,
        "speed" => SPEED,
        "finetune_steps" => FINETUNE_STEPS,
        "user_share" => USER_SHARE,
        "holdout" => HOLDOUT,
        _ => return None,
    })
}

// ---- defaults -----------------------------------------------------------------------------------

/// The model a new visitor (and `backprop-lab train`) starts with.
pub const DEFAULT_MODEL: &str = "mlp-128";
pub const DEFAULT_BATCH: usize = 64;
pub const DEFAULT_EPOCHS: usize = 3;
pub const DEFAULT_SEED: u64 = 1;
/// A learning rate that trains the presets well with SGD (Adam's is the paper's α, in
/// [`AdamConfig::default`]).
pub const DEFAULT_SGD_LR: f64 = 0.05;
pub const DEFAULT_MOMENTUM: f64 = 0.9;

/// The optimizers, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    Adam,
    Sgd,
}

pub const DEFAULT_OPTIMIZER: OptimizerKind = OptimizerKind::Adam;

impl OptimizerKind {
    /// This optimizer with its default settings and learning rate `lr` (its default when `None`).
    pub fn config(self, lr: Option<f64>) -> OptimizerConfig {
        match self {
            OptimizerKind::Adam => {
                let d = AdamConfig::default();
                OptimizerConfig::Adam(AdamConfig {
                    lr: lr.unwrap_or(d.lr),
                    ..d
                })
            }
            OptimizerKind::Sgd => OptimizerConfig::Sgd {
                lr: lr.unwrap_or(DEFAULT_SGD_LR),
                momentum: DEFAULT_MOMENTUM,
            },
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OptimizerKind::Adam => "Adam",
            OptimizerKind::Sgd => "SGD with momentum",
        }
    }
}

// ---- kinds --------------------------------------------------------------------------------------

/// The layer kinds of the spec JSON and of model files (`LayerSpec`'s `type`).
pub const LAYER_KINDS: [&str; 8] = [
    "dense",
    "conv2d",
    "maxpool2d",
    "flatten",
    "relu",
    "sigmoid",
    "tanh",
    "dropout",
];

/// The losses of the spec JSON (`Loss`'s names), with what each computes.
pub const LOSSES: [(&str, &str); 3] = [
    (
        "softmax_cross_entropy",
        "softmax, then cross-entropy, averaged over the batch",
    ),
    ("mse", "mean squared error over the batch and the outputs"),
    (
        "half_sse",
        "½ Σ (t − o)² summed over the outputs, averaged over the batch",
    ),
];

// ---- words, speeds, the timeline, health --------------------------------------------------------

/// What a step, a batch and an epoch are, in a sentence each: the settings form shows them where
/// it first uses the words.
pub const TERMS: Terms = Terms {
    batch: "A batch: the training digits the model reads together before it changes its weights.",
    step: "A step: one change of every weight, from one batch.",
    epoch: "An epoch: one pass over all the training digits, batch after batch.",
};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Terms {
    pub batch: &'static str,
    pub step: &'static str,
    pub epoch: &'static str,
}

/// The training speeds the page offers, fastest first, in steps per second (`None`: as fast as the
/// machine goes). The slow ones let a class watch the loss and the first layer's weights move.
pub const SPEEDS: [Option<f64>; 7] = [
    None,
    Some(100.0),
    Some(30.0),
    Some(10.0),
    Some(3.0),
    Some(1.0),
    Some(0.5),
];

/// At or below this speed (steps per second) every step is shown: progress, charts and the weights
/// view follow each one.
pub const WATCH_EVERY_STEP_AT: f64 = 10.0;

/// The most memory the timeline's snapshots of one run may take, in bytes (each is a model file
/// with the optimizer's state and the trainer's place: about 12 bytes per weight with Adam).
pub const TIMELINE_BYTES: usize = 64 << 20;

/// Snapshots per doubling of the step count: the timeline keeps steps 1, 2, 3, 4, 5, 6, 7, 8, 10,
/// 11, 13, 16, 19, ... (rounded powers of 2^(1/4)), every epoch's end, and thins out evenly (in
/// the logarithm of the step) when its snapshots would not fit in [`TIMELINE_BYTES`].
pub const TIMELINE_PER_OCTAVE: u32 = 4;

/// The health panel's activation statistics cover at least this many training examples (the
/// batches of the last steps; with two cores in the browser, the half of each batch computed on
/// the core that counts them).
pub const HEALTH_WINDOW: usize = 64;

/// An output of a sigmoid or a tanh is saturated when it lies within this distance of a limit
/// (0 or 1; −1 or 1), where its slope is below about 0.01 and gradients barely pass.
pub const SATURATION_MARGIN: f32 = 0.01;

/// A statistic of the health panel: what it is, what it means and what to try, with the levels at
/// which it is worth a look (`watch`) and at which something is wrong (`alarm`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HealthStat {
    pub key: &'static str,
    pub name: &'static str,
    pub means: &'static str,
    pub try_this: &'static str,
    /// Below this, too small (the update ratio only).
    pub low: Option<f64>,
    /// At or above this, worth a look.
    pub watch: Option<f64>,
    /// At or above this, something is wrong (for the update ratio: a warning before divergence).
    pub alarm: Option<f64>,
}

pub const GRAD_NORM: HealthStat = HealthStat {
    key: "grad_norm",
    name: "Gradient norm ‖g‖",
    means: "How hard the loss pulls on this layer's weights: the length √(Σ g²) of their gradient on the last batch.",
    try_this: "Compare the layers: if it falls toward 0 in the first layers while the last ones stay large, the gradient vanishes on its way back (try ReLU instead of sigmoid or tanh); if it jumps by powers of ten, it explodes (try a smaller learning rate).",
    low: None,
    watch: None,
    alarm: None,
};

pub const UPDATE_RATIO: HealthStat = HealthStat {
    key: "update_ratio",
    name: "Update / weight ‖Δθ‖ / ‖θ‖",
    means: "How big the optimizer's last step was next to the weights themselves. About 0.001 is the usual rule of thumb.",
    try_this: "Far below 0.00001, learning crawls: try a larger learning rate. Above 0.01, each step rewrites a good part of the weights; above 0.1 training is likely to blow up: try a smaller learning rate.",
    low: Some(1e-5),
    watch: Some(1e-2),
    alarm: Some(1e-1),
};

pub const DEAD_RELU: HealthStat = HealthStat {
    key: "dead",
    name: "Dead ReLUs",
    means: "The share of this layer's ReLU units that gave 0 for every one of the last training examples: they pass no gradient back, so they cannot learn.",
    try_this: "Up to about a third is common. Over 40 %, take a look; over 60 %, most of the layer has stopped learning: try a smaller learning rate, or start again with another seed.",
    low: None,
    watch: Some(0.4),
    alarm: Some(0.6),
};

pub const SATURATED: HealthStat = HealthStat {
    key: "saturated",
    name: "Saturated units",
    means: "The share of this layer's sigmoid or tanh outputs stuck in the flat tails (within 0.01 of a limit), where the slope is nearly 0 and the gradient barely passes.",
    try_this: "Over a tenth: try a smaller learning rate or smaller starting weights, or ReLU instead.",
    low: None,
    watch: Some(0.1),
    alarm: Some(0.5),
};

/// Every statistic of the health panel, in the order it shows them.
pub const HEALTH_STATS: [HealthStat; 4] = [GRAD_NORM, UPDATE_RATIO, DEAD_RELU, SATURATED];

// ---- the table the page receives ----------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Vocabulary {
    pub presets: Vec<PresetEntry>,
    pub optimizers: Vec<OptimizerEntry>,
    pub defaults: Defaults,
    pub limits: Limits,
    pub layer_kinds: Vec<&'static str>,
    pub losses: Vec<LossEntry>,
    /// What the page says about the cores training uses ([`CORES`]).
    pub cores: Cores,
    pub terms: Terms,
    pub speeds: Vec<SpeedEntry>,
    pub watch_every_step_at: f64,
    pub timeline: TimelineEntry,
    pub health: HealthEntry,
    pub draw: DrawEntry,
}

/// A training speed with its words: `{"steps_per_second": 3, "label": "3 steps a second"}`.
#[derive(Debug, Clone, Serialize)]
pub struct SpeedEntry {
    pub steps_per_second: Option<f64>,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub bytes: usize,
    pub per_octave: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct HealthEntry {
    pub window: usize,
    pub saturation_margin: f32,
    pub stats: Vec<HealthStat>,
}

/// "Full speed", "1 step a second", "3 steps a second", "a step every 2 seconds".
pub fn speed_label(steps_per_second: Option<f64>) -> String {
    match steps_per_second {
        None => "Full speed".into(),
        Some(1.0) => "1 step a second".into(),
        Some(s) if s >= 1.0 => format!("{s} steps a second"),
        Some(s) => format!("a step every {} seconds", 1.0 / s),
    }
}

/// The page's words for the cores training runs on, said after its speed ("35,000 digits/s on 2
/// cores"): two (a second instance of the core in its own worker,
/// [`crate::parallel::ShardHelper`]) when the page is cross-origin isolated (shared memory is
/// allowed), else one.
#[derive(Debug, Clone, Serialize)]
pub struct Cores {
    pub two: &'static str,
    /// Isolated, but the second core is not (yet, or any more) running.
    pub one: &'static str,
    pub one_not_isolated: &'static str,
}

pub const CORES: Cores = Cores {
    two: "on 2 cores",
    one: "on 1 core",
    one_not_isolated: "on 1 core (this page is not cross-origin isolated)",
};

/// The drawing pad, the test digit a keyboard user can put on it, the user's own digits and
/// fine-tuning on them.
#[derive(Debug, Clone, Serialize)]
pub struct DrawEntry {
    /// The pad's own resolution in pixels (square), whatever its size on screen.
    pub pad: usize,
    /// The pen's width in pad pixels.
    pub pen: f32,
    /// The size (longer side, pen included) at which a test digit is put on the pad.
    pub test_digit_size: f32,
    pub max_own_digits: usize,
    /// What the saliency map differentiates.
    pub score: crate::saliency::Score,
    /// Fine-tuning's defaults (steps, batch, user_share, lr, holdout, seed).
    pub finetune: crate::finetune::FineTuneConfig,
}

/// A test digit put on the pad spans this many pixels: a digit drawn at a normal size (the
/// "normal" row of `cargo run --example drawn_sizes`).
pub const TEST_DIGIT_SIZE: f32 = 170.0;

#[derive(Debug, Clone, Serialize)]
pub struct PresetEntry {
    pub name: &'static str,
    /// A few words for a menu: "64 hidden units".
    pub description: &'static str,
    /// The layers in one line: "784 → 64 ReLU → 10".
    pub layers: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptimizerEntry {
    pub name: OptimizerKind,
    pub label: &'static str,
    /// Every setting with its default, as in the spec JSON and the page's settings.
    pub defaults: OptimizerConfig,
}

#[derive(Debug, Clone, Serialize)]
pub struct Defaults {
    pub model: &'static str,
    pub optimizer: OptimizerKind,
    pub batch: usize,
    pub epochs: usize,
    pub seed: u64,
}

/// Each limit with its words (`text`), keyed as the page's settings are.
#[derive(Debug, Clone, Serialize)]
pub struct Limits {
    pub batch: LimitEntry,
    pub epochs: LimitEntry,
    pub seed: LimitEntry,
    pub lr: LimitEntry,
    pub momentum: LimitEntry,
    pub beta: LimitEntry,
    pub eps: LimitEntry,
    pub dropout_rate: LimitEntry,
    pub spec_steps: LimitEntry,
    pub histogram_bins: LimitEntry,
    pub speed: LimitEntry,
    pub finetune_steps: LimitEntry,
    pub user_share: LimitEntry,
    pub holdout: LimitEntry,
}

#[derive(Debug, Clone, Serialize)]
pub struct LimitEntry {
    #[serde(flatten)]
    pub limit: Limit,
    pub text: String,
}

impl From<Limit> for LimitEntry {
    fn from(limit: Limit) -> Self {
        LimitEntry {
            limit,
            text: limit.text(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LossEntry {
    pub name: &'static str,
    pub description: &'static str,
}

/// The whole vocabulary, for the page.
pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        presets: presets::PRESETS
            .iter()
            .map(|p| PresetEntry {
                name: p.name,
                description: p.description,
                layers: p.layers,
            })
            .collect(),
        optimizers: [OptimizerKind::Adam, OptimizerKind::Sgd]
            .into_iter()
            .map(|k| OptimizerEntry {
                name: k,
                label: k.label(),
                defaults: k.config(None),
            })
            .collect(),
        defaults: Defaults {
            model: DEFAULT_MODEL,
            optimizer: DEFAULT_OPTIMIZER,
            batch: DEFAULT_BATCH,
            epochs: DEFAULT_EPOCHS,
            seed: DEFAULT_SEED,
        },
        cores: CORES,
        limits: Limits {
            batch: BATCH.into(),
            epochs: EPOCHS.into(),
            seed: SEED.into(),
            lr: LEARNING_RATE.into(),
            momentum: MOMENTUM.into(),
            beta: BETA.into(),
            eps: EPS.into(),
            dropout_rate: DROPOUT_RATE.into(),
            spec_steps: SPEC_STEPS.into(),
            histogram_bins: HISTOGRAM_BINS.into(),
            speed: SPEED.into(),
            finetune_steps: FINETUNE_STEPS.into(),
            user_share: USER_SHARE.into(),
            holdout: HOLDOUT.into(),
        },
        layer_kinds: LAYER_KINDS.to_vec(),
        losses: LOSSES
            .iter()
            .map(|&(name, description)| LossEntry { name, description })
            .collect(),
        terms: TERMS,
        speeds: SPEEDS
            .iter()
            .map(|&s| SpeedEntry {
                steps_per_second: s,
                label: speed_label(s),
            })
            .collect(),
        watch_every_step_at: WATCH_EVERY_STEP_AT,
        timeline: TimelineEntry {
            bytes: TIMELINE_BYTES,
            per_octave: TIMELINE_PER_OCTAVE,
        },
        health: HealthEntry {
            window: HEALTH_WINDOW,
            saturation_margin: SATURATION_MARGIN,
            stats: HEALTH_STATS.to_vec(),
        },
        draw: DrawEntry {
            pad: crate::data::drawn::CANVAS,
            pen: crate::data::drawn::PEN,
            test_digit_size: TEST_DIGIT_SIZE,
            max_own_digits: MAX_OWN_DIGITS,
            score: crate::saliency::Score::Logit,
            finetune: crate::finetune::FineTuneConfig::default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::LayerSpec;
    use crate::loss::Loss;
    use crate::train::Settings;

    /// Values just inside and just outside a limit, with whether each is allowed.
    fn probes(l: &Limit) -> Vec<(f64, bool)> {
        let step = if l.integer { 1.0 } else { 1e-6 };
        let mut p = vec![
            (l.min, !l.min_exclusive),
            (l.min - step, false),
            (f64::NAN, false),
        ];
        p.push((l.min + step, true));
        match l.max {
            Some(max) => {
                p.push((max, !l.max_exclusive));
                p.push((max + step, false));
                p.push((max - step, true));
            }
            None => p.push((f64::INFINITY, false)),
        }
        if l.integer {
            p.push((l.min + 0.5, false));
        }
        p
    }

    fn settings() -> Settings {
        Settings {
            model: DEFAULT_MODEL.into(),
            optimizer: DEFAULT_OPTIMIZER.config(None),
            batch: DEFAULT_BATCH,
            seed: DEFAULT_SEED,
        }
    }

    #[test]
    fn limits_check_and_say_what_they_expect() {
        assert_eq!(
            BATCH.check("batch", 0.0).unwrap_err().to_string(),
            "batch: expected a whole number from 1 to 4096, found 0"
        );
        assert_eq!(
            LEARNING_RATE
                .check("optimizer.lr", -1.0)
                .unwrap_err()
                .to_string(),
            "optimizer.lr: expected a positive number, found -1"
        );
        assert_eq!(
            MOMENTUM.check("momentum", 1.0).unwrap_err().to_string(),
            "momentum: expected a number in [0, 1), found 1"
        );
        assert_eq!(
            SEED.text(),
            "a whole number from 0 to 9007199254740991",
            "2^53 - 1"
        );
        for l in [BATCH, EPOCHS, SEED, LEARNING_RATE, MOMENTUM, SPEC_STEPS] {
            for (v, ok) in probes(&l) {
                assert_eq!(l.contains(v), ok, "{} of {l:?}", v);
            }
        }
    }

    /// Every limit the vocabulary states is the one the validation of settings, specs and
    /// optimizers enforces: probe each just inside and just outside.
    #[test]
    fn every_stated_limit_is_the_one_enforced() {
        for (v, ok) in probes(&BATCH) {
            let s = Settings {
                batch: v.max(0.0) as usize,
                ..settings()
            };
            if v >= 0.0 && v.fract() == 0.0 {
                assert_eq!(s.validate().is_ok(), ok, "batch {v}");
            }
        }
        for (v, ok) in probes(&SEED) {
            assert_eq!(presets::seed_from_number(v).is_ok(), ok, "seed {v}");
        }
        for (v, ok) in probes(&LEARNING_RATE) {
            let adam = OptimizerKind::Adam.config(Some(v));
            let sgd = OptimizerKind::Sgd.config(Some(v));
            assert_eq!(adam.validate("o").is_ok(), ok, "Adam lr {v}");
            assert_eq!(sgd.validate("o").is_ok(), ok, "SGD lr {v}");
        }
        for (v, ok) in probes(&MOMENTUM) {
            let sgd = OptimizerConfig::Sgd {
                lr: 0.1,
                momentum: v,
            };
            assert_eq!(sgd.validate("o").is_ok(), ok, "momentum {v}");
        }
        for (v, ok) in probes(&BETA) {
            for beta in [0, 1] {
                let mut c = AdamConfig::default();
                if beta == 0 {
                    c.beta1 = v;
                } else {
                    c.beta2 = v;
                }
                let r = OptimizerConfig::Adam(c).validate("o");
                assert_eq!(r.is_ok(), ok, "beta{} {v}", beta + 1);
            }
        }
        for (v, ok) in probes(&EPS) {
            let c = AdamConfig {
                eps: v,
                ..AdamConfig::default()
            };
            assert_eq!(
                OptimizerConfig::Adam(c).validate("o").is_ok(),
                ok,
                "eps {v}"
            );
        }
        for (v, ok) in probes(&DROPOUT_RATE) {
            if !v.is_finite() {
                continue;
            }
            let layer = LayerSpec::Dropout { rate: v as f32 };
            let shape_ok = layer.output_shape(&[4]).is_ok();
            let json = format!(
                r#"{{"input": [1, 2], "layers": [{{"type": "dropout", "rate": {v}}}], "target": [1, 2], "loss": "mse"}}"#
            );
            assert_eq!(shape_ok, ok, "dropout rate {v} in an architecture");
            assert_eq!(
                crate::spec::parse(&json).is_ok(),
                ok,
                "dropout rate {v} in a spec"
            );
        }
        for (v, ok) in probes(&SPEC_STEPS) {
            if !v.is_finite() || v < 0.0 || v.fract() != 0.0 {
                continue;
            }
            let json = format!(
                r#"{{"input": [1], "layers": [{{"type": "relu"}}], "target": [1], "loss": "mse", "steps": {v}}}"#
            );
            assert_eq!(crate::spec::parse(&json).is_ok(), ok, "spec steps {v}");
        }
        // EPOCHS is checked by the CLI (tests/cli.rs) and the worker (checkLimit) with this
        // very constant; HISTOGRAM_BINS by summary::weight_summary (its test).
    }

    #[test]
    fn the_defaults_are_valid_settings() {
        settings().validate().unwrap();
        for k in [OptimizerKind::Adam, OptimizerKind::Sgd] {
            k.config(None).validate("optimizer").unwrap();
        }
        assert!(EPOCHS.contains(DEFAULT_EPOCHS as f64));
        assert!(SEED.contains(DEFAULT_SEED as f64));
        assert_eq!(
            OptimizerKind::Adam.config(None),
            OptimizerConfig::default(),
            "the default optimizer is Adam with the paper's settings"
        );
    }

    #[test]
    fn kinds_and_losses_are_the_ones_the_code_knows() {
        // Every layer kind is a LayerSpec type, and every LayerSpec serializes to a listed kind.
        let every = [
            r#"{"type":"dense","inputs":1,"outputs":1}"#,
            r#"{"type":"conv2d","in_channels":1,"out_channels":1,"kernel":1,"stride":1,"padding":0}"#,
            r#"{"type":"maxpool2d","size":1,"stride":1}"#,
            r#"{"type":"flatten"}"#,
            r#"{"type":"relu"}"#,
            r#"{"type":"sigmoid"}"#,
            r#"{"type":"tanh"}"#,
            r#"{"type":"dropout","rate":0.5}"#,
        ];
        let kinds: Vec<String> = every
            .iter()
            .map(|j| {
                let spec: LayerSpec = serde_json::from_str(j).unwrap();
                serde_json::to_value(&spec).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(kinds, LAYER_KINDS);
        for (name, _) in LOSSES {
            let loss: Loss = serde_json::from_value(name.into()).unwrap();
            assert_eq!(serde_json::to_value(loss).unwrap(), name);
        }
    }

    #[test]
    fn the_published_table_holds_every_preset_and_limit() {
        let v = serde_json::to_value(vocabulary()).unwrap();
        let names: Vec<&str> = v["presets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, presets::PRESETS.map(|p| p.name));
        assert!(names.contains(&DEFAULT_MODEL));
        assert_eq!(
            v["limits"]["batch"],
            serde_json::json!({"min": 1.0, "max": 4096.0, "min_exclusive": false,
                "max_exclusive": false, "integer": true, "text": "a whole number from 1 to 4096"})
        );
        assert_eq!(v["limits"]["lr"]["max"], serde_json::Value::Null);
        assert_eq!(
            v["optimizers"][1]["defaults"],
            serde_json::json!({"type": "sgd", "lr": 0.05, "momentum": 0.9})
        );
        assert_eq!(v["defaults"]["optimizer"], "adam");
        // Every published limit can be looked up by its key.
        for (key, entry) in v["limits"].as_object().unwrap() {
            let l = limit(key).unwrap_or_else(|| panic!("no limit named {key}"));
            assert_eq!(entry["text"], l.text(), "{key}");
        }
        assert_eq!(limit("colour"), None);
        // Every speed offered is one the limit allows, and they go from fastest to slowest.
        assert_eq!(SPEEDS[0], None);
        let slow: Vec<f64> = SPEEDS[1..].iter().map(|s| s.unwrap()).collect();
        assert!(slow.iter().all(|&s| SPEED.contains(s)));
        assert!(slow.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(
            v["speeds"][4],
            serde_json::json!({"steps_per_second": 3.0, "label": "3 steps a second"})
        );
        assert_eq!(speed_label(Some(0.5)), "a step every 2 seconds");
        assert_eq!(v["timeline"]["bytes"], TIMELINE_BYTES);
        let stats: Vec<&str> = v["health"]["stats"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap())
            .collect();
        assert_eq!(stats, ["grad_norm", "update_ratio", "dead", "saturated"]);
    }
}
