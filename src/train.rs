//! Training on a labelled image set (MNIST): mini-batches, shuffling, evaluation.
//!
//! One step: take the next `batch` examples of a seeded shuffle, scale their pixels to [0, 1],
//! forward, softmax cross-entropy, backward (shard by shard, on every core: [`crate::parallel`]),
//! optimizer step. An epoch is one pass over the
//! shuffled training set (the last batch may be smaller). The same [`Trainer`] serves the CLI
//! (which runs whole epochs) and the browser worker (which runs a few steps at a time and
//! yields, so that the page stays responsive).
//!
//! If the loss stops being a finite number, training has diverged: the trainer puts back the
//! last checkpoint whose loss was finite (taken every [`CHECKPOINT_EVERY`] steps) and reports it,
//! so the user keeps a working model and can retry with a smaller learning rate.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::mnist::Dataset;
use crate::loss::{Loss, Targets};
use crate::network::Network;
use crate::optim::{Optimizer, OptimizerConfig};
use crate::parallel::DataParallel;

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
    rng: ChaCha8Rng,
    order: Vec<usize>,
    pos: usize,
    x: Vec<f32>,
    y: Vec<usize>,
    parallel: DataParallel,
    /// A copy of this trainer (weights, optimizer state, step and epoch counts, place in the
    /// shuffle) from the last step whose loss was finite, taken every CHECKPOINT_EVERY steps.
    checkpoint: Option<Box<Trainer>>,
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
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Diverged {
    pub step: u64,
    pub loss: f32,
    /// The step the restored weights come from.
    pub restored_step: u64,
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
        // A stream of its own, so shuffling does not depend on how many numbers init drew.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        Trainer {
            net,
            opt: opt.build(),
            batch,
            epoch: 0,
            step: 0,
            rng,
            order: Vec::new(),
            pos: 0,
            x: vec![0.0; batch * features],
            y: vec![0; batch],
            parallel: DataParallel::default(),
            checkpoint: None,
        }
    }

    /// Steps per epoch for a training set of `n` examples.
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n.div_ceil(self.batch)
    }

    /// One mini-batch step on `data`.
    pub fn step(&mut self, data: &Dataset) -> Result<StepOutcome, Diverged> {
        assert!(!data.is_empty(), "no training data");
        if self.order.len() != data.len() || self.pos >= self.order.len() {
            self.reshuffle(data.len());
        }
        let n = self.batch.min(self.order.len() - self.pos);
        let features = self.x.len() / self.batch;
        data.fill_batch(
            &self.order[self.pos..self.pos + n],
            &mut self.x[..n * features],
            &mut self.y[..n],
        );
        self.pos += n;

        // Forward, loss and backward, shard by shard on every core (see crate::parallel).
        let pass =
            self.parallel
                .forward_backward(&mut self.net, &self.x[..n * features], &self.y[..n]);
        if !pass.loss.is_finite() {
            return Err(self.restore(pass.loss));
        }
        if self.step % CHECKPOINT_EVERY == 0 {
            self.checkpoint = None;
            self.checkpoint = Some(Box::new(self.clone()));
        }
        crate::parallel::optimizer_step(&mut self.opt, &mut self.net.params());
        self.step += 1;
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
        Diverged {
            step,
            loss,
            restored_step,
        }
    }
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
    use crate::data::mnist::Images;
    use crate::presets;

    fn digits(n: usize) -> Dataset {
        let pixels = (0..n * 784)
            .map(|i| ((i * 31 + i / 784 * 7) % 256) as u8)
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
}
