//! What `cargo bench` (natively) and the browser benchmark's wasm build of the same measurement
//! (examples/step_parts.rs) share: the data and how a training step and its optimizer step are
//! timed.
//!
//! A step is [`Trainer::step`], all of it (the batch, forward, loss, backward, the optimizer);
//! the optimizer's share is the time of the optimizer's step alone as training runs it
//! (`parallel::optimizer_step`: on every thread natively, on one in wasm), on the same network
//! and gradients, over the time of a whole step. Both are medians of `runs` runs of `steps` steps.

// Each user (the native bench, the wasm example) needs only part of this.
#![allow(dead_code)]

use backprop_lab::data::mnist::Dataset;
use backprop_lab::network::Network;
use backprop_lab::optim::OptimizerConfig;
use backprop_lab::presets;
use backprop_lab::train::Trainer;

pub const BATCH: usize = 64;

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Milliseconds per training step and per optimizer step (Adam, lr 0.001, batch 64).
#[derive(Debug, Clone, Copy)]
pub struct StepTiming {
    pub step_ms: f64,
    pub optimizer_ms: f64,
}

impl StepTiming {
    pub fn samples_per_s(&self) -> f64 {
        BATCH as f64 / self.step_ms * 1e3
    }

    pub fn optimizer_share(&self) -> f64 {
        self.optimizer_ms / self.step_ms
    }
}

/// A trainer of `model` (seed 1) warmed up by a few steps on `data`.
pub fn trainer(model: &str, data: &Dataset) -> Trainer {
    let net = Network::from_arch(&presets::arch(model).unwrap(), 1).unwrap();
    let mut trainer = Trainer::new(net, OptimizerConfig::default(), BATCH, 1);
    for _ in 0..3 {
        trainer.step(data).unwrap();
    }
    trainer
}

/// Times `steps` training steps and then `steps` optimizer steps, `runs` times; `now()` is a
/// clock in milliseconds.
pub fn time_steps(
    trainer: &mut Trainer,
    data: &Dataset,
    steps: usize,
    runs: usize,
    now: impl Fn() -> f64,
) -> StepTiming {
    let (mut step, mut optimizer) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = now();
        for _ in 0..steps {
            trainer.step(data).unwrap();
        }
        step.push((now() - t) / steps as f64);
        // The optimizer alone, on a copy, with the gradients of the last step.
        let mut copy = trainer.clone();
        let t = now();
        for _ in 0..steps {
            backprop_lab::parallel::optimizer_step(&mut copy.opt, &mut copy.net.params());
        }
        optimizer.push((now() - t) / steps as f64);
    }
    StepTiming {
        step_ms: median(step),
        optimizer_ms: median(optimizer),
    }
}
