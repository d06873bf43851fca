//! Training on a labelled image set (MNIST): mini-batches, shuffling, evaluation.
//!
//! One step: take the next `batch` examples of a seeded shuffle, scale their pixels to [0, 1],
//! forward, softmax cross-entropy, backward (shard by shard, on every core: [`crate::parallel`]),
//! optimizer step. An epoch is one pass over the shuffled training set (the last batch may be
//! smaller). The same [`Trainer`] serves the CLI (which runs whole epochs) and the browser worker
//! (which runs a few steps at a time and yields, so that the page stays responsive).
//!
//! The trainer knows where it is in the epoch and keeps the epoch's running loss (the mean over
//! examples, so a short last batch weighs less) and accuracy; [`Trainer::run_chunk`] reports them
//! with what a chunk of steps did. The CLI's epoch lines and the page's progress both read them.
//!
//! If the loss stops being a finite number, training has diverged: the trainer puts back the
//! last checkpoint whose loss was finite (taken every [`CHECKPOINT_EVERY`] steps) and reports it,
//! so the user keeps a working model and can retry with a smaller learning rate.
//!
//! The trainer's [`Place`] (its seed, how many times it has shuffled, where it is in the epoch and
//! the epoch's sums so far) is saved in model files beside the optimizer's state, so a model saved
//! mid-epoch, or a snapshot of the timeline, goes on exactly where it stopped: the same batches,
//! the same numbers.
//!
//! When asked, a chunk ends with the network's [`crate::health`]: gradient norms, update ratios,
//! dead and saturated units, read from the chunk's last steps.
//!
//! [`Settings`] (model, optimizer, batch, seed) start a [`Run`]: a trainer, fresh from a preset or
//! from a model file, with what the file said about itself, and the run's [`Timeline`].
//!
//! Next: [`crate::parallel`] (how a step's gradient is computed on every core), then
//! [`crate::health`] (is training going well?), [`crate::timeline`] (which snapshots to keep),
//! [`crate::finetune`] (a user's own digits), [`crate::summary`] (what the weights view shows),
//! [`crate::drawing`], [`crate::digit`].

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use crate::data::mnist::Dataset;
use crate::error::{Error, Result};
use crate::health::{self, ActivationHealth, Health, Watch};
use crate::loss::{Loss, Targets};
use crate::model_file;
use crate::network::{Arch, Network};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::parallel::{DataParallel, ShardHelper};
use crate::presets;
use crate::timeline::{Entry, Timeline};
use crate::vocabulary;

/// How often (in steps) a known-good copy of the weights and optimizer state is kept.
pub const CHECKPOINT_EVERY: u64 = 100;

#[derive(Debug, Clone)]
pub struct Trainer {
    pub net: Network,
    pub opt: Optimizer,
    pub batch: usize,
    /// Completed epochs.
    pub epoch: usize,
    /// Steps taken in total.
    pub step: u64,
    /// The seed of the shuffling, and how many times the examples have been shuffled.
    seed: u64,
    shuffles: u64,
    rng: ChaCha8Rng,
    order: Vec<usize>,
    pos: usize,
    /// A place to go back to at the next step, once the data (and so its size) is known: a model
    /// file's, when it was saved mid-run.
    resume: Option<Place>,
    x: Vec<f32>,
    y: Vec<usize>,
    /// The epoch under way so far: Σ loss × batch size, examples classified right, examples seen.
    epoch_loss_sum: f64,
    epoch_correct: usize,
    epoch_seen: usize,
    /// The copies of the network that run a batch's shards beyond the first.
    parallel: DataParallel,
    /// A copy of this trainer (weights, optimizer state, step and epoch counts, place in the
    /// shuffle) from the start of the last step whose loss was finite, taken every
    /// CHECKPOINT_EVERY steps.
    checkpoint: Option<Box<Trainer>>,
    /// The health panel's activation counts: on while `watching`, over the steps of the window.
    watching: bool,
    watch: Watch,
    /// The statistics of the last complete window, and how many examples it covered.
    last_window: (Vec<ActivationHealth>, usize),
}

/// Where a trainer is in its run, so that it can go on exactly from there: the seed and the number
/// of shuffles give the order of the examples, `pos` the place in it, and the sums the epoch's
/// loss and accuracy so far. Saved in model files (metadata `training`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    pub seed: u64,
    pub batch: usize,
    /// The size of the training set it was shuffling (another size starts a fresh epoch).
    pub examples: usize,
    pub shuffles: u64,
    pub pos: usize,
    /// Completed epochs.
    pub epoch: usize,
    pub epoch_loss_sum: f64,
    pub epoch_correct: usize,
    pub epoch_seen: usize,
}

/// What one step did.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StepOutcome {
    /// The batch's mean loss (before the update).
    pub loss: f32,
    /// How many of the batch were classified right (before the update).
    pub correct: usize,
    pub batch: usize,
    /// This step finished an epoch.
    pub epoch_done: bool,
}

/// The loss became NaN or infinite; the weights are back at the last good checkpoint.
/// Serialized with its `message` (the words the CLI prints and the page shows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Diverged {
    pub step: u64,
    pub loss: f32,
    /// The step the restored weights come from.
    pub restored_step: u64,
    /// The learning rate that diverged, and one to try instead ([`smaller_learning_rate`]).
    pub lr: f64,
    pub suggested_lr: f64,
}

/// A learning rate to try after `opt` diverged: the optimizer's default when `opt`'s rate is more
/// than ten times it, else a tenth of the rate (to two significant digits).
pub fn smaller_learning_rate(opt: &OptimizerConfig) -> f64 {
    let usual = match opt {
        OptimizerConfig::Adam(_) => vocabulary::OptimizerKind::Adam,
        OptimizerConfig::Sgd { .. } => vocabulary::OptimizerKind::Sgd,
    }
    .config(None)
    .lr();
    let lr = opt.lr();
    if lr > 10.0 * usual {
        usual
    } else {
        format!("{:.1e}", lr / 10.0).parse().expect("a number")
    }
}

impl Serialize for Diverged {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Diverged", 6)?;
        st.serialize_field("step", &self.step)?;
        st.serialize_field("loss", &self.loss)?;
        st.serialize_field("restored_step", &self.restored_step)?;
        st.serialize_field("lr", &self.lr)?;
        st.serialize_field("suggested_lr", &self.suggested_lr)?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "training diverged at step {} (the loss became {}); the weights of step {} were restored. Try a smaller learning rate.",
            self.step, self.loss, self.restored_step
        )
    }
}

impl Trainer {
    /// `seed` fixes the shuffling (the network's own seed fixed its weights and dropout).
    pub fn new(net: Network, opt: OptimizerConfig, batch: usize, seed: u64) -> Trainer {
        assert!(batch >= 1, "batch size must be at least 1");
        let features: usize = net.input_shape.iter().product();
        let rng = Trainer::shuffle_rng(seed);
        Trainer {
            net,
            opt: opt.build(),
            batch,
            epoch: 0,
            step: 0,
            seed,
            shuffles: 0,
            rng,
            order: Vec::new(),
            pos: 0,
            resume: None,
            x: vec![0.0; batch * features],
            y: vec![0; batch],
            epoch_loss_sum: 0.0,
            epoch_correct: 0,
            epoch_seen: 0,
            parallel: DataParallel::default(),
            checkpoint: None,
            watching: false,
            watch: Watch::default(),
            last_window: (Vec::new(), 0),
        }
    }

    /// The shuffling's random stream for `seed`: a stream of its own, so that shuffling does not
    /// depend on how many numbers the initialisation drew.
    fn shuffle_rng(seed: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        rng
    }

    /// Where this trainer is (a place it was told to go back to and has not reached yet counts).
    pub fn place(&self) -> Place {
        if let Some(p) = self.resume {
            return p;
        }
        Place {
            seed: self.seed,
            batch: self.batch,
            examples: self.order.len(),
            shuffles: self.shuffles,
            pos: self.pos,
            epoch: self.epoch,
            epoch_loss_sum: self.epoch_loss_sum,
            epoch_correct: self.epoch_correct,
            epoch_seen: self.epoch_seen,
        }
    }

    /// Goes back to `place` at the next step (the data's size is known then). The epoch count
    /// changes at once.
    pub fn go_to(&mut self, place: Place) {
        self.epoch = place.epoch;
        self.resume = Some(place);
    }

    /// Whether the last step ended an epoch (the next one starts another).
    pub fn at_epoch_end(&self) -> bool {
        match self.resume {
            Some(p) => p.examples > 0 && p.pos >= p.examples,
            None => !self.order.is_empty() && self.pos >= self.order.len(),
        }
    }

    /// The place of `p` on a training set of `n` examples: the order after `p.shuffles` shuffles
    /// from the seed, replayed (every shuffle is the same Fisher–Yates on the same stream).
    fn replay(&mut self, p: Place, n: usize) {
        self.rng = Trainer::shuffle_rng(p.seed);
        self.seed = p.seed;
        self.order = (0..n).collect();
        self.shuffles = 0;
        for _ in 0..p.shuffles {
            self.reshuffle(n);
        }
        self.pos = if p.shuffles == 0 { n } else { p.pos.min(n) };
        self.epoch = p.epoch;
        (self.epoch_loss_sum, self.epoch_correct, self.epoch_seen) =
            (p.epoch_loss_sum, p.epoch_correct, p.epoch_seen);
    }

    /// Steps per epoch for a training set of `n` examples.
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n.div_ceil(self.batch)
    }

    /// Steps taken in the epoch under way (at an epoch's last step, all of them: the next step
    /// starts a new epoch).
    pub fn step_in_epoch(&self) -> usize {
        self.pos.div_ceil(self.batch)
    }

    /// The epoch under way so far: the mean loss over its examples and the share classified right
    /// (before each step's update), or `None` before its first step.
    pub fn epoch_so_far(&self) -> Option<EpochSoFar> {
        (self.epoch_seen > 0).then(|| EpochSoFar {
            loss: self.epoch_loss_sum / self.epoch_seen as f64,
            accuracy: self.epoch_correct as f64 / self.epoch_seen as f64,
            seen: self.epoch_seen,
        })
    }

    /// Up to `max_steps` steps on `data`, stopping early at the end of an epoch or when training
    /// diverges (the last good weights are then back in place). With `health`, the report ends
    /// with the network's [`Health`] after the last step: its activation counts come from the
    /// last steps, enough of them for [`vocabulary::HEALTH_WINDOW`] examples (a window that a
    /// short chunk leaves open goes on into the next chunk that asks for health).
    pub fn run_chunk(&mut self, data: &Dataset, max_steps: usize, health: bool) -> ChunkReport {
        self.run_chunk_helped(data, max_steps, health, None)
    }

    /// [`run_chunk`](Self::run_chunk) with every other shard of each batch computed by `helper`
    /// (another instance of the core: [`crate::parallel::ShardHelper`]); the same bits. The
    /// health panel's activations are counted on the shards computed here, the first of each batch.
    pub fn run_chunk_helped(
        &mut self,
        data: &Dataset,
        max_steps: usize,
        health: bool,
        mut helper: Option<&mut (dyn ShardHelper + 'static)>,
    ) -> ChunkReport {
        let mut r = ChunkReport {
            steps: 0,
            losses: Vec::new(),
            seen: 0,
            epoch: 0,
            step: 0,
            steps_per_epoch: self.steps_per_epoch(data.len()),
            step_in_epoch: 0,
            epoch_done: false,
            epoch_so_far: None,
            diverged: None,
            health: None,
        };
        // The steps this chunk will take, if it does not diverge, and from which one to count the
        // activations.
        let left_in_epoch = if self.at_epoch_end() || self.order.len() != data.len() {
            r.steps_per_epoch
        } else {
            r.steps_per_epoch - self.step_in_epoch()
        };
        let planned = max_steps.min(left_in_epoch);
        // With a helper, the activations are counted on the shard computed here (the first).
        let watched_per_step = if helper.is_some() {
            self.batch.min(crate::parallel::SHARD)
        } else {
            self.batch
        };
        let watch_from =
            planned.saturating_sub(vocabulary::HEALTH_WINDOW.div_ceil(watched_per_step));
        if !health {
            self.watch = Watch::default();
        }
        for i in 0..max_steps {
            self.watching = health && i >= watch_from;
            match self.step_helped(data, helper.as_deref_mut()) {
                Ok(o) => {
                    r.steps += 1;
                    r.losses.push(o.loss);
                    r.seen += o.batch;
                    if o.epoch_done {
                        r.epoch_done = true;
                        break;
                    }
                }
                Err(d) => {
                    r.diverged = Some(d);
                    break;
                }
            }
        }
        self.watching = false;
        r.epoch = self.epoch;
        r.step = self.step;
        r.step_in_epoch = self.step_in_epoch();
        r.epoch_so_far = self.epoch_so_far();
        if health && r.steps > 0 && r.diverged.is_none() {
            r.health = Some(self.health());
        }
        r
    }

    /// The network's health after the last step, with the last complete window's activation
    /// counts ([`crate::health`]).
    pub fn health(&mut self) -> Health {
        let (acts, window) = &self.last_window;
        health::measure(&mut self.net, &self.opt, self.step, acts, *window)
    }

    /// One mini-batch step on `data`.
    pub fn step(&mut self, data: &Dataset) -> Result<StepOutcome, Diverged> {
        self.step_helped(data, None)
    }

    /// One step, every other shard computed by `helper` when there is one.
    pub fn step_helped(
        &mut self,
        data: &Dataset,
        helper: Option<&mut (dyn ShardHelper + 'static)>,
    ) -> Result<StepOutcome, Diverged> {
        assert!(!data.is_empty(), "no training data");
        if let Some(p) = self.resume.take() {
            if p.examples == data.len() {
                self.replay(p, data.len());
            }
        }
        if self.order.len() != data.len() || self.pos >= self.order.len() {
            self.reshuffle(data.len());
            (self.epoch_loss_sum, self.epoch_correct, self.epoch_seen) = (0.0, 0, 0);
        }
        // A checkpoint candidate, taken before this step touches anything (its place in the
        // epoch, the dropout masks): restoring it and stepping again repeats this very step.
        let candidate = (self.step % CHECKPOINT_EVERY == 0).then(|| {
            let older = self.checkpoint.take();
            let copy = Box::new(self.clone());
            self.checkpoint = older;
            copy
        });
        let n = self.batch.min(self.order.len() - self.pos);
        let features = self.x.len() / self.batch;
        data.fill_batch(
            &self.order[self.pos..self.pos + n],
            &mut self.x[..n * features],
            &mut self.y[..n],
        );
        let examples = self.pos..self.pos + n;
        self.pos += n;

        // Forward, loss and backward, shard by shard on every core (see crate::parallel).
        let (x, y) = (&self.x[..n * features], &self.y[..n]);
        let helped = helper.is_some();
        let pass = match helper {
            Some(h) => {
                self.parallel
                    .forward_backward_helped(&mut self.net, x, y, &self.order[examples], h)
            }
            None => self.parallel.forward_backward(&mut self.net, x, y),
        };
        if self.watching {
            if helped {
                // The network holds the first shard's forward values; the other instance's
                // activations stay there, so the window fills from this shard alone.
                self.watch.observe(&self.net, n.min(crate::parallel::SHARD));
            } else {
                // Each shard's network holds its shard's forward values.
                for (shard_net, rows) in self.parallel.shard_nets(&self.net, n) {
                    self.watch.observe(shard_net, rows);
                }
            }
            if self.watch.examples() >= vocabulary::HEALTH_WINDOW {
                let w = std::mem::take(&mut self.watch);
                self.last_window = (w.finish(), w.examples());
            }
        }
        if !pass.loss.is_finite() {
            return Err(self.restore(pass.loss));
        }
        if candidate.is_some() {
            // This step's loss is finite: its starting point is a good checkpoint.
            self.checkpoint = candidate;
        }
        crate::parallel::optimizer_step(&mut self.opt, &mut self.net.params());
        self.step += 1;
        self.epoch_loss_sum += f64::from(pass.loss) * n as f64;
        self.epoch_correct += pass.correct;
        self.epoch_seen += n;
        let epoch_done = self.pos >= self.order.len();
        if epoch_done {
            self.epoch += 1;
        }
        Ok(StepOutcome {
            loss: pass.loss,
            correct: pass.correct,
            batch: n,
            epoch_done,
        })
    }

    fn reshuffle(&mut self, n: usize) {
        if self.order.len() != n {
            self.order = (0..n).collect();
        }
        // Fisher–Yates.
        for i in (1..n).rev() {
            self.order.swap(i, self.rng.random_range(0..=i));
        }
        self.shuffles += 1;
        self.pos = 0;
    }

    fn restore(&mut self, loss: f32) -> Diverged {
        let step = self.step;
        if let Some(cp) = self.checkpoint.take() {
            // Weights and state come back; the learning rate the user has now stays.
            let lr = self.opt.config().lr();
            *self = *cp;
            self.opt.set_lr(lr);
            self.checkpoint = Some(Box::new(self.clone()));
        }
        let restored_step = self.step;
        let opt = self.opt.config();
        Diverged {
            step,
            loss,
            restored_step,
            lr: opt.lr(),
            suggested_lr: smaller_learning_rate(&opt),
        }
    }
}

/// The epoch under way, so far.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EpochSoFar {
    /// Mean loss over the epoch's examples (each batch's mean loss weighted by its size).
    pub loss: f64,
    /// Share of the epoch's examples classified right.
    pub accuracy: f64,
    /// Examples seen in the epoch.
    pub seen: usize,
}

/// What a chunk of training steps did, and where training stands after it.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkReport {
    pub steps: usize,
    /// Every step's batch loss, in order (for the loss chart).
    pub losses: Vec<f32>,
    /// Examples this chunk trained on.
    pub seen: usize,
    /// Completed epochs and steps in total, after this chunk.
    pub epoch: usize,
    pub step: u64,
    pub steps_per_epoch: usize,
    /// Steps taken in the epoch under way ([`Trainer::step_in_epoch`]).
    pub step_in_epoch: usize,
    /// This chunk finished an epoch (`epoch_so_far` then describes the whole epoch).
    pub epoch_done: bool,
    pub epoch_so_far: Option<EpochSoFar>,
    pub diverged: Option<Diverged>,
    /// The network's health after the chunk, when asked for.
    pub health: Option<Health>,
}

/// The index of the largest value (the first one on ties).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Settings of a training run, as the page sends them and the CLI builds them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A preset name ([`presets::PRESETS`]).
    pub model: String,
    pub optimizer: OptimizerConfig,
    pub batch: usize,
    pub seed: u64,
}

impl Settings {
    /// Checks every setting against the [`vocabulary`]'s limits.
    pub fn validate(&self) -> Result<()> {
        presets::arch(&self.model)?;
        self.optimizer.validate("optimizer")?;
        vocabulary::BATCH.check_count("batch", self.batch)?;
        vocabulary::SEED.check("seed", self.seed as f64)
    }
}

/// A trainer with the settings it was made from, what its model file said about it, and the
/// timeline of its snapshots.
#[derive(Debug, Clone)]
pub struct Run {
    pub settings: Settings,
    pub trainer: Trainer,
    /// The `info` of the model file it came from (null for a fresh model).
    pub info: serde_json::Value,
    pub timeline: Timeline,
}

/// A snapshot taken for the timeline: its model file, what the timeline knows of it, and the
/// snapshots let go to make room.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub bytes: Vec<u8>,
    pub entry: Entry,
    pub dropped: Vec<u64>,
}

/// What the page's model card and status line show about a run.
#[derive(Debug, Clone, Serialize)]
pub struct Description {
    pub settings: Settings,
    pub arch: Arch,
    pub params: usize,
    pub step: u64,
    pub epoch: usize,
    pub info: serde_json::Value,
}

impl Run {
    /// A fresh preset with the weights of `settings.seed`; bad settings give a message naming the
    /// field.
    pub fn fresh(settings: Settings) -> Result<Run> {
        settings.validate()?;
        let net = presets::network(&settings.model, settings.seed)?;
        let trainer = Trainer::new(net, settings.optimizer, settings.batch, settings.seed);
        Ok(Run {
            settings,
            trainer,
            info: serde_json::Value::Null,
            timeline: Timeline::default(),
        })
    }

    /// The model in model-file bytes, which must be a digit classifier. `settings` supplies the
    /// batch size and seed for further training, unless the file holds the trainer's place
    /// (whose batch and seed then go on); the file's own optimizer state (and step count) is kept
    /// when it has one, and its `info.model` names the model.
    pub fn from_model_file(bytes: &[u8], mut settings: Settings) -> Result<Run> {
        let model = model_file::load(bytes)?;
        model.network.check_digit_classifier()?;
        let place: Option<Place> = model
            .training
            .map(|t| {
                serde_json::from_value(t).map_err(|e| {
                    Error::new(format!("the model file's training place is not valid: {e}"))
                })
            })
            .transpose()?;
        if let Some(p) = &place {
            vocabulary::BATCH.check_count("training.batch", p.batch)?;
            settings.batch = p.batch;
            settings.seed = p.seed;
        }
        settings.model = model
            .info
            .get("model")
            .and_then(|m| m.as_str())
            .unwrap_or("custom")
            .to_string();
        if let Some(opt) = &model.optimizer {
            settings.optimizer = opt.config();
        }
        let mut trainer = Trainer::new(
            model.network,
            settings.optimizer,
            settings.batch.max(1),
            settings.seed,
        );
        if let Some(opt) = model.optimizer {
            trainer.step = opt.steps();
            trainer.opt = opt;
        }
        if let Some(p) = place {
            trainer.go_to(p);
        }
        Ok(Run {
            settings,
            trainer,
            info: model.info,
            timeline: Timeline::default(),
        })
    }

    /// Up to `max_steps` steps ([`Trainer::run_chunk`]), stopping early at the next step the
    /// timeline wants a snapshot of.
    pub fn train_chunk(&mut self, data: &Dataset, max_steps: usize, health: bool) -> ChunkReport {
        self.train_chunk_helped(data, max_steps, health, None)
    }

    /// [`train_chunk`](Self::train_chunk) with every other shard on another instance of the core
    /// ([`Trainer::run_chunk_helped`]).
    pub fn train_chunk_helped(
        &mut self,
        data: &Dataset,
        max_steps: usize,
        health: bool,
        helper: Option<&mut (dyn ShardHelper + 'static)>,
    ) -> ChunkReport {
        let until = self.timeline.steps_until_due(self.trainer.step);
        let max_steps = max_steps.min(usize::try_from(until).unwrap_or(usize::MAX));
        self.trainer
            .run_chunk_helped(data, max_steps, health, helper)
    }

    /// Whether the timeline wants a snapshot of the model as it is now.
    pub fn snapshot_due(&self) -> bool {
        self.timeline
            .due(self.trainer.step, self.trainer.at_epoch_end())
    }

    /// Takes a snapshot for the timeline (the model file of [`Run::save`], `info` stored with it),
    /// letting others go if it would not fit.
    pub fn snapshot(&mut self, info: serde_json::Value) -> Result<Snapshot> {
        let bytes = self.save(info)?;
        let entry = Entry {
            step: self.trainer.step,
            epoch: self.trainer.epoch,
            epoch_end: self.trainer.at_epoch_end(),
            bytes: bytes.len(),
        };
        let dropped = self.timeline.add(entry);
        Ok(Snapshot {
            bytes,
            entry,
            dropped,
        })
    }

    /// Training goes on from a snapshot of this run (its model file): its weights, its optimizer's
    /// state and its place come back; the snapshots after it are let go (their steps returned).
    /// The learning rate becomes the snapshot's.
    pub fn rewind(&mut self, bytes: &[u8]) -> Result<Vec<u64>> {
        let back = Run::from_model_file(bytes, self.settings.clone())?;
        if back.trainer.net.arch() != self.trainer.net.arch() {
            return Err(Error::new(
                "this snapshot is of another model than the one in training",
            ));
        }
        self.settings = back.settings;
        self.trainer = back.trainer;
        Ok(self.timeline.truncate_after(self.trainer.step))
    }

    pub fn describe(&mut self) -> Description {
        Description {
            settings: self.settings.clone(),
            arch: self.trainer.net.arch(),
            params: self.trainer.net.param_count(),
            step: self.trainer.step,
            epoch: self.trainer.epoch,
            info: self.info.clone(),
        }
    }

    /// Changes the learning rate and keeps the optimizer's state.
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        vocabulary::LEARNING_RATE.check("learning rate", lr)?;
        self.trainer.opt.set_lr(lr);
        self.settings.optimizer = self.trainer.opt.config();
        Ok(())
    }

    /// The model, its optimizer state and the trainer's place as model-file bytes; `info` is
    /// stored with it, with `model` set to this run's model name when `info` is an object.
    pub fn save(&mut self, mut info: serde_json::Value) -> Result<Vec<u8>> {
        if let serde_json::Value::Object(m) = &mut info {
            m.insert("model".into(), self.settings.model.clone().into());
        }
        let place = serde_json::to_value(self.trainer.place()).expect("plain data");
        model_file::save_with_training(
            &mut self.trainer.net,
            Some(&self.trainer.opt),
            Some(&place),
            &info,
        )
    }
}

/// Accuracy, mean loss and confusion matrix on a data set.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub count: usize,
    pub correct: usize,
    pub accuracy: f64,
    pub loss: f64,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u32>>,
    /// Indices of misclassified examples, in data-set order.
    pub misclassified: Vec<usize>,
    /// The predicted class of every example.
    pub predictions: Vec<u8>,
}

/// Evaluation in pieces: the browser worker evaluates a few hundred examples at a time and
/// answers messages in between; the CLI runs it to the end with [`evaluate`].
#[derive(Debug, Clone)]
pub struct Evaluator {
    pos: usize,
    correct: usize,
    loss_sum: f64,
    confusion: Vec<Vec<u32>>,
    misclassified: Vec<usize>,
    predictions: Vec<u8>,
    x: Vec<f32>,
    y: Vec<usize>,
    parallel: DataParallel,
}

impl Evaluator {
    pub fn new(classes: usize) -> Self {
        Evaluator {
            pos: 0,
            correct: 0,
            loss_sum: 0.0,
            confusion: vec![vec![0; classes]; classes],
            misclassified: Vec::new(),
            predictions: Vec::new(),
            x: Vec::new(),
            y: Vec::new(),
            parallel: DataParallel::default(),
        }
    }

    /// Examples evaluated so far.
    pub fn done(&self) -> usize {
        self.pos
    }

    /// Evaluates up to `count` more examples, in batches of `batch`; true when all are done.
    pub fn run(&mut self, net: &mut Network, data: &Dataset, count: usize, batch: usize) -> bool {
        let features: usize = net.input_shape.iter().product();
        let end = (self.pos + count).min(data.len());
        let indices: Vec<usize> = (self.pos..end).collect();
        self.x.resize(batch * features, 0.0);
        self.y.resize(batch, 0);
        for chunk in indices.chunks(batch) {
            let n = chunk.len();
            data.fill_batch(chunk, &mut self.x[..n * features], &mut self.y[..n]);
            let out = self.parallel.forward(net, &self.x[..n * features], n);
            let l = Loss::SoftmaxCrossEntropy
                .forward_backward(out.view(), &Targets::Labels(self.y[..n].to_vec()));
            self.loss_sum += l.loss as f64 * n as f64;
            for ((row, &label), &idx) in out.rows().into_iter().zip(&self.y[..n]).zip(chunk) {
                let p = argmax(row.as_slice().expect("contiguous"));
                self.confusion[label][p] += 1;
                self.predictions.push(p as u8);
                if p == label {
                    self.correct += 1;
                } else {
                    self.misclassified.push(idx);
                }
            }
        }
        self.pos = end;
        self.pos >= data.len()
    }

    pub fn finish(self) -> Evaluation {
        let count = self.pos;
        Evaluation {
            count,
            correct: self.correct,
            accuracy: self.correct as f64 / count.max(1) as f64,
            loss: self.loss_sum / count.max(1) as f64,
            confusion: self.confusion,
            misclassified: self.misclassified,
            predictions: self.predictions,
        }
    }
}

/// Evaluates `net` (dropout off) on all of `data` in batches of `batch`.
pub fn evaluate(net: &mut Network, data: &Dataset, batch: usize) -> Evaluation {
    let mut e = Evaluator::new(net.outputs());
    e.run(net, data, data.len(), batch);
    e.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    fn digits(n: usize) -> Dataset {
        crate::data::mnist::synthetic(n)
    }

    #[test]
    fn an_epoch_visits_every_example_once() {
        let data = digits(100);
        let net = Network::from_arch(&presets::arch("mlp-64").unwrap(), 1).unwrap();
        let mut t = Trainer::new(net, OptimizerConfig::default(), 32, 1);
        assert_eq!(t.steps_per_epoch(100), 4);
        let sizes: Vec<usize> = (0..4).map(|_| t.step(&data).unwrap().batch).collect();
        assert_eq!(sizes, vec![32, 32, 32, 4], "the last batch holds the rest");
        assert_eq!(t.epoch, 1);
        let mut seen = t.order.clone();
        seen.sort();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn divergence_restores_the_last_good_state() {
        let data = digits(200);
        let net = Network::from_arch(&presets::arch("mlp-64").unwrap(), 1).unwrap();
        let opt = OptimizerConfig::Sgd {
            lr: 0.01,
            momentum: 0.0,
        };
        let mut t = Trainer::new(net, opt, 4, 1);
        for _ in 0..150 {
            t.step(&data).unwrap();
        }
        let good: Vec<f32> = t.net.params()[0].value.to_vec();
        t.opt.set_lr(1e30);
        let diverged = (0..10)
            .find_map(|_| t.step(&data).err())
            .expect("a learning rate of 10³⁰ diverges");
        assert!(!diverged.loss.is_finite());
        assert_eq!(
            (diverged.step, diverged.restored_step),
            (151, 100),
            "back to the checkpoint of step 100"
        );
        assert_eq!(
            t.step, diverged.restored_step,
            "the step count goes back with the weights"
        );
        assert_eq!(t.opt.steps(), diverged.restored_step);
        assert!(t.net.is_finite());
        assert_ne!(
            t.net.params()[0].value.to_vec(),
            good,
            "the weights of step 100, not 150"
        );
        assert_eq!(t.opt.config().lr(), 1e30, "the user's setting is kept");
        // With a sane learning rate, training goes on from there.
        t.opt.set_lr(0.01);
        assert!(t.step(&data).unwrap().loss.is_finite());
    }

    #[test]
    fn the_trainer_knows_its_place_in_the_epoch_and_the_epoch_loss() {
        let data = digits(100);
        let net = presets::network("mlp-64", 1).unwrap();
        let mut t = Trainer::new(net, OptimizerConfig::default(), 32, 1);
        let mut plain = t.clone();
        // The same steps one at a time: batch sizes 32, 32, 32, 4; their losses and right answers.
        let outcomes: Vec<StepOutcome> = (0..4).map(|_| plain.step(&data).unwrap()).collect();

        let a = t.run_chunk(&data, 3, false);
        assert_eq!((a.steps, a.step_in_epoch, a.steps_per_epoch), (3, 3, 4));
        assert!(!a.epoch_done);
        assert_eq!((a.seen, a.epoch, a.step), (96, 0, 3));
        let b = t.run_chunk(&data, 10, false);
        assert_eq!(b.steps, 1, "a chunk stops at the end of the epoch");
        assert!(b.epoch_done);
        assert_eq!((b.step_in_epoch, b.epoch, b.step), (4, 1, 4));
        let losses: Vec<f32> = a.losses.iter().chain(&b.losses).copied().collect();
        assert_eq!(losses, outcomes.iter().map(|o| o.loss).collect::<Vec<_>>());

        // The epoch's loss is the mean over examples: the short last batch weighs 4/100.
        let so_far = b.epoch_so_far.unwrap();
        let weighted: f64 = outcomes
            .iter()
            .map(|o| f64::from(o.loss) * o.batch as f64)
            .sum();
        assert_eq!(so_far.loss, weighted / 100.0);
        let correct: usize = outcomes.iter().map(|o| o.correct).sum();
        assert_eq!(so_far.accuracy, correct as f64 / 100.0);
        assert_eq!(so_far.seen, 100);

        // The next step starts the next epoch from zero.
        let c = t.run_chunk(&data, 1, false);
        assert_eq!(
            (c.step_in_epoch, c.epoch, c.epoch_so_far.unwrap().seen),
            (1, 1, 32)
        );
    }

    #[test]
    fn after_divergence_the_place_in_the_epoch_is_the_restored_one() {
        let data = digits(1000);
        let net = presets::network("mlp-64", 1).unwrap();
        let opt = OptimizerConfig::Sgd {
            lr: 0.01,
            momentum: 0.0,
        };
        // 250 steps per epoch: the checkpoint of step 100 lies in the first epoch.
        let mut t = Trainer::new(net, opt, 4, 1);
        let before = t.run_chunk(&data, 150, false);
        assert_eq!(before.step_in_epoch, 150);
        t.opt.set_lr(1e30);
        let r = t.run_chunk(&data, 10, false);
        let d = r.diverged.expect("a learning rate of 10³⁰ diverges");
        assert_eq!((r.step, r.step_in_epoch, r.epoch), (100, 100, 0));
        assert_eq!(
            r.epoch_so_far.unwrap().seen,
            400,
            "the epoch's counts of step 100"
        );
        let json = serde_json::to_value(d).unwrap();
        assert_eq!(json["restored_step"], 100);
        assert!(json["message"]
            .as_str()
            .unwrap()
            .ends_with("the weights of step 100 were restored. Try a smaller learning rate."));
    }

    #[test]
    fn after_divergence_a_smaller_learning_rate_is_suggested() {
        let sgd = |lr| OptimizerConfig::Sgd { lr, momentum: 0.9 };
        // Far above SGD's usual 0.05: the usual rate; near it: a tenth, to two digits.
        assert_eq!(smaller_learning_rate(&sgd(1e20)), 0.05);
        assert_eq!(smaller_learning_rate(&sgd(0.37)), 0.037);
        assert_eq!(smaller_learning_rate(&sgd(0.123)), 0.012);
        let adam = vocabulary::OptimizerKind::Adam.config(Some(0.5));
        assert_eq!(smaller_learning_rate(&adam), 0.001);
        assert_eq!(
            smaller_learning_rate(&vocabulary::OptimizerKind::Adam.config(None)),
            0.0001
        );
    }

    #[test]
    fn settings_are_checked_against_the_vocabulary() {
        let ok = Settings {
            model: "mlp-64".into(),
            optimizer: OptimizerConfig::default(),
            batch: 64,
            seed: 1,
        };
        Run::fresh(ok.clone()).unwrap();
        let bad = |s: Settings| Run::fresh(s).unwrap_err().to_string();
        assert_eq!(
            bad(Settings {
                batch: 5000,
                ..ok.clone()
            }),
            "batch: expected a whole number from 1 to 4096, found 5000"
        );
        assert_eq!(
            bad(Settings {
                model: "resnet".into(),
                ..ok.clone()
            }),
            "unknown model 'resnet'; choose one of mlp-64, mlp-128, cnn, mlp-512-dropout"
        );
        assert_eq!(
            bad(Settings {
                seed: 1 << 53,
                ..ok
            }),
            "seed: expected a whole number from 0 to 9007199254740991, found 9007199254740992"
        );
    }

    #[test]
    fn a_run_saved_and_loaded_keeps_its_model_name_steps_and_optimizer() {
        let data = digits(64);
        let settings = Settings {
            model: "mlp-64".into(),
            optimizer: OptimizerConfig::Sgd {
                lr: 0.05,
                momentum: 0.9,
            },
            batch: 16,
            seed: 3,
        };
        let mut run = Run::fresh(settings.clone()).unwrap();
        run.trainer.run_chunk(&data, 3, false);
        run.set_learning_rate(0.02).unwrap();
        assert_eq!(
            run.set_learning_rate(0.0).unwrap_err().to_string(),
            "learning rate: expected a positive number, found 0"
        );
        let bytes = run.save(serde_json::json!({"note": "x"})).unwrap();
        let other = Settings {
            model: "cnn".into(),
            optimizer: OptimizerConfig::default(),
            batch: 32,
            seed: 9,
        };
        let mut back = Run::from_model_file(&bytes, other.clone()).unwrap();
        let d = back.describe();
        assert_eq!(d.settings.model, "mlp-64", "the file names its model");
        assert_eq!(
            d.settings.optimizer,
            OptimizerConfig::Sgd {
                lr: 0.02,
                momentum: 0.9
            }
        );
        assert_eq!(
            (d.settings.batch, d.settings.seed, d.step),
            (16, 3, 3),
            "the file's place keeps its batch and seed"
        );
        assert_eq!(d.info["note"], "x");
        assert_eq!(d.params, run.describe().params);
        // A file without a place (saved by another program, or before places were saved) takes
        // the batch and seed it is given.
        let plain = model_file::save(
            &mut run.trainer.net,
            Some(&run.trainer.opt),
            &serde_json::Value::Null,
        )
        .unwrap();
        let d = Run::from_model_file(&plain, other).unwrap().describe();
        assert_eq!((d.settings.batch, d.settings.seed, d.step), (32, 9, 3));
    }

    /// The losses of `steps` more steps, and the weights after them.
    fn go_on(run: &mut Run, data: &Dataset, steps: usize) -> (Vec<f32>, Vec<f32>) {
        let losses = (0..steps)
            .map(|_| run.trainer.step(data).unwrap().loss)
            .collect();
        (losses, run.trainer.net.params()[0].value.to_vec())
    }

    #[test]
    fn a_model_saved_mid_epoch_goes_on_with_the_very_same_batches() {
        // 100 examples in batches of 16: 7 steps an epoch. Saved at step 10, in the second epoch.
        let data = digits(100);
        let settings = Settings {
            model: "mlp-64".into(),
            optimizer: OptimizerConfig::default(),
            batch: 16,
            seed: 5,
        };
        let mut run = Run::fresh(settings.clone()).unwrap();
        run.trainer.run_chunk(&data, 7, false);
        run.trainer.run_chunk(&data, 3, false);
        assert_eq!((run.trainer.epoch, run.trainer.step_in_epoch()), (1, 3));
        let bytes = run.save(serde_json::Value::Null).unwrap();
        let mut back = Run::from_model_file(
            &bytes,
            Settings {
                batch: 64,
                seed: 77,
                ..settings
            },
        )
        .unwrap();
        assert_eq!(back.trainer.epoch, 1, "the epoch count comes back at once");
        let so_far = run.trainer.epoch_so_far();
        let (a, b) = (go_on(&mut run, &data, 12), go_on(&mut back, &data, 12));
        assert_eq!(
            a, b,
            "the same losses and weights, bit for bit, across an epoch's end"
        );
        assert_eq!(back.trainer.epoch, 3);
        // The epoch's sums came back too: the second epoch's loss counts its first 3 steps.
        let mut again = Run::from_model_file(&bytes, back.settings.clone()).unwrap();
        let r = again.trainer.run_chunk(&data, 10, false);
        assert!(r.epoch_done);
        assert_eq!(r.epoch_so_far.unwrap().seen, 100);
        assert!(so_far.unwrap().seen == 48);
    }

    #[test]
    fn snapshots_follow_the_schedule_and_training_continues_exactly_from_any() {
        let data = digits(200);
        let settings = Settings {
            model: "mlp-64".into(),
            optimizer: OptimizerConfig::default(),
            batch: 16,
            seed: 2,
        };
        // 13 steps an epoch; two epochs in chunks of up to 5 steps.
        let mut run = Run::fresh(settings).unwrap();
        let mut kept = std::collections::BTreeMap::new();
        loop {
            if run.snapshot_due() {
                let s = run.snapshot(serde_json::json!({})).unwrap();
                assert!(s.dropped.is_empty(), "everything fits");
                kept.insert(s.entry.step, s.bytes);
            }
            if run.trainer.step >= 26 {
                break;
            }
            let r = run.train_chunk(&data, 5, false);
            assert!(r.steps >= 1 && r.steps <= 5);
        }
        let steps: Vec<u64> = kept.keys().copied().collect();
        assert_eq!(
            steps,
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 19, 23, 26]
        );
        let ends: Vec<u64> = run
            .timeline
            .entries()
            .iter()
            .filter(|e| e.epoch_end)
            .map(|e| e.step)
            .collect();
        assert_eq!(ends, vec![13, 26], "the epochs' ends");
        assert_eq!(
            run.timeline.bytes(),
            kept.values().map(Vec::len).sum::<usize>()
        );

        // Back to step 8, from a copy of the run at step 26: the same 10 steps as the run took.
        let mut from8 = run.clone();
        let gone = from8.rewind(&kept[&8]).unwrap();
        assert_eq!(gone, vec![10, 11, 13, 16, 19, 23, 26]);
        assert_eq!((from8.trainer.step, from8.trainer.epoch), (8, 0));
        let mut original = Run::from_model_file(&kept[&8], run.settings.clone()).unwrap();
        let again = go_on(&mut from8, &data, 10);
        let first_time = {
            let mut fresh = Run::fresh(run.settings.clone()).unwrap();
            go_on(&mut fresh, &data, 8);
            go_on(&mut fresh, &data, 10)
        };
        assert_eq!(
            again, first_time,
            "continuing from step 8 is the run itself"
        );
        assert_eq!(go_on(&mut original, &data, 10), first_time);
        // A snapshot of another model is refused.
        let other = Run::fresh(Settings {
            model: "mlp-128".into(),
            ..run.settings.clone()
        })
        .unwrap()
        .save(serde_json::Value::Null)
        .unwrap();
        assert_eq!(
            run.rewind(&other).unwrap_err().to_string(),
            "this snapshot is of another model than the one in training"
        );
    }

    #[test]
    fn a_chunk_reports_health_from_its_last_steps() {
        let data = digits(500);
        let net = presets::network("mlp-64", 1).unwrap();
        let mut t = Trainer::new(net, OptimizerConfig::default(), 16, 1);
        assert!(t.run_chunk(&data, 10, false).health.is_none());
        let r = t.run_chunk(&data, 10, true);
        let h = r.health.expect("asked for");
        // A window of 64 examples: the chunk's last 4 steps of 16.
        assert_eq!((h.step, h.window), (20, 64));
        assert_eq!(
            h.layers.iter().map(|l| l.index).collect::<Vec<_>>(),
            vec![0, 2]
        );
        let relu = h.layers[0]
            .activation
            .as_ref()
            .expect("a ReLU follows layer 0");
        assert_eq!((relu.index, relu.count), (1, 64));
        // The numbers are the network's own after the chunk.
        assert_eq!(h, t.health());
        assert!(h
            .layers
            .iter()
            .all(|l| l.update_ratio > 0.0 && l.grad_norm > 0.0));
        assert!(
            h.warning.is_none(),
            "Adam's defaults are no cause for alarm"
        );
        // One step at a time, the window fills over four chunks.
        let mut t = Trainer::new(
            presets::network("mlp-64", 1).unwrap(),
            OptimizerConfig::default(),
            16,
            1,
        );
        let windows: Vec<usize> = (0..5)
            .map(|_| t.run_chunk(&data, 1, true).health.unwrap().window)
            .collect();
        assert_eq!(windows, vec![0, 0, 0, 64, 64]);
    }

    #[test]
    fn a_huge_learning_rate_is_warned_of_before_it_diverges() {
        let data = digits(1000);
        let net = presets::network("mlp-64", 1).unwrap();
        let opt = OptimizerConfig::Sgd {
            lr: 1e6,
            momentum: 0.9,
        };
        let mut t = Trainer::new(net, opt, 16, 1);
        let mut warnings = Vec::new();
        let diverged = loop {
            let r = t.run_chunk(&data, 1, true);
            if let Some(d) = r.diverged {
                break d.step;
            }
            if let Some(w) = r.health.unwrap().warning {
                warnings.push((r.step, w));
            }
            assert!(r.step < 100, "a learning rate of 10⁶ diverges");
        };
        let (first, w) = &warnings[0];
        assert_eq!(*first, 1, "the first step is warned of");
        assert!(
            *first < diverged,
            "before the loss becomes NaN at step {diverged}"
        );
        assert!(w.update_ratio >= vocabulary::UPDATE_RATIO.alarm.unwrap());
        assert_eq!(
            (w.lr, w.suggested_lr),
            (1e6, 0.05),
            "SGD's usual rate, as after a divergence"
        );
        // The same run at Adam's defaults: no warning in 300 steps.
        let mut t = Trainer::new(
            presets::network("mlp-64", 1).unwrap(),
            OptimizerConfig::default(),
            16,
            1,
        );
        for _ in 0..300 {
            assert!(t
                .run_chunk(&data, 1, true)
                .health
                .unwrap()
                .warning
                .is_none());
        }
    }
}
