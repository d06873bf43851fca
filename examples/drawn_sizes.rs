//! How well the model reads digits drawn large, normal, small and in a corner.
//!
//! ```sh
//! cargo run --release --example drawn_sizes -- [--data DIR] [--model-file F] [--count N] [--png F]
//! ```
//!
//! The first N MNIST test digits (default 500) are thinned to their skeletons and drawn again
//! with the page's round pen (20 px on the 280x280 pad; `backprop_lab::data::drawn`) at each
//! size below, then preprocessed as the page does and classified by the model (default: the
//! page's default model, www/model/default.safetensors). Prints the accuracy at each size, how
//! often the same strokes get the same answer at every size, and the stroke widths before and
//! after the stroke step; writes bench-results/drawn_sizes.json. `--png F` also writes a picture:
//! for the first ten digits, what the network sees at each size.
//!
//! A benchmark of accuracy, not a test: the numbers go in README, the test of the same property
//! is `tests/drawn.rs`.

use std::path::PathBuf;

use backprop_lab::data::drawn::{draw, skeleton, Place, CANVAS, PEN};
use backprop_lab::data::files::load_dir;
use backprop_lab::data::preprocess::{preprocess, to_u8};
use backprop_lab::model_file;
use backprop_lab::train::argmax;
use serde_json::json;

/// (name, longer side of the ink in pad pixels, where).
const SIZES: [(&str, f32, Place); 5] = [
    ("large", 250.0, Place::Centre),
    ("normal", 170.0, Place::Centre),
    ("small", 85.0, Place::Centre),
    ("small, corner", 85.0, Place::Corner(8.0)),
    ("tiny", 56.0, Place::Centre),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut data = std::env::var_os("MNIST_DIR").map(PathBuf::from);
    let mut model_path = root.join("www/model/default.safetensors");
    let mut count = 500usize;
    let mut png = None;
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = Some(PathBuf::from(value())),
            "--model-file" => model_path = PathBuf::from(value()),
            "--count" => count = value().parse().expect("--count N"),
            "--png" => png = Some(PathBuf::from(value())),
            other => panic!("unknown argument {other}"),
        }
    }
    let data = data.expect("pass --data DIR or set MNIST_DIR");
    let (_, test) = load_dir(&data).expect("MNIST files");
    let bytes = std::fs::read(&model_path)
        .unwrap_or_else(|e| panic!("{}: {e} (run the set-up first)", model_path.display()));
    let mut net = model_file::load(&bytes).expect("a model file").network;
    let count = count.min(test.len());

    let mut correct = [0usize; SIZES.len()];
    let mut width_before = [0f64; SIZES.len()];
    let mut width_after = [0f64; SIZES.len()];
    let mut agree = 0usize;
    let mut agree_but_tiny = 0usize;
    let mut seen_mnist = 0usize;
    let mut sheet: Vec<Vec<f32>> = Vec::new();
    for i in 0..count {
        let label = test.label(i) as usize;
        let image: Vec<f32> = test
            .image(i)
            .iter()
            .map(|&p| f32::from(p) / 255.0)
            .collect();
        seen_mnist += (argmax(net.predict(&image).row(0).as_slice().unwrap()) == label) as usize;
        let points = skeleton(test.image(i));
        let mut answers = Vec::new();
        let mut row = Vec::new();
        for (k, &(_, size, place)) in SIZES.iter().enumerate() {
            let ink = draw(&points, CANVAS, size, place, PEN);
            let p = preprocess(&ink, CANVAS, CANVAS)
                .unwrap()
                .expect("a drawn digit has ink");
            let answer = argmax(net.predict(&p.image).row(0).as_slice().unwrap());
            correct[k] += (answer == label) as usize;
            width_before[k] += p.stroke_width_before as f64;
            width_after[k] += p.stroke_width_after as f64;
            answers.push(answer);
            if i < 10 {
                row.push(p.image.clone());
            }
        }
        agree += answers.iter().all(|&a| a == answers[0]) as usize;
        agree_but_tiny += answers[..4].iter().all(|&a| a == answers[0]) as usize;
        if i < 10 {
            row.insert(0, image);
            sheet.push(row.concat());
        }
    }

    println!(
        "{count} MNIST test digits redrawn with a {PEN} px pen on a {CANVAS} px pad, model {}",
        model_path.display()
    );
    println!(
        "the same digits as MNIST gives them: {:.1}%",
        100.0 * seen_mnist as f64 / count as f64
    );
    println!("size                  pen/size  accuracy  stroke width before → after (px of 20)");
    let mut rows = Vec::new();
    for (k, &(name, size, _)) in SIZES.iter().enumerate() {
        let acc = correct[k] as f64 / count as f64;
        let (b, a) = (
            width_before[k] / count as f64,
            width_after[k] / count as f64,
        );
        println!(
            "{name:<14} {size:>5.0} px  {:>7.3}  {:>7.1}%  {b:.2} → {a:.2}",
            PEN / size,
            100.0 * acc
        );
        rows.push(json!({"size": name, "pixels": size, "accuracy": acc,
            "stroke_width_before": b, "stroke_width_after": a}));
    }
    let agreement = agree as f64 / count as f64;
    let agreement_but_tiny = agree_but_tiny as f64 / count as f64;
    println!(
        "the same answer at every size: {:.1}% (large, normal, small and corner: {:.1}%)",
        100.0 * agreement,
        100.0 * agreement_but_tiny
    );
    let dir = root.join("bench-results");
    std::fs::create_dir_all(&dir).expect("create bench-results/");
    std::fs::write(
        dir.join("drawn_sizes.json"),
        serde_json::to_string_pretty(&json!({
            "count": count, "pen": PEN, "canvas": CANVAS,
            "model": model_path.display().to_string(),
            "mnist_accuracy": seen_mnist as f64 / count as f64,
            "sizes": rows, "same_answer_at_every_size": agreement,
            "same_answer_at_every_size_but_tiny": agreement_but_tiny,
        }))
        .unwrap(),
    )
    .expect("write results");
    println!("wrote bench-results/drawn_sizes.json");

    if let Some(path) = png {
        // One row per digit: MNIST's own, then what the network sees at each size.
        // Each pixel 3x3, a grey frame around each image.
        const Z: usize = 3;
        let cols = SIZES.len() + 1;
        let (w, h) = (cols * 30 * Z, sheet.len() * 30 * Z);
        let mut pixels = vec![60u8; w * h];
        for (r, row) in sheet.iter().enumerate() {
            for c in 0..cols {
                let img = to_u8(&row[c * 784..(c + 1) * 784]);
                for y in 0..28 * Z {
                    for x in 0..28 * Z {
                        pixels[((r * 30 + 1) * Z + y) * w + (c * 30 + 1) * Z + x] =
                            img[(y / Z) * 28 + x / Z];
                    }
                }
            }
        }
        image::GrayImage::from_raw(w as u32, h as u32, pixels)
            .unwrap()
            .save(&path)
            .expect("write the picture");
        println!("wrote {}", path.display());
    }
}
