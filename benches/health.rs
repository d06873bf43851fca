//! `cargo bench --bench health`: what the health panel costs, for every preset (batch 64, Adam):
//! one measurement of the network's health and the activation counts of one watched step, each
//! beside the time of a training step; and training samples/s with and without it in the same
//! run. Medians of several runs, printed and written to bench-results/health-native.json.
//!
//! Made-up digits stand in for MNIST: pixel values do not change the work done.

mod common;

use std::time::Instant;

use backprop_lab::data::mnist::synthetic;
use backprop_lab::health::Watch;
use backprop_lab::parallel::SHARD;
use common::{median, trainer, BATCH};
use serde_json::json;

const RUNS: usize = 5;

fn main() {
    let data = synthetic(6_400);
    let mut rows = Vec::new();
    for (model, steps) in [
        ("mlp-64", 400),
        ("mlp-128", 300),
        ("mlp-512-dropout", 80),
        ("cnn", 40),
    ] {
        let mut trainer = trainer(model, &data);
        for _ in 0..5 {
            trainer.step(&data).unwrap(); // warm up
        }
        let rates: Vec<f64> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..steps {
                    trainer.step(&data).unwrap();
                }
                (steps * BATCH) as f64 / t.elapsed().as_secs_f64()
            })
            .collect();
        let samples_per_s = median(rates);
        // The health panel: one measurement (norms of every weight, gradient and last step) per
        // chunk, and the activation counts of the chunk's last steps (one step at batch 64: the
        // network holds its first shard's forward values, so one shard is timed and scaled).
        let health_ms = median(
            (0..RUNS)
                .map(|_| {
                    let t = Instant::now();
                    for _ in 0..20 {
                        std::hint::black_box(trainer.health());
                    }
                    t.elapsed().as_secs_f64() * 1e3 / 20.0
                })
                .collect(),
        );
        let watch_ms = median(
            (0..RUNS)
                .map(|_| {
                    let t = Instant::now();
                    for _ in 0..20 {
                        let mut w = Watch::default();
                        w.observe(&trainer.net, SHARD);
                        std::hint::black_box(w.finish());
                    }
                    t.elapsed().as_secs_f64() * 1e3 / 20.0 * (BATCH / SHARD) as f64
                })
                .collect(),
        );
        let step_ms = BATCH as f64 / samples_per_s * 1e3;
        // Training with and without the health panel, in the same run: the page's chunks (about
        // CHUNK_MS = 25 ms of steps each, www/worker.js), the health measured after every chunk
        // (the page measures it at most once per 100 ms progress event at full speed, so this is
        // an upper bound on its cost). Pairs of short runs, one without and one with, in turn
        // first, so that the machine's load changes both alike: the median of each, and the
        // median of the pairs' ratios.
        let chunk = ((25.0 / step_ms).round() as usize).max(1);
        let chunks = 4; // about 0.1 s a run
        let (mut with, mut without, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for pair in 0..4 * RUNS {
            let mut rate = |health: bool| {
                let t = Instant::now();
                let seen: usize = (0..chunks)
                    .map(|_| trainer.run_chunk(&data, chunk, health).seen)
                    .sum();
                seen as f64 / t.elapsed().as_secs_f64()
            };
            let (a, b) = if pair % 2 == 0 {
                let a = rate(false);
                (a, rate(true))
            } else {
                let b = rate(true);
                (rate(false), b)
            };
            without.push(a);
            with.push(b);
            ratios.push(b / a);
        }
        let (with, without, ratio) = (median(with), median(without), median(ratios));
        println!(
            "{model:>8}: chunks of {chunk} steps: {without:.0} samples/s without health, {with:.0} with it after every chunk (ratio {ratio:.3}, medians of {} pairs)",
            4 * RUNS
        );
        println!(
            "{model:>8}: health {health_ms:.3} ms per measurement ({:.1} % of a {step_ms:.2} ms step), activation counts {watch_ms:.3} ms per watched step ({:.1} %)",
            100.0 * health_ms / step_ms,
            100.0 * watch_ms / step_ms
        );
        let row = json!({
            "model": model,
            "batch": BATCH,
            "train_samples_per_s": samples_per_s.round(),
            "health_ms": (health_ms * 1000.0).round() / 1000.0,
            "health_watch_ms": (watch_ms * 1000.0).round() / 1000.0,
            "step_ms": (step_ms * 1000.0).round() / 1000.0,
            "health_chunk_steps": chunk,
            "train_samples_per_s_without_health": without.round(),
            "train_samples_per_s_with_health": with.round(),
            "health_ratio": (ratio * 1000.0).round() / 1000.0,
            "runs": RUNS,
        });
        rows.push(row);
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results");
    std::fs::create_dir_all(&dir).expect("create bench-results/");
    std::fs::write(
        dir.join("health-native.json"),
        serde_json::to_string_pretty(&json!({"native": rows})).unwrap(),
    )
    .expect("write results");
    println!("wrote bench-results/health-native.json");
}
