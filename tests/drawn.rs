//! Small and large alike: real handwriting (MNIST test digits thinned to their strokes and drawn
//! again with the page's pen, `backprop_lab::data::drawn`) drawn large, normal, small and small in
//! a corner must come out of preprocessing nearly the same, and be read the same. Needs the MNIST
//! files in `MNIST_DIR` (without it the test says so and passes, as tests/mnist.rs does).
//!
//! The accuracy at each size is a benchmark, not a test: `cargo run --release --example
//! drawn_sizes`.

use backprop_lab::data::drawn::{draw, skeleton, Place, CANVAS, PEN};
use backprop_lab::data::files::load_dir;
use backprop_lab::data::preprocess::preprocess;
use backprop_lab::train::argmax;

mod common;

const PLACES: [(&str, f32, Place); 4] = [
    ("large", 250.0, Place::Centre),
    ("normal", 170.0, Place::Centre),
    ("small", 85.0, Place::Centre),
    ("small, corner", 85.0, Place::Corner(8.0)),
];

fn mean_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
}

/// The image moved one pixel to the right.
fn shifted(a: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; a.len()];
    for y in 0..28 {
        for x in 1..28 {
            out[y * 28 + x] = a[y * 28 + x - 1];
        }
    }
    out
}

#[test]
fn the_same_strokes_at_three_sizes_and_in_a_corner_look_and_read_alike() {
    let Some(dir) = common::mnist_dir("drawn digits") else {
        return;
    };
    let (train, test) = load_dir(&dir).unwrap();
    // A model to read them: mlp-128, one epoch (about 97% on MNIST's test set).
    let mut net = common::trained("mlp-128", &train, 1, 64, 1).net;

    let count = 200;
    let mut ratios = Vec::new();
    let mut same_answer = 0;
    for i in 0..count {
        let points = skeleton(test.image(i));
        let images: Vec<Vec<f32>> = PLACES
            .iter()
            .map(|&(_, size, place)| {
                let ink = draw(&points, CANVAS, size, place, PEN);
                preprocess(&ink, CANVAS, CANVAS).unwrap().unwrap().image
            })
            .collect();
        let normal = &images[1];
        let shift = mean_difference(normal, &shifted(normal));
        for (k, image) in images.iter().enumerate() {
            if k != 1 {
                ratios.push(mean_difference(image, normal) / shift);
            }
        }
        let answers: Vec<usize> = images
            .iter()
            .map(|x| argmax(net.predict(x).row(0).as_slice().unwrap()))
            .collect();
        same_answer += answers.iter().all(|&a| a == answers[0]) as usize;
    }
    ratios.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q) as usize];
    let agreement = same_answer as f64 / count as f64;
    eprintln!(
        "difference from the normal size, as a share of a one-pixel shift: median {:.2}, 90th percentile {:.2}; the same answer at every size for {:.1}%",
        at(0.5),
        at(0.9),
        100.0 * agreement
    );
    // Measured on these 200 digits: the images differ from the normal size's by a median 0.27 of
    // a one-pixel shift (90th percentile 0.95), and 93.5% get the same answer at all four
    // places. The preprocessing before stroke widths were normalised gave a median 0.72 (90th
    // percentile 1.21) and 90.5%: a small digit's strokes came out thicker than a large one's.
    // The tolerances sit between the two. Not every digit gets the same answer: drawn at
    // different sizes the strokes fall on the pixel grid differently, a thick pen closes small
    // loops on the pad itself, and a digit the model hesitates over can tip either way.
    assert!(at(0.5) < 0.4, "median {}", at(0.5));
    assert!(at(0.9) < 1.1, "90th percentile {}", at(0.9));
    assert!(agreement >= 0.92, "the same answer for {agreement}");
}
