//! The command-line tool as a user meets it: results on stdout, one-line errors, no panics, no
//! partial output files. Uses a small synthetic MNIST folder written by the test, so it runs
//! without the real data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use backprop_lab::data::mnist::{synthetic, FILES};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_backprop-lab"))
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .env_remove("MNIST_DIR")
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts a failure with exit status `code` and a single `error: ...` line containing `want`.
fn assert_fails(o: &Output, code: i32, want: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "exit status; stderr: {err}");
    assert!(
        o.stdout.is_empty(),
        "nothing on stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("training "))
        .collect();
    assert_eq!(lines.len(), 1, "one line of error, got: {err}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(want),
        "expected '{want}' in: {err}"
    );
    assert!(!err.contains("panicked"), "no panic: {err}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("backprop-lab-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_gz(path: &Path, bytes: &[u8]) {
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    e.write_all(bytes).unwrap();
    e.finish().unwrap();
}

/// A folder with the four MNIST files holding `n` synthetic training digits and `n / 5` test
/// digits ([`synthetic`]: class k is a bright bar at row 2k+4, so a model can learn it).
fn synthetic_mnist(name: &str, n: usize) -> PathBuf {
    let dir = temp_dir(name);
    for (data, [images, labels]) in [
        (synthetic(n), [FILES[0], FILES[1]]),
        (synthetic(n / 5), [FILES[2], FILES[3]]),
    ] {
        let (image_bytes, label_bytes) = data.to_idx();
        write_gz(&dir.join(images), &image_bytes);
        write_gz(&dir.join(labels), &label_bytes);
    }
    dir
}

/// `backprop-lab train --model mlp-64 --data DATA --out OUT` with `more` arguments.
fn train_mlp64(data: &Path, out: &Path, more: &[&str]) -> Output {
    let (data, out) = (data.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec!["train", "--model", "mlp-64", "--data", data, "--out", out];
    args.extend_from_slice(more);
    run(&args)
}

#[test]
fn bad_arguments_get_one_line_and_status_2() {
    assert_fails(
        &run(&["train", "--epochs", "many"]),
        2,
        "invalid value 'many' for '--epochs <EPOCHS>'",
    );
    assert_fails(&run(&["fly"]), 2, "unrecognized subcommand 'fly'");
    assert_fails(
        &run(&["train", "--model", "resnet"]),
        1,
        "unknown model 'resnet'; choose one of mlp-64, mlp-128, cnn, mlp-512-dropout",
    );
    assert_fails(
        &run(&["train", "--lr", "-1"]),
        1,
        "--lr: expected a positive number, found -1",
    );
    assert_fails(
        &run(&["train", "--epochs", "0"]),
        1,
        "--epochs: expected a whole number from 1 to 100, found 0",
    );
    assert_fails(
        &run(&["train"]),
        1,
        "no data: pass --data DIR or set MNIST_DIR",
    );
    assert_fails(
        &run(&["trace"]),
        1,
        "give --spec FILE, or --model-file FILE or --model NAME with --index I",
    );
}

/// The CLI enforces the vocabulary's limits (src/vocabulary.rs) with its words, before any data
/// is read: the same batch, epoch and seed limits as the page.
#[test]
fn settings_beyond_the_vocabulary_limits_are_refused() {
    let cases = [
        (
            ["--batch", "4097"],
            "--batch: expected a whole number from 1 to 4096, found 4097",
        ),
        (
            ["--epochs", "101"],
            "--epochs: expected a whole number from 1 to 100, found 101",
        ),
        (
            ["--seed", "9007199254740992"],
            "--seed: expected a whole number from 0 to 9007199254740991, found 9007199254740992",
        ),
        (
            ["--momentum", "1"],
            "--momentum: expected a number in [0, 1), found 1",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["train", "--optimizer", "sgd", "--data", "/nonexistent"];
        all.extend(args);
        assert_fails(&run(&all), 1, want);
    }
    // At the limits, the settings pass and the data is what is missing.
    assert_fails(
        &run(&[
            "train",
            "--batch",
            "4096",
            "--epochs",
            "100",
            "--data",
            "/nonexistent",
        ]),
        1,
        "/nonexistent: not a folder",
    );
}

#[test]
fn bad_data_folders_are_named() {
    assert_fails(
        &run(&["train", "--data", "/nonexistent/mnist"]),
        1,
        "/nonexistent/mnist: not a folder",
    );
    let empty = temp_dir("empty");
    assert_fails(
        &run(&["train", "--data", empty.to_str().unwrap()]),
        1,
        "train-images-idx3-ubyte.gz: not found",
    );
    let broken = synthetic_mnist("broken", 50);
    std::fs::write(
        broken.join("train-labels-idx1-ubyte.gz"),
        b"not gzip at all",
    )
    .unwrap();
    assert_fails(
        &run(&["train", "--data", broken.to_str().unwrap()]),
        1,
        "train-labels-idx1-ubyte.gz: not a valid gzip file",
    );
}

#[test]
fn trains_saves_evaluates_and_predicts() {
    let data = synthetic_mnist("train", 600);
    let out = data.join("model.safetensors");
    let o = train_mlp64(
        &data,
        &out,
        &["--epochs", "2", "--batch", "32", "--lr", "0.01"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("a JSON summary on stdout");
    assert_eq!(summary["history"].as_array().unwrap().len(), 2);
    assert!(
        summary["test_accuracy"].as_f64().unwrap() > 0.9,
        "the bars are easy to learn: {summary}"
    );
    assert!(
        stderr(&o).contains("epoch 2/2: loss"),
        "a line per epoch: {}",
        stderr(&o)
    );

    let o = run(&[
        "eval",
        "--model-file",
        out.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("test accuracy: ") && text.contains("confusion matrix"),
        "{text}"
    );

    // The same test set as a pair of files, gzip-compressed and raw: the same report.
    let (images_gz, labels_gz) = (
        data.join("t10k-images-idx3-ubyte.gz"),
        data.join("t10k-labels-idx1-ubyte.gz"),
    );
    let (images_raw, labels_raw) = (data.join("mine-images.idx"), data.join("mine-labels.idx"));
    for (gz, raw) in [(&images_gz, &images_raw), (&labels_gz, &labels_raw)] {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap()),
            &mut bytes,
        )
        .unwrap();
        std::fs::write(raw, bytes).unwrap();
    }
    for (images, labels) in [(&images_gz, &labels_gz), (&images_raw, &labels_raw)] {
        let o = run(&[
            "eval",
            "--model-file",
            out.to_str().unwrap(),
            "--images",
            images.to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(String::from_utf8(o.stdout).unwrap(), text);
    }
    assert_fails(
        &run(&[
            "eval",
            "--model-file",
            out.to_str().unwrap(),
            "--images",
            images_raw.to_str().unwrap(),
            "--labels",
            data.join("train-labels-idx1-ubyte.gz").to_str().unwrap(),
        ]),
        1,
        "the image file holds 120 images but the label file holds 600 labels",
    );
    assert_fails(
        &run(&[
            "eval",
            "--model-file",
            out.to_str().unwrap(),
            "--images",
            labels_raw.to_str().unwrap(),
            "--labels",
            labels_raw.to_str().unwrap(),
        ]),
        1,
        "mine-labels.idx: expected the IDX image magic number 0x00000803, found 0x00000801: this is a label file",
    );
    assert_fails(
        &run(&[
            "eval",
            "--model-file",
            out.to_str().unwrap(),
            "--images",
            images_raw.to_str().unwrap(),
        ]),
        2,
        "--labels <LABELS>",
    );

    let o = run(&[
        "predict",
        "--model-file",
        out.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--test-index",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let probs: Vec<f64> = p["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(probs.len(), 10);
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-5);
    assert_eq!(p["label"], 3);
    assert_eq!(p["prediction"], 3);

    let o = run(&[
        "trace",
        "--model-file",
        out.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--index",
        "5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let trace = &t["traces"][0];
    assert_eq!(trace["loss"]["labels"][0], 5);
    // Resumed from the saved Adam state: the step is t = (2 epochs of 19 steps) + 1.
    assert_eq!(trace["optimizer"]["t"], 39);
    assert_fails(
        &run(&[
            "trace",
            "--model-file",
            out.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--index",
            "120",
        ]),
        1,
        "test digit 120 does not exist; there are 120",
    );
}

#[test]
fn traces_a_fresh_preset_from_a_seed() {
    let data = synthetic_mnist("fresh", 120);
    let dir = data.to_str().unwrap();
    let trace = |model: &str, seed: &str| -> serde_json::Value {
        let o = run(&[
            "trace", "--model", model, "--seed", seed, "--data", dir, "--index", "5",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        t["traces"][0].clone()
    };
    let a = trace("mlp-64", "1");
    assert_eq!(a["loss"]["labels"][0], 5);
    // A fresh optimizer: the first step, from zero moments, with Adam's defaults.
    assert_eq!(a["optimizer"]["t"], 1);
    assert_eq!(a["optimizer"]["config"]["lr"], 0.001);
    for layer in a["layers"].as_array().unwrap() {
        for p in layer["params"].as_array().unwrap() {
            for field in ["m_before", "v_before"] {
                let zeros = p["update"][field].as_array().unwrap();
                assert!(zeros.iter().all(|x| x.as_f64() == Some(0.0)), "{field}");
            }
        }
    }
    // The seed fixes every number: the same seed gives the same trace, another seed another one.
    assert_eq!(a, trace("mlp-64", "1"));
    assert_ne!(a["loss"]["value"], trace("mlp-64", "2")["loss"]["value"]);
    assert_fails(
        &run(&["trace", "--model", "resnet", "--data", dir, "--index", "0"]),
        1,
        "unknown model 'resnet'; choose one of mlp-64, mlp-128, cnn, mlp-512-dropout",
    );
    assert_fails(
        &run(&[
            "trace", "--model", "mlp-64", "--seed", "1.5", "--index", "0",
        ]),
        2,
        "invalid value '1.5' for '--seed <SEED>'",
    );
}

#[test]
fn predicts_a_picture_of_any_size() {
    let data = synthetic_mnist("picture", 400);
    let model = data.join("m.safetensors");
    let o = train_mlp64(&data, &model, &["--epochs", "1", "--lr", "0.01"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A white page with a dark digit drawn on it is read, whatever its size.
    let mut img = image::GrayImage::from_pixel(300, 200, image::Luma([255]));
    for x in 100..200 {
        for y in 90..100 {
            img.put_pixel(x, y, image::Luma([0]));
        }
    }
    let png = data.join("digit.png");
    img.save(&png).unwrap();
    let o = run(&[
        "predict",
        "--model-file",
        model.to_str().unwrap(),
        "--image",
        png.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["probabilities"].as_array().unwrap().len(), 10);

    let blank = data.join("blank.png");
    image::GrayImage::from_pixel(50, 50, image::Luma([255]))
        .save(&blank)
        .unwrap();
    assert_fails(
        &run(&[
            "predict",
            "--model-file",
            model.to_str().unwrap(),
            "--image",
            blank.to_str().unwrap(),
        ]),
        1,
        "no digit found (the picture is blank)",
    );
    let text = data.join("notes.png");
    std::fs::write(&text, "hello").unwrap();
    assert_fails(
        &run(&[
            "predict",
            "--model-file",
            model.to_str().unwrap(),
            "--image",
            text.to_str().unwrap(),
        ]),
        1,
        "notes.png: not a readable picture",
    );
}

#[test]
fn bad_model_files_are_refused() {
    let dir = temp_dir("models");
    let garbage = dir.join("garbage.safetensors");
    std::fs::write(&garbage, b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": 1}").unwrap();
    assert_fails(
        &run(&[
            "eval",
            "--model-file",
            garbage.to_str().unwrap(),
            "--data",
            ".",
        ]),
        1,
        "garbage.safetensors: ",
    );
    let short = dir.join("short.safetensors");
    std::fs::write(&short, b"abc").unwrap();
    assert_fails(
        &run(&[
            "eval",
            "--model-file",
            short.to_str().unwrap(),
            "--data",
            ".",
        ]),
        1,
        "the model file is truncated",
    );
    assert_fails(
        &run(&[
            "eval",
            "--model-file",
            "/nonexistent.safetensors",
            "--data",
            ".",
        ]),
        1,
        "/nonexistent.safetensors: No such file",
    );
}

/// The shards of a batch run on as many cores as asked, and every tensor of the model file (the
/// weights and the optimizer's state) is the same, bit for bit (batch 80: shards of 32, 32 and 16
/// examples; dropout draws its masks shard by shard).
#[test]
fn any_number_of_threads_trains_the_same_model() {
    let data = synthetic_mnist("threads", 200);
    for model in ["cnn", "mlp-512-dropout"] {
        let files: Vec<Vec<u8>> = ["1", "3"]
            .iter()
            .map(|threads| {
                let out = data.join(format!("{model}-{threads}.safetensors"));
                let o = run(&[
                    "train",
                    "--threads",
                    threads,
                    "--model",
                    model,
                    "--epochs",
                    "1",
                    "--batch",
                    "80",
                    "--data",
                    data.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                ]);
                assert!(o.status.success(), "{}", stderr(&o));
                std::fs::read(&out).unwrap()
            })
            .collect();
        let tensors = |bytes| {
            let file = safetensors::SafeTensors::deserialize(bytes).unwrap();
            let mut all: Vec<(String, Vec<u8>)> = file
                .tensors()
                .into_iter()
                .map(|(name, t)| (name, t.data().to_vec()))
                .collect();
            all.sort();
            all
        };
        let (one, three) = (tensors(&files[0]), tensors(&files[1]));
        assert!(one.len() >= 8, "{model}: weights and Adam's m and v");
        for ((name, a), (_, b)) in one.iter().zip(&three) {
            assert!(a == b, "{model}: {name} differs between 1 and 3 threads");
        }
    }
}

#[test]
fn diverging_training_leaves_no_file() {
    let data = synthetic_mnist("diverge", 400);
    let out = data.join("never.safetensors");
    let o = train_mlp64(
        &data,
        &out,
        &["--optimizer", "sgd", "--lr", "1e30", "--epochs", "1"],
    );
    assert_fails(&o, 1, "training diverged at step");
    assert!(stderr(&o).contains("Try a smaller learning rate"));
    assert!(!out.exists(), "no partial model file");
    assert!(std::fs::read_dir(&data).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("partial")));
}

#[test]
fn traces_a_spec() {
    let dir = temp_dir("spec");
    let spec = dir.join("mazur.json");
    std::fs::write(
        &spec,
        r#"{"input": [0.05, 0.10],
            "layers": [{"type": "dense", "weights": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35]}, {"type": "sigmoid"},
                       {"type": "dense", "weights": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60]}, {"type": "sigmoid"}],
            "target": [0.01, 0.99], "loss": "half_sse", "optimizer": {"type": "sgd", "lr": 0.5}}"#,
    )
    .unwrap();
    let o = run(&["trace", "--spec", spec.to_str().unwrap(), "--steps", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(t["steps"], 2);
    // E_total before training, as published by Mazur: 0.298371109.
    assert!((t["traces"][0]["loss"]["value"].as_f64().unwrap() - 0.298_371_109).abs() < 1e-7);
    assert!(t["traces"][1]["loss"]["value"].as_f64().unwrap() < 0.298);

    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"input": [1, 2], "layers": [{"type": "dense", "weights": [[1, 2, 3]], "bias": [0]}], "target": [1], "loss": "mse"}"#).unwrap();
    assert_fails(
        &run(&["trace", "--spec", bad.to_str().unwrap()]),
        1,
        "bad.json: layers[0].weights: expected 1 row of 2 numbers, found a row of 3",
    );
}
