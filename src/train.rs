//! Training on a labelled image set (MNIST): mini-batches, shuffling, evaluation.
//!
//! One step: take the next `batch` examples of a seeded shuffle, scale their pixels to [0, 1],
//! forward, softmax cross-entropy, backward, optimizer step. An epoch is one pass over the
//! shuffled training set (the last batch may be smaller). The same [`Trainer`] serves the CLI
//! (which runs whole epochs) and the browser worker (which runs a few steps at a time and
//! yields, so that the page stays responsive).
//!
//! If the loss stops being a finite number, training has diverged: the trainer puts back the
//! last checkpoint whose loss was finite (taken every [`CHECKPOINT_EVERY`] steps) and reports it,
//! so the user keeps a working model and can retry with a smaller learning rate.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::mnist::Dataset;
use crate::loss::{Loss, Targets};
use crate::network::Network;
use crate::optim::{Optimizer, OptimizerConfig};

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
    checkpoint: Option<Box<(Network, Optimizer)>>,
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

        let x = self.net.batch_from_flat(self.x[..n * features].to_vec(), n);
        let out = self.net.forward(x, true);
        let targets = Targets::Labels(self.y[..n].to_vec());
        let loss = Loss::SoftmaxCrossEntropy.forward_backward(out.view(), &targets);
        if !loss.loss.is_finite() {
            return Err(self.restore(loss.loss));
        }
        let correct = count_correct(&out, &self.y[..n]);
        if self.step % CHECKPOINT_EVERY == 0 {
            self.checkpoint = Some(Box::new((self.net.clone(), self.opt.clone())));
        }
        self.net.zero_grad();
        self.net.backward(loss.dout);
        self.opt.step(&mut self.net.params());
        self.step += 1;
        let epoch_done = self.pos >= self.order.len();
        if epoch_done {
            self.epoch += 1;
        }
        Ok(StepOutcome {
            loss: loss.loss,
            correct,
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
        let restored_step = match self.checkpoint.take() {
            Some(cp) => {
                let (net, opt) = *cp;
                self.net = net;
                self.opt = opt;
                let restored = self.opt.steps();
                self.checkpoint = Some(Box::new((self.net.clone(), self.opt.clone())));
                restored
            }
            None => step,
        };
        Diverged {
            step,
            loss,
            restored_step,
        }
    }
}

fn count_correct(out: &Array2<f32>, labels: &[usize]) -> usize {
    out.rows()
        .into_iter()
        .zip(labels)
        .filter(|(row, &y)| argmax(row.as_slice().expect("contiguous")) == y)
        .count()
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
            let out = net.forward(
                net.batch_from_flat(self.x[..n * features].to_vec(), n),
                false,
            );
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
