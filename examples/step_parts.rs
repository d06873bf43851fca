//! The optimizer's share of a training step, measured in wasm: the same measurement as
//! `cargo bench` (benches/common), built for wasm32 and run in Chromium by the browser benchmark
//! (scripts/bench.mjs, bench/step-parts.js). Natively this builds to nothing.

#![cfg(target_arch = "wasm32")]

#[path = "../benches/common/mod.rs"]
mod common;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Milliseconds, from the page's or the worker's clock.
    #[wasm_bindgen(js_namespace = performance)]
    fn now() -> f64;
}

/// `[step ms, optimizer ms]`, each the median of `runs` runs of `steps` steps of `model`
/// (batch 64, Adam) on made-up digits.
#[wasm_bindgen]
pub fn time_steps(model: &str, steps: u32, runs: u32) -> Vec<f64> {
    let data = backprop_lab::data::mnist::synthetic(1_280);
    let mut trainer = common::trainer(model, &data);
    let t = common::time_steps(&mut trainer, &data, steps as usize, runs as usize, now);
    vec![t.step_ms, t.optimizer_ms]
}
