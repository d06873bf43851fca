//! Optimizers: given every parameter and its gradient, take one step downhill.
//!
//! Read [`sgd`] first (θ ← θ − lr·g, optionally with momentum), then [`adam`], which keeps a
//! running mean and a running mean square of each gradient and scales each parameter's step by
//! them. Both see parameters as flat slices, in the order the network lists them.
//!
//! Next: [`sgd`].

pub mod adam;
pub mod sgd;

use serde::{Deserialize, Serialize};

pub use adam::{Adam, AdamConfig};
pub use sgd::Sgd;

use crate::error::Result;
use crate::layers::Param;
use crate::vocabulary;

/// An optimizer's settings, as in the spec JSON: `{"type":"sgd","lr":0.5}` or
/// `{"type":"adam","lr":0.001,"beta1":0.9,"beta2":0.999,"eps":1e-8}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OptimizerConfig {
    Sgd {
        lr: f64,
        #[serde(default)]
        momentum: f64,
    },
    Adam(AdamConfig),
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig::Adam(AdamConfig::default())
    }
}

impl OptimizerConfig {
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerConfig::Sgd { lr, .. } => *lr,
            OptimizerConfig::Adam(c) => c.lr,
        }
    }

    /// Checks every setting against the [`vocabulary`] limits; `path` names where the settings
    /// came from, for the message (`optimizer.lr: expected a positive number, found 0`).
    pub fn validate(&self, path: &str) -> Result<()> {
        let at = |name: &str| format!("{path}.{name}");
        match *self {
            OptimizerConfig::Sgd { lr, momentum } => {
                vocabulary::LEARNING_RATE.check(&at("lr"), lr)?;
                vocabulary::MOMENTUM.check(&at("momentum"), momentum)
            }
            OptimizerConfig::Adam(AdamConfig {
                lr,
                beta1,
                beta2,
                eps,
            }) => {
                vocabulary::LEARNING_RATE.check(&at("lr"), lr)?;
                vocabulary::BETA.check(&at("beta1"), beta1)?;
                vocabulary::BETA.check(&at("beta2"), beta2)?;
                vocabulary::EPS.check(&at("eps"), eps)
            }
        }
    }

    pub fn build(&self) -> Optimizer {
        match *self {
            OptimizerConfig::Sgd { lr, momentum } => Optimizer::Sgd(Sgd::new(lr, momentum)),
            OptimizerConfig::Adam(cfg) => Optimizer::Adam(Adam::new(cfg)),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Optimizer {
    Sgd(Sgd),
    Adam(Adam),
}

impl Optimizer {
    pub fn step(&mut self, params: &mut [Param<'_>]) {
        match self {
            Optimizer::Sgd(o) => o.step(params),
            Optimizer::Adam(o) => o.step(params),
        }
    }

    pub fn config(&self) -> OptimizerConfig {
        match self {
            Optimizer::Sgd(o) => OptimizerConfig::Sgd {
                lr: o.lr,
                momentum: o.momentum,
            },
            Optimizer::Adam(o) => OptimizerConfig::Adam(o.cfg),
        }
    }

    /// Changes the learning rate and keeps the state (m, v, velocity).
    pub fn set_lr(&mut self, lr: f64) {
        match self {
            Optimizer::Sgd(o) => o.lr = lr,
            Optimizer::Adam(o) => o.cfg.lr = lr,
        }
    }

    /// The step each parameter element took last (what the weights view shows as "the last
    /// update"), one vector per parameter tensor; empty before the first step.
    pub fn last_steps(&self) -> Vec<Vec<f32>> {
        match self {
            Optimizer::Sgd(o) => o.last_steps(),
            Optimizer::Adam(o) => o.last_steps(),
        }
    }

    /// The length `√(Σ step²)` of the step each parameter tensor took last, summed in f64: the
    /// steps of [`last_steps`](Self::last_steps) without keeping them. Empty before the first step.
    pub fn last_step_norms(&self) -> Vec<f64> {
        match self {
            Optimizer::Sgd(o) => o.last_step_norms(),
            Optimizer::Adam(o) => o.last_step_norms(),
        }
    }

    /// The number of steps taken (Adam's t; SGD counts too, for the page).
    pub fn steps(&self) -> u64 {
        match self {
            Optimizer::Sgd(o) => o.t,
            Optimizer::Adam(o) => o.t,
        }
    }
}
