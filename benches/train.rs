//! `cargo bench`: training samples/s (mlp-128 and cnn, batch 64, Adam) on one thread and on
//! every core, the optimizer's share of a step, and single-image inference latency; medians of
//! several runs, printed as a table and written to bench-results/native.json.
//!
//! A plain harness rather than criterion: what we want to compare (with the browser benchmark
//! and with other libraries) is samples per second of a whole training step, which this reports
//! directly. Pixel values do not change the work done, so made-up digits stand in for MNIST.
//! The timing itself is in benches/common, shared with the wasm build of the same measurement
//! that the browser benchmark runs (examples/step_parts.rs).
//!
//! Arguments pick models and thread counts: `cargo bench --bench train -- cnn 1` runs the cnn on
//! one thread. To profile: `cargo bench --no-run`, then `perf record target/release/deps/train-*
//! cnn 1 profile` (`profile`: training steps only, for 20 s, nothing else timed).

mod common;

use std::time::Instant;

use backprop_lab::data::mnist::synthetic;
use common::{median, time_steps, trainer, BATCH};
use serde_json::json;

const RUNS: usize = 5;

fn main() {
    let picks: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let only: Vec<&String> = picks
        .iter()
        .filter(|a| a.parse::<usize>().is_err())
        .collect();
    let only_threads: Vec<usize> = picks.iter().filter_map(|a| a.parse().ok()).collect();
    let profile = picks.iter().any(|a| a == "profile");
    let only: Vec<&String> = only.into_iter().filter(|a| *a != "profile").collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Learnable made-up digits: the speed of a step does not depend on the pixels.
    let data = synthetic(6_400);
    let start = Instant::now();
    let now = || start.elapsed().as_secs_f64() * 1e3;
    let mut rows = Vec::new();
    for (model, steps) in [("mlp-128", 300), ("cnn", 30)] {
        if !only.is_empty() && !only.iter().any(|m| *m == model) {
            continue;
        }
        let mut threads = vec![1];
        if cores > 1 {
            threads.push(cores);
        }
        if !only_threads.is_empty() {
            threads = only_threads.clone();
        }
        if profile {
            let mut t = trainer(model, &data);
            let t0 = Instant::now();
            while t0.elapsed().as_secs() < 20 {
                t.step(&data).unwrap();
            }
            continue;
        }
        for &n in &threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap();
            let (timing, inference_ms) = pool.install(|| {
                let mut t = trainer(model, &data);
                let timing = time_steps(&mut t, &data, steps, RUNS, now);
                let image: Vec<f32> = (0..784).map(|i| (i % 255) as f32 / 255.0).collect();
                let latencies: Vec<f64> = (0..RUNS)
                    .map(|_| {
                        let t0 = now();
                        for _ in 0..100 {
                            std::hint::black_box(t.net.predict(&image));
                        }
                        (now() - t0) / 100.0
                    })
                    .collect();
                (timing, median(latencies))
            });
            let samples_per_s = timing.samples_per_s();
            let row = json!({
                "model": model,
                "threads": n,
                "batch": BATCH,
                "train_samples_per_s": samples_per_s.round(),
                "epoch_seconds_60k": (60_000.0 / samples_per_s * 10.0).round() / 10.0,
                "step_ms": (timing.step_ms * 1000.0).round() / 1000.0,
                "optimizer_ms": (timing.optimizer_ms * 1000.0).round() / 1000.0,
                "optimizer_share": (timing.optimizer_share() * 1000.0).round() / 1000.0,
                "inference_ms": (inference_ms * 1000.0).round() / 1000.0,
                "runs": RUNS,
            });
            println!(
                "{model:>8}, {n} thread{}: {:>7.0} training samples/s (batch {BATCH}), {:>5.1} s per 60k epoch, optimizer {:.3} ms of a {:.3} ms step ({:.1} %), {:.3} ms per single-image inference (median of {RUNS})",
                if n == 1 { " " } else { "s" },
                samples_per_s,
                row["epoch_seconds_60k"].as_f64().unwrap(),
                timing.optimizer_ms,
                timing.step_ms,
                100.0 * timing.optimizer_share(),
                inference_ms,
            );
            rows.push(row);
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results");
    std::fs::create_dir_all(&dir).expect("create bench-results/");
    std::fs::write(
        dir.join("native.json"),
        serde_json::to_string_pretty(&json!({"cores": cores, "native": rows})).unwrap(),
    )
    .expect("write results");
    println!("wrote bench-results/native.json");
}
