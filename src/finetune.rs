//! Fine-tuning on your own digits: the trained model keeps learning, from a handful of digits a
//! user drew and labelled, without forgetting MNIST.
//!
//! Trained on a few dozen digits alone, a network would bend itself to them and lose what 60,000
//! taught it ("catastrophic forgetting"). So every batch mixes the two: a stated share
//! ([`FineTuneConfig::user_share`]) of the user's digits, the rest drawn at random from MNIST's
//! training set ([`Mixer`]). The user's digits come round in shuffled passes, so each is seen
//! equally often. The step itself is an ordinary training step ([`Trainer::step`], with its
//! divergence guard) on that mixed batch, with a fresh Adam at a small learning rate.
//!
//! Whether it helped is measured on digits it did not learn from: part of the user's set is held
//! out ([`hold_out`], the same share of every digit) and, with MNIST's test set, evaluated before
//! and after ([`crate::train::evaluate`]). One seed fixes the split, the batches and the run.
//!
//! Next: [`crate::summary`]; [`crate::data::mnist`] writes and reads a user's set as IDX files.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::mnist::{Dataset, Images, SIDE};
use crate::error::{Error, Result};
use crate::network::Network;
use crate::optim::{AdamConfig, OptimizerConfig};
use crate::train::{evaluate, Diverged, Evaluation, Evaluator, StepOutcome, Trainer};
use crate::vocabulary::{self, MAX_OWN_DIGITS};

/// The settings of one fine-tuning run; [`Default`] gives the page's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FineTuneConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Examples per batch, user's and MNIST's together.
    pub batch: usize,
    /// The share of each batch taken from the user's digits, in (0, 1].
    pub user_share: f64,
    /// Adam's learning rate: a tenth to a third of training's, so the model moves, not jumps.
    pub lr: f64,
    /// The share of the user's digits held out to measure the result, in [0, 1).
    pub holdout: f64,
    /// Fixes the held-out split, the batches and the run.
    pub seed: u64,
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        FineTuneConfig {
            steps: 200,
            batch: 32,
            user_share: 0.25,
            lr: 3e-4,
            holdout: 0.25,
            seed: 1,
        }
    }
}

/// The most steps one run takes (a few seconds of the CNN in the browser per 100 steps).
pub const MAX_STEPS: usize = 5_000;
/// The largest batch.
pub const MAX_BATCH: usize = 256;

impl FineTuneConfig {
    /// Every setting in range, or an error naming the first that is not.
    pub fn validate(&self) -> Result<()> {
        vocabulary::FINETUNE_STEPS.check_count("steps", self.steps)?;
        if !(1..=MAX_BATCH).contains(&self.batch) {
            return Err(Error::at(
                "batch",
                format!("expected 1 to {MAX_BATCH}, found {}", self.batch),
            ));
        }
        vocabulary::USER_SHARE.check("user_share", self.user_share)?;
        vocabulary::HOLDOUT.check("holdout", self.holdout)?;
        vocabulary::LEARNING_RATE.check("lr", self.lr)?;
        Ok(())
    }

    /// How many of each batch are the user's: `round(user_share · batch)`, at least 1.
    pub fn user_per_batch(&self) -> usize {
        ((self.user_share * self.batch as f64).round() as usize).clamp(1, self.batch)
    }
}

/// Which of the user's digits train and which are held out to measure the result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Split {
    /// Indices into the user's set, ascending.
    pub train: Vec<usize>,
    pub held_out: Vec<usize>,
}

/// Holds out `round(share · n_d)` of the `n_d` digits of each class `d` (chosen by `seed`), but
/// never a class's last one: every digit the user labelled can be learnt from. Per class, so a
/// set of many 7s and few 1s is measured on both.
pub fn hold_out(labels: &[u8], share: f64, seed: u64) -> Split {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut held = vec![false; labels.len()];
    for digit in 0..=9u8 {
        let mut of_digit: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == digit).collect();
        shuffle(&mut of_digit, &mut rng);
        let n = ((share * of_digit.len() as f64).round() as usize)
            .min(of_digit.len().saturating_sub(1));
        for &i in &of_digit[..n] {
            held[i] = true;
        }
    }
    let (held_out, train) = (0..labels.len()).partition(|&i| held[i]);
    Split { train, held_out }
}

fn shuffle(v: &mut [usize], rng: &mut ChaCha8Rng) {
    // Fisher–Yates.
    for i in (1..v.len()).rev() {
        v.swap(i, rng.random_range(0..=i));
    }
}

/// Makes the mixed batches: `user` of the user's digits (shuffled passes over their set) and
/// `batch − user` random MNIST training digits, as one small [`Dataset`] per step.
#[derive(Debug, Clone)]
pub struct Mixer {
    user: Dataset,
    per_batch_user: usize,
    per_batch_mnist: usize,
    order: Vec<usize>,
    pos: usize,
    rng: ChaCha8Rng,
}

impl Mixer {
    pub fn new(user: Dataset, config: &FineTuneConfig) -> Result<Mixer> {
        if user.is_empty() {
            return Err(Error::new(
                "there are no digits of yours to learn from: label and keep some drawings first",
            ));
        }
        let per_batch_user = config.user_per_batch();
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        // A stream of its own, apart from the held-out split's.
        rng.set_stream(2);
        Ok(Mixer {
            order: (0..user.len()).collect(),
            pos: user.len(),
            user,
            per_batch_user,
            per_batch_mnist: config.batch - per_batch_user,
            rng,
        })
    }

    /// The next batch: the user's digits first, then MNIST's (the order in a batch does not
    /// change its gradient, an average over the batch).
    pub fn next_batch(&mut self, mnist: &Dataset) -> Dataset {
        assert!(
            self.per_batch_mnist == 0 || !mnist.is_empty(),
            "a mixed batch needs MNIST's training digits"
        );
        let n = self.user.pixels_per_image();
        let size = self.per_batch_user + self.per_batch_mnist;
        let mut images = Vec::with_capacity(size * n);
        let mut labels = Vec::with_capacity(size);
        for _ in 0..self.per_batch_user {
            if self.pos == self.order.len() {
                shuffle(&mut self.order, &mut self.rng);
                self.pos = 0;
            }
            let i = self.order[self.pos];
            self.pos += 1;
            images.extend_from_slice(self.user.image(i));
            labels.push(self.user.label(i));
        }
        for _ in 0..self.per_batch_mnist {
            let i = self.rng.random_range(0..mnist.len());
            images.extend_from_slice(mnist.image(i));
            labels.push(mnist.label(i));
        }
        Dataset {
            images,
            labels,
            count: size,
            rows: self.user.rows,
            cols: self.user.cols,
        }
    }
}

/// One fine-tuning run in progress: the worker takes a few steps at a time between messages.
#[derive(Debug, Clone)]
pub struct FineTune {
    pub trainer: Trainer,
    pub config: FineTuneConfig,
    mixer: Mixer,
    /// Steps taken.
    pub done: usize,
}

impl FineTune {
    /// Starts fine-tuning `net` on the user's training digits `user` with a fresh Adam.
    pub fn new(net: Network, user: Dataset, config: FineTuneConfig) -> Result<FineTune> {
        config.validate()?;
        net.check_digit_classifier()?;
        let mixer = Mixer::new(user, &config)?;
        let opt = OptimizerConfig::Adam(AdamConfig {
            lr: config.lr,
            ..AdamConfig::default()
        });
        Ok(FineTune {
            trainer: Trainer::new(net, opt, config.batch, config.seed),
            config,
            mixer,
            done: 0,
        })
    }

    /// One step on the next mixed batch. Its `epoch_done` is meaningless here (every batch is a
    /// data set of its own); [`FineTune::finished`] says when the run is over.
    pub fn step(&mut self, mnist: &Dataset) -> std::result::Result<StepOutcome, Diverged> {
        let batch = self.mixer.next_batch(mnist);
        let outcome = self.trainer.step(&batch)?;
        self.done += 1;
        Ok(outcome)
    }

    pub fn finished(&self) -> bool {
        self.done >= self.config.steps
    }
}

/// The user's digits as a data set: `pixels` holds `labels.len()` images of 28x28 grey levels
/// (0 background, 255 ink), as the page keeps them. At most [`MAX_OWN_DIGITS`].
pub fn own_set(pixels: &[u8], labels: &[u8]) -> Result<Dataset> {
    let n = labels.len();
    if pixels.len() != n * SIDE * SIDE {
        return Err(Error::new(format!(
            "{n} labels need {} bytes of pixels ({SIDE}x{SIDE} each), found {}",
            n * SIDE * SIDE,
            pixels.len()
        )));
    }
    check_own_count(n)?;
    if let Some(i) = labels.iter().position(|&l| l > 9) {
        return Err(Error::new(format!(
            "label {i} is {}, expected a digit 0 to 9",
            labels[i]
        )));
    }
    Dataset::new(
        Images {
            count: n,
            rows: SIDE,
            cols: SIDE,
            pixels: pixels.to_vec(),
        },
        labels.to_vec(),
    )
}

fn check_own_count(n: usize) -> Result<()> {
    if n > MAX_OWN_DIGITS {
        return Err(Error::new(format!(
            "{n} digits are more than the {MAX_OWN_DIGITS} this page keeps of your own"
        )));
    }
    Ok(())
}

/// A pair of IDX files (images, labels) read back as the user's digits: any error is the IDX
/// reader's, naming the file it is about.
pub fn own_set_from_idx(images: &[u8], labels: &[u8]) -> Result<Dataset> {
    let set = Dataset::from_idx(images, labels)?;
    check_own_count(set.len())?;
    Ok(set)
}

/// Accuracy and loss of one network on one set, as the page shows a before/after pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub count: usize,
    pub correct: usize,
    pub accuracy: f64,
    pub loss: f64,
}

impl From<&Evaluation> for Score {
    fn from(e: &Evaluation) -> Score {
        Score {
            count: e.count,
            correct: e.correct,
            accuracy: e.accuracy,
            loss: e.loss,
        }
    }
}

/// A model's scores before or after fine-tuning: on the user's held-out digits (none when none
/// was held out) and on MNIST's test set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub held_out: Option<Score>,
    pub mnist_test: Score,
}

/// Where a [`Session`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Measuring the model as it was.
    Before,
    Training,
    /// Measuring the fine-tuned model.
    After,
    Done,
}

/// What a [`Session`] has done so far, for the page's progress and results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    pub steps_done: usize,
    pub steps: usize,
    /// MNIST test digits evaluated in the current measuring phase, of `mnist_test`.
    pub evaluated: usize,
    pub mnist_test: usize,
    /// The user's digits learnt from and held out.
    pub train_count: usize,
    pub held_out_count: usize,
    /// The mean loss of the last step's mixed batch.
    pub loss: Option<f32>,
    pub before: Option<Scores>,
    pub after: Option<Scores>,
}

/// A whole fine-tuning run, done a piece at a time ([`Session::advance`]) so that the worker
/// answers messages in between: measure the model as it was (held-out digits, MNIST's test
/// set), fine-tune, measure again.
#[derive(Debug, Clone)]
pub struct Session {
    original: Network,
    run: FineTune,
    held_out: Dataset,
    phase: Phase,
    evaluator: Evaluator,
    held_out_score: Option<Score>,
    progress: Progress,
    /// The MNIST test evaluation of the fine-tuned model, whole (the page's results panel shows it).
    pub after_evaluation: Option<Evaluation>,
}

/// Examples per batch when measuring.
const EVAL_BATCH: usize = 250;

impl Session {
    /// Splits the user's digits ([`hold_out`]) and sets up the run; nothing is computed yet.
    pub fn new(net: Network, user: Dataset, config: FineTuneConfig) -> Result<Session> {
        config.validate()?;
        let split = hold_out(&user.labels, config.holdout, config.seed);
        let held_out = user.select(&split.held_out);
        let run = FineTune::new(net.clone(), user.select(&split.train), config)?;
        let classes = net.outputs();
        Ok(Session {
            progress: Progress {
                phase: Phase::Before,
                steps_done: 0,
                steps: config.steps,
                evaluated: 0,
                mnist_test: 0,
                train_count: split.train.len(),
                held_out_count: split.held_out.len(),
                loss: None,
                before: None,
                after: None,
            },
            original: net,
            run,
            held_out,
            phase: Phase::Before,
            evaluator: Evaluator::new(classes),
            held_out_score: None,
            after_evaluation: None,
        })
    }

    /// Up to `max_steps` training steps or `max_examples` test digits evaluated, whichever the
    /// current phase does, then the progress. Divergence ends the run with the trainer's words.
    pub fn advance(
        &mut self,
        mnist_train: &Dataset,
        mnist_test: &Dataset,
        max_steps: usize,
        max_examples: usize,
    ) -> Result<&Progress> {
        self.progress.mnist_test = mnist_test.len();
        match self.phase {
            Phase::Before | Phase::After => {
                let before = self.phase == Phase::Before;
                let net = if before {
                    &mut self.original
                } else {
                    &mut self.run.trainer.net
                };
                if self.held_out_score.is_none() {
                    self.held_out_score = Some((&evaluate(net, &self.held_out, EVAL_BATCH)).into());
                }
                let finished = self
                    .evaluator
                    .run(net, mnist_test, max_examples.max(1), EVAL_BATCH);
                self.progress.evaluated = self.evaluator.done();
                if finished {
                    let classes = net.outputs();
                    let e =
                        std::mem::replace(&mut self.evaluator, Evaluator::new(classes)).finish();
                    let held = self.held_out_score.take().expect("measured first");
                    let scores = Scores {
                        held_out: (!self.held_out.is_empty()).then_some(held),
                        mnist_test: (&e).into(),
                    };
                    if before {
                        self.progress.before = Some(scores);
                        self.phase = Phase::Training;
                    } else {
                        self.progress.after = Some(scores);
                        self.after_evaluation = Some(e);
                        self.phase = Phase::Done;
                    }
                    self.progress.evaluated = 0;
                }
            }
            Phase::Training => {
                for _ in 0..max_steps.max(1) {
                    if self.run.finished() {
                        break;
                    }
                    let outcome = self.run.step(mnist_train).map_err(|d| {
                        Error::new(format!(
                            "fine-tuning stopped at step {}: the loss became {} (the model is \
                             unchanged); try fewer steps or a smaller share of your digits",
                            d.step, d.loss
                        ))
                    })?;
                    self.progress.loss = Some(outcome.loss);
                }
                self.progress.steps_done = self.run.done;
                if self.run.finished() {
                    self.phase = Phase::After;
                }
            }
            Phase::Done => {}
        }
        self.progress.phase = self.phase;
        Ok(&self.progress)
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// The fine-tuned network.
    pub fn network(&self) -> &Network {
        &self.run.trainer.net
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::mnist::Images;

    /// `n` images whose every pixel is `fill + i` and whose label is `i % 10`: each image tells
    /// where it came from.
    fn set(n: usize, fill: u8) -> Dataset {
        let pixels = (0..n)
            .flat_map(|i| [fill.wrapping_add(i as u8); 784])
            .collect();
        let labels = (0..n).map(|i| (i % 10) as u8).collect();
        Dataset::new(
            Images {
                count: n,
                rows: 28,
                cols: 28,
                pixels,
            },
            labels,
        )
        .unwrap()
    }

    #[test]
    fn each_batch_takes_the_stated_share_and_every_user_digit_comes_round() {
        let (user, mnist) = (set(10, 0), set(50, 100));
        let config = FineTuneConfig {
            batch: 8,
            user_share: 0.25,
            ..FineTuneConfig::default()
        };
        assert_eq!(config.user_per_batch(), 2);
        let mut mixer = Mixer::new(user, &config).unwrap();
        let mut seen = Vec::new();
        for _ in 0..5 {
            let b = mixer.next_batch(&mnist);
            assert_eq!(b.len(), 8);
            let from_user: Vec<u8> = (0..8).map(|i| b.image(i)[0]).filter(|&p| p < 100).collect();
            assert_eq!(from_user.len(), 2, "2 of 8 are the user's");
            seen.extend(from_user);
        }
        // Five batches of two: one whole shuffled pass over the ten user digits.
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<u8>>());
    }

    #[test]
    fn the_held_out_part_is_per_class_and_keeps_one_of_each_to_learn() {
        // Eight 7s, four 1s, one 3.
        let labels: Vec<u8> = [[7; 8].as_slice(), &[1; 4], &[3]].concat();
        let split = hold_out(&labels, 0.25, 1);
        let held: Vec<u8> = split.held_out.iter().map(|&i| labels[i]).collect();
        assert_eq!(held.iter().filter(|&&d| d == 7).count(), 2);
        assert_eq!(held.iter().filter(|&&d| d == 1).count(), 1);
        assert!(!held.contains(&3), "the only 3 is kept for learning");
        let mut all = [split.train.clone(), split.held_out.clone()].concat();
        all.sort();
        assert_eq!(all, (0..13).collect::<Vec<_>>());
        assert_eq!(
            hold_out(&labels, 0.25, 1),
            split,
            "the same seed, the same split"
        );
        assert_ne!(hold_out(&labels, 0.25, 2), split);
        assert!(hold_out(&labels, 0.0, 1).held_out.is_empty());
    }

    #[test]
    fn the_same_seed_gives_the_same_run() {
        let (user, mnist) = (set(12, 0), set(40, 60));
        let run = |seed: u64| {
            let net = crate::presets::network("mlp-64", 1).unwrap();
            let config = FineTuneConfig {
                steps: 5,
                batch: 6,
                seed,
                ..FineTuneConfig::default()
            };
            let mut f = FineTune::new(net, user.clone(), config).unwrap();
            while !f.finished() {
                f.step(&mnist).unwrap();
            }
            f.trainer.net.params()[0].value.to_vec()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn bad_settings_are_named() {
        let bad = |c: FineTuneConfig| c.validate().unwrap_err().to_string();
        let d = FineTuneConfig::default();
        assert_eq!(
            bad(FineTuneConfig { steps: 0, ..d }),
            "steps: expected a whole number from 1 to 5000, found 0"
        );
        assert_eq!(
            bad(FineTuneConfig {
                user_share: 0.0,
                ..d
            }),
            "user_share: expected a number in (0, 1], found 0"
        );
        assert_eq!(
            bad(FineTuneConfig { holdout: 1.0, ..d }),
            "holdout: expected a number in [0, 1), found 1"
        );
        assert_eq!(
            bad(FineTuneConfig { lr: -1.0, ..d }),
            "lr: expected a positive number, found -1"
        );
        let net = crate::presets::network("mlp-64", 1).unwrap();
        let empty = set(1, 0).subset(0..0);
        assert_eq!(
            FineTune::new(net, empty, d).unwrap_err().to_string(),
            "there are no digits of yours to learn from: label and keep some drawings first"
        );
    }

    #[test]
    fn a_session_measures_trains_and_measures_again_in_pieces() {
        let mnist = crate::data::mnist::synthetic(120);
        let (mnist_train, mnist_test) = (mnist.subset(0..80), mnist.subset(80..120));
        let user = set(20, 0);
        let mut net = crate::presets::network("mlp-64", 1).unwrap();
        let config = FineTuneConfig {
            steps: 7,
            batch: 8,
            ..FineTuneConfig::default()
        };
        let split = hold_out(&user.labels, config.holdout, config.seed);
        let held = user.select(&split.held_out);
        let before_held = Score::from(&evaluate(&mut net, &held, 250));
        let before_test = Score::from(&evaluate(&mut net, &mnist_test, 250));
        let mut s = Session::new(net, user, config).unwrap();
        let mut phases = Vec::new();
        while !s.is_done() {
            let p = s.advance(&mnist_train, &mnist_test, 3, 15).unwrap();
            phases.push((p.phase, p.steps_done, p.evaluated));
        }
        // 40 test digits by 15 (15, 30, then done), 7 steps by 3, 40 test digits again.
        use Phase::*;
        assert_eq!(
            phases,
            vec![
                (Before, 0, 15),
                (Before, 0, 30),
                (Training, 0, 0),
                (Training, 3, 0),
                (Training, 6, 0),
                (After, 7, 0),
                (After, 7, 15),
                (After, 7, 30),
                (Done, 7, 0),
            ]
        );
        let p = s.progress().clone();
        assert_eq!(
            (p.train_count, p.held_out_count),
            (split.train.len(), split.held_out.len())
        );
        // The same counts; the mean loss up to f32 rounding (it is summed in other batches).
        let same = |a: &Score, b: &Score| {
            assert_eq!(
                (a.count, a.correct, a.accuracy),
                (b.count, b.correct, b.accuracy)
            );
            assert!((a.loss - b.loss).abs() < 1e-6, "{} vs {}", a.loss, b.loss);
        };
        let before = p.before.unwrap();
        same(before.held_out.as_ref().unwrap(), &before_held);
        same(&before.mnist_test, &before_test);
        let mut tuned = s.network().clone();
        let after = p.after.unwrap();
        same(
            after.held_out.as_ref().unwrap(),
            &(&evaluate(&mut tuned, &held, 250)).into(),
        );
        same(
            &after.mnist_test,
            &(&evaluate(&mut tuned, &mnist_test, 250)).into(),
        );
        assert_ne!(after, before, "the weights moved");
    }

    #[test]
    fn a_users_set_is_checked_and_round_trips_through_idx() {
        let user = set(12, 3);
        let back = own_set(&user.images, &user.labels).unwrap();
        assert_eq!(back, user);
        let (images, labels) = user.to_idx();
        assert_eq!(own_set_from_idx(&images, &labels).unwrap(), user);
        assert_eq!(
            own_set(&user.images[..100], &user.labels)
                .unwrap_err()
                .to_string(),
            "12 labels need 9408 bytes of pixels (28x28 each), found 100"
        );
        let mut bad = user.labels.clone();
        bad[4] = 11;
        assert_eq!(
            own_set(&user.images, &bad).unwrap_err().to_string(),
            "label 4 is 11, expected a digit 0 to 9"
        );
        // A file of another kind, and the two files swapped: the IDX reader's words.
        let swapped = own_set_from_idx(&labels, &images).unwrap_err().to_string();
        assert!(swapped.starts_with("images: "), "{swapped}");
        let many = set(MAX_OWN_DIGITS + 1, 0);
        assert_eq!(
            own_set(&many.images, &many.labels).unwrap_err().to_string(),
            format!(
                "{} digits are more than the {MAX_OWN_DIGITS} this page keeps of your own",
                MAX_OWN_DIGITS + 1
            )
        );
    }
}
