//! `cargo bench --bench saliency`: what one drawn frame costs natively when the page shows the
//! saliency map beside the prediction: preprocessing a 280x280 drawing, then either the forward
//! pass alone (`Network::predict`, the anchor) or the forward and backward pass to the pixels
//! (`saliency::saliency`, which returns the probabilities too). Medians of several runs, for
//! mlp-128 and cnn; the ratio saliency / predict is measured in the same run, so it means more
//! than either time on this shared machine. Also the whole of a drawing read as the page asks for
//! it (`drawing::read_drawing`: canvas RGBA to ink, preprocessing, probabilities). Written to
//! bench-results/saliency.json.

use std::time::Instant;

use backprop_lab::data::preprocess::preprocess;
use backprop_lab::drawing::{read_drawing, Explain};
use backprop_lab::presets;
use backprop_lab::saliency::{saliency, Score};
use serde_json::json;

const RUNS: usize = 9;
const CALLS: usize = 200;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Milliseconds per call of `f`: the median over RUNS runs of CALLS calls.
fn time(mut f: impl FnMut()) -> f64 {
    for _ in 0..10 {
        f(); // warm up
    }
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..CALLS {
                    f();
                }
                t.elapsed().as_secs_f64() * 1e3 / CALLS as f64
            })
            .collect(),
    )
}

/// A "7" drawn with the page's 20 px round pen on a 280x280 canvas.
fn drawing() -> Vec<f32> {
    let path = [(60.0, 50.0), (220.0, 50.0), (120.0, 240.0)];
    let mut ink = vec![0.0f32; 280 * 280];
    for y in 0..280 {
        for x in 0..280 {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let d = path
                .windows(2)
                .map(|s: &[(f32, f32)]| {
                    let ((ax, ay), (bx, by)) = (s[0], s[1]);
                    let (vx, vy) = (bx - ax, by - ay);
                    let t =
                        (((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy)).clamp(0.0, 1.0);
                    (ax + t * vx - px).hypot(ay + t * vy - py)
                })
                .fold(f32::MAX, f32::min);
            ink[y * 280 + x] = (10.5 - d).clamp(0.0, 1.0);
        }
    }
    ink
}

fn main() {
    let ink = drawing();
    let image = preprocess(&ink, 280, 280).unwrap().unwrap().image;
    let preprocess_ms = time(|| {
        std::hint::black_box(preprocess(std::hint::black_box(&ink), 280, 280).unwrap());
    });
    println!("preprocess a 280x280 drawing: {preprocess_ms:.3} ms");
    // The canvas as the page hands it over: black ink on opaque white.
    let rgba: Vec<u8> = ink
        .iter()
        .flat_map(|&v| {
            let g = (255.0 * (1.0 - v)).round() as u8;
            [g, g, g, 255]
        })
        .collect();
    let mut rows = Vec::new();
    for model in ["mlp-128", "cnn"] {
        let mut net = presets::network(model, 1).unwrap();
        let read_ms = time(|| {
            std::hint::black_box(
                read_drawing(
                    &mut net,
                    std::hint::black_box(&rgba),
                    280,
                    280,
                    Explain::Nothing,
                )
                .unwrap(),
            );
        });
        let predict_ms = time(|| {
            std::hint::black_box(net.predict(std::hint::black_box(&image)));
        });
        let saliency_ms = time(|| {
            std::hint::black_box(
                saliency(&mut net, std::hint::black_box(&image), 7, Score::Logit).unwrap(),
            );
        });
        println!("{model:>8}: a drawing read from canvas pixels {read_ms:.3} ms");
        println!(
            "{model:>8}: predict {predict_ms:.3} ms, saliency (forward + backward to the pixels) {saliency_ms:.3} ms, ratio {:.2} (medians of {RUNS} runs of {CALLS})",
            saliency_ms / predict_ms
        );
        rows.push(json!({
            "model": model,
            "read_drawing_ms": (read_ms * 1000.0).round() / 1000.0,
            "predict_ms": (predict_ms * 1000.0).round() / 1000.0,
            "saliency_ms": (saliency_ms * 1000.0).round() / 1000.0,
            "saliency_over_predict": (saliency_ms / predict_ms * 100.0).round() / 100.0,
        }));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results");
    std::fs::create_dir_all(&dir).expect("create bench-results/");
    std::fs::write(
        dir.join("saliency.json"),
        serde_json::to_string_pretty(&json!({
            "preprocess_280_ms": (preprocess_ms * 1000.0).round() / 1000.0,
            "models": rows,
            "runs": RUNS,
            "calls_per_run": CALLS,
        }))
        .unwrap(),
    )
    .expect("write results");
    println!("wrote bench-results/saliency.json");
}
