//! `backprop-lab`: train, evaluate, predict and print worked traces from the command line.
//!
//! ```text
//! backprop-lab train   --model cnn --epochs 5 --batch 64 --lr 0.001 --seed 1 --data DIR --out model.safetensors
//! backprop-lab eval    --model-file model.safetensors --data DIR
//! backprop-lab eval    --model-file model.safetensors --images F --labels F
//! backprop-lab trace   --spec spec.json [--steps N]
//! backprop-lab trace   --model-file model.safetensors --data DIR --index I
//! backprop-lab trace   --model mlp-64 --seed 1 --data DIR --index I
//! backprop-lab predict --model-file model.safetensors --image digit.png
//! backprop-lab predict --model-file model.safetensors --data DIR --test-index I
//! ```
//!
//! Results go to stdout (JSON where a program will read them), progress and messages to stderr.
//! Every failure a user can cause ends in one line `error: ...` and exit status 1 (2 for bad
//! arguments), and never leaves a partial output file behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use backprop_lab::data::files::{load_dir, load_pair};
use backprop_lab::data::{picture, preprocess};
use backprop_lab::digit::{self, test_digit};
use backprop_lab::error::{Error, Result};
use backprop_lab::model_file;
use backprop_lab::network::Network;
use backprop_lab::optim::{Optimizer, OptimizerConfig};
use backprop_lab::presets;
use backprop_lab::spec;
use backprop_lab::trace::run_spec;
use backprop_lab::train::{evaluate, Run, Settings};
use backprop_lab::vocabulary::{self, OptimizerKind};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "backprop-lab",
    version,
    about = "Train a neural network on MNIST and see every number of backpropagation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Cores to train and evaluate on (default: all); any number gives the same results
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

/// The optimizers of [`vocabulary::OptimizerKind`], as command-line values.
#[derive(Clone, Copy, ValueEnum)]
enum OptimizerArg {
    Adam,
    Sgd,
}

impl From<OptimizerArg> for OptimizerKind {
    fn from(o: OptimizerArg) -> Self {
        match o {
            OptimizerArg::Adam => OptimizerKind::Adam,
            OptimizerArg::Sgd => OptimizerKind::Sgd,
        }
    }
}

/// Steps between progress-bar updates.
const STEPS_PER_CHUNK: usize = 20;

#[derive(Subcommand)]
enum Command {
    /// Train a preset model on MNIST; progress on stderr, a JSON summary on stdout.
    Train {
        /// mlp-64, mlp-128, cnn or mlp-512-dropout
        #[arg(long, default_value = vocabulary::DEFAULT_MODEL)]
        model: String,
        #[arg(long, default_value_t = vocabulary::DEFAULT_EPOCHS)]
        epochs: usize,
        #[arg(long, default_value_t = vocabulary::DEFAULT_BATCH)]
        batch: usize,
        /// Learning rate (default: the optimizer's own, Adam's α = 0.001 or SGD's)
        #[arg(long, allow_negative_numbers = true)]
        lr: Option<f64>,
        /// The optimizer (default: Adam)
        #[arg(long, value_enum)]
        optimizer: Option<OptimizerArg>,
        /// SGD momentum (0 for plain SGD)
        #[arg(long, default_value_t = vocabulary::DEFAULT_MOMENTUM, allow_negative_numbers = true)]
        momentum: f64,
        #[arg(long, default_value_t = vocabulary::DEFAULT_SEED)]
        seed: u64,
        /// Folder with the four MNIST files (default: $MNIST_DIR)
        #[arg(long)]
        data: Option<PathBuf>,
        /// Train on only the first N training images (quick experiments)
        #[arg(long)]
        limit: Option<usize>,
        /// Where to write the model file (written only if training succeeds)
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Accuracy and confusion matrix of a model file on the MNIST test set, or on any pair of
    /// IDX files (raw or .gz), such as digits exported from the page.
    Eval {
        #[arg(long)]
        model_file: PathBuf,
        #[arg(long, conflicts_with = "images")]
        data: Option<PathBuf>,
        /// An IDX image file (instead of --data's test set)
        #[arg(long, requires = "labels")]
        images: Option<PathBuf>,
        /// The IDX label file that goes with --images
        #[arg(long, requires = "images")]
        labels: Option<PathBuf>,
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// The worked trace of training steps, as JSON: of a spec file, or of a model (from a file, or
    /// a fresh preset from a seed) on one test digit.
    Trace {
        /// A network spec (JSON); see README "The network spec"
        #[arg(long, conflicts_with_all = ["model_file", "model", "index"])]
        spec: Option<PathBuf>,
        /// Steps to trace (default: the spec's `steps`, or 1)
        #[arg(long)]
        steps: Option<usize>,
        #[arg(long, requires = "index", conflicts_with = "model")]
        model_file: Option<PathBuf>,
        /// A fresh preset instead of a model file (mlp-64, mlp-128, cnn or mlp-512-dropout):
        /// the weights of --seed and a fresh Adam optimizer with its defaults
        #[arg(long, requires = "index")]
        model: Option<String>,
        /// The seed of the fresh --model's weights
        #[arg(long, requires = "model", default_value_t = vocabulary::DEFAULT_SEED)]
        seed: u64,
        #[arg(long)]
        data: Option<PathBuf>,
        /// Index of a test digit
        #[arg(long)]
        index: Option<usize>,
    },
    /// Class probabilities for a picture of a digit (any size; preprocessed like MNIST) or a test digit.
    Predict {
        #[arg(long)]
        model_file: PathBuf,
        #[arg(long, conflicts_with = "test_index")]
        image: Option<PathBuf>,
        /// Index of a test digit (with --data)
        #[arg(long)]
        test_index: Option<usize>,
        #[arg(long)]
        data: Option<PathBuf>,
        /// Also write the 28x28 image the network sees to this PNG
        #[arg(long)]
        save_input: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
            if matches!(e.kind(), DisplayHelp | DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // clap's message is several lines with usage; keep its first line, and the line
            // after it when the first only announces a list ("...were not provided:").
            let text = e.to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ")
                .to_string();
            if first.ends_with(':') {
                first = format!("{first} {}", lines.next().unwrap_or_default());
            }
            eprintln!("error: {first} (see backprop-lab --help)");
            return ExitCode::from(2);
        }
    };
    if let Some(n) = cli.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.into())
            .build_global()
            .expect("the thread pool is set up once, before any work");
    }
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Train {
            model,
            epochs,
            batch,
            lr,
            optimizer,
            momentum,
            seed,
            data,
            limit,
            out,
        } => {
            let kind = optimizer.map_or(vocabulary::DEFAULT_OPTIMIZER, OptimizerKind::from);
            let optimizer = match kind.config(lr) {
                OptimizerConfig::Sgd { lr, .. } => OptimizerConfig::Sgd { lr, momentum },
                adam => adam,
            };
            let settings = Settings {
                model,
                optimizer,
                batch,
                seed,
            };
            train(settings, epochs, data, limit, out)
        }
        Command::Eval {
            model_file,
            data,
            images,
            labels,
            json,
        } => eval(&model_file, data, images.zip(labels), json),
        Command::Trace {
            spec,
            steps,
            model_file,
            model,
            seed,
            data,
            index,
        } => match (spec, model_file, model, index) {
            (Some(spec), _, _, _) => trace_spec(&spec, steps),
            (None, Some(model_file), _, Some(index)) => trace_digit(&model_file, data, index),
            (None, None, Some(model), Some(index)) => trace_fresh_digit(&model, seed, data, index),
            _ => Err(Error::new(
                "give --spec FILE, or --model-file FILE or --model NAME with --index I (and --data DIR)",
            )),
        },
        Command::Predict {
            model_file,
            image,
            test_index,
            data,
            save_input,
        } => predict(&model_file, image, test_index, data, save_input),
    }
}

fn data_dir(data: Option<PathBuf>) -> Result<PathBuf> {
    data.or_else(|| std::env::var_os("MNIST_DIR").map(PathBuf::from))
        .ok_or_else(|| {
            Error::new(
                "no data: pass --data DIR or set MNIST_DIR to a folder with the four MNIST files",
            )
        })
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::new(format!("{}: {e}", path.display())))
}

fn load_model(path: &Path) -> Result<model_file::Model> {
    model_file::load(&read_file(path)?).map_err(|e| e.context(path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so a failure never
/// leaves a partial file behind.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.partial",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("model")
    ));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::new(format!("{}: could not write ({e})", path.display()))
    })
}

fn train(
    settings: Settings,
    epochs: usize,
    data: Option<PathBuf>,
    limit: Option<usize>,
    out: Option<PathBuf>,
) -> Result<()> {
    // Check every setting before the slow part, with the flag names in the messages.
    presets::arch(&settings.model)?;
    settings
        .optimizer
        .validate("--lr/--momentum")
        .map_err(|e| Error::new(e.0.replace("--lr/--momentum.", "--")))?;
    vocabulary::EPOCHS.check_count("--epochs", epochs)?;
    vocabulary::BATCH.check_count("--batch", settings.batch)?;
    vocabulary::SEED.check("--seed", settings.seed as f64)?;
    if let Some(out) = &out {
        let dir = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(Error::new(format!(
                "{}: the folder {} does not exist",
                out.display(),
                dir.display()
            )));
        }
    }
    let dir = data_dir(data)?;
    let (mut train_set, test_set) = load_dir(&dir)?;
    if let Some(n) = limit {
        if n == 0 {
            return Err(Error::new("--limit must be at least 1"));
        }
        train_set = train_set.subset(0..n.min(train_set.len()));
    }
    let Settings {
        model,
        optimizer: opt,
        batch,
        seed,
    } = settings.clone();
    eprintln!(
        "training {model} on {} images ({} test) from {}: {epochs} epochs, batch {batch}, {}, seed {seed}",
        train_set.len(),
        test_set.len(),
        dir.display(),
        describe_opt(&opt)
    );

    let mut run = Run::fresh(settings)?;
    let bar = ProgressBar::new((epochs * train_set.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {percent:>3}% epoch {msg} · {per_sec} · ETA {eta}")
            .expect("valid template")
            .progress_chars("█▉▊▋▌▍▎▏ "),
    );
    let started = Instant::now();
    let mut history = Vec::new();
    for epoch in 1..=epochs {
        bar.set_message(format!("{epoch}/{epochs}"));
        let epoch_start = Instant::now();
        let so_far = loop {
            let r = run.trainer.run_chunk(&train_set, STEPS_PER_CHUNK, false);
            if let Some(d) = r.diverged {
                return Err(Error::new(d.to_string()));
            }
            bar.inc(r.seen as u64);
            if r.epoch_done {
                break r.epoch_so_far.expect("an epoch has examples");
            }
        };
        let seconds = epoch_start.elapsed().as_secs_f64();
        let ev = evaluate(&mut run.trainer.net, &test_set, 500);
        let line = json!({
            "epoch": epoch,
            "loss": so_far.loss,
            "train_accuracy": so_far.accuracy,
            "test_accuracy": ev.accuracy,
            "test_loss": ev.loss,
            "seconds": seconds,
            "samples_per_second": so_far.seen as f64 / seconds,
        });
        bar.suspend(|| {
            eprintln!(
                "epoch {epoch}/{epochs}: loss {:.4}, train accuracy {:.2}%, test accuracy {:.2}% ({:.1} s, {:.0} samples/s)",
                so_far.loss,
                100.0 * so_far.accuracy,
                100.0 * ev.accuracy,
                seconds,
                so_far.seen as f64 / seconds
            )
        });
        history.push(line);
    }
    bar.finish_and_clear();
    let total = started.elapsed().as_secs_f64();
    let final_acc = history
        .last()
        .map(|h| h["test_accuracy"].clone())
        .unwrap_or_default();
    let info = json!({
        "model": model, "epochs": epochs, "batch": batch, "optimizer": opt, "seed": seed,
        "train_images": train_set.len(), "test_accuracy": final_acc,
    });
    if let Some(out) = &out {
        let bytes = run.save(info)?;
        write_atomically(out, &bytes)?;
        eprintln!("saved {}", out.display());
    }
    let summary = json!({
        "model": model, "epochs": epochs, "batch": batch, "optimizer": opt, "seed": seed,
        "train_images": train_set.len(), "test_images": test_set.len(),
        "test_accuracy": final_acc, "seconds": total,
        "out": out.map(|p| p.display().to_string()), "history": history,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&summary).expect("plain data")
    );
    Ok(())
}

fn describe_opt(opt: &OptimizerConfig) -> String {
    match opt {
        OptimizerConfig::Adam(c) => format!(
            "Adam (lr {}, β1 {}, β2 {}, ε {})",
            c.lr, c.beta1, c.beta2, c.eps
        ),
        OptimizerConfig::Sgd { lr, momentum } => format!("SGD (lr {lr}, momentum {momentum})"),
    }
}

fn eval(
    model_file: &Path,
    data: Option<PathBuf>,
    pair: Option<(PathBuf, PathBuf)>,
    as_json: bool,
) -> Result<()> {
    let mut model = load_model(model_file)?;
    model.network.check_digit_classifier()?;
    let test = match pair {
        Some((images, labels)) => load_pair(&images, &labels)?,
        None => load_dir(&data_dir(data)?)?.1,
    };
    let ev = evaluate(&mut model.network, &test, 500);
    if as_json {
        let mut v = serde_json::to_value(&ev).expect("plain data");
        v.as_object_mut().map(|o| {
            o.remove("predictions");
            o.remove("misclassified")
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
        return Ok(());
    }
    println!(
        "test accuracy: {:.2}% ({} of {}), mean loss {:.4}",
        100.0 * ev.accuracy,
        ev.correct,
        ev.count,
        ev.loss
    );
    println!();
    println!("confusion matrix (rows: true digit, columns: predicted)");
    print!("     ");
    for p in 0..ev.confusion.len() {
        print!("{p:>6}");
    }
    println!();
    for (t, row) in ev.confusion.iter().enumerate() {
        print!("{t:>4} ");
        for c in row {
            print!("{c:>6}");
        }
        println!();
    }
    Ok(())
}

fn trace_spec(path: &Path, steps: Option<usize>) -> Result<()> {
    let text = String::from_utf8(read_file(path)?)
        .map_err(|_| Error::new(format!("{}: not UTF-8 text", path.display())))?;
    let spec = spec::parse(&text).map_err(|e| e.context(path.display()))?;
    let steps = steps.unwrap_or(spec.steps);
    if steps == 0 || steps > spec::MAX_STEPS {
        return Err(Error::new(format!(
            "--steps must be from 1 to {}, found {steps}",
            spec::MAX_STEPS
        )));
    }
    let traces = run_spec(&spec, steps);
    print_json(&TraceReport {
        steps,
        index: None,
        label: None,
        traces: &traces,
    })
}

fn trace_digit(model_file: &Path, data: Option<PathBuf>, index: usize) -> Result<()> {
    let model = load_model(model_file)?;
    model.network.check_digit_classifier()?;
    let opt = model
        .optimizer
        .unwrap_or_else(|| OptimizerConfig::default().build());
    trace_one_digit(model.network, opt, data, index)
}

/// The first training step of a fresh preset: t = 1, m = v = 0 (what the step-through view shows
/// for "a fresh network from a seed").
fn trace_fresh_digit(model: &str, seed: u64, data: Option<PathBuf>, index: usize) -> Result<()> {
    let net = presets::network(model, seed)?;
    trace_one_digit(net, OptimizerConfig::default().build(), data, index)
}

fn trace_one_digit(
    mut net: Network,
    mut opt: Optimizer,
    data: Option<PathBuf>,
    index: usize,
) -> Result<()> {
    let (_, test) = load_dir(&data_dir(data)?)?;
    let (pixels, label) = test_digit(&test, index)?;
    let trace = digit::trace_digit(&mut net, &mut opt, &pixels, label)?;
    print_json(&TraceReport {
        steps: 1,
        index: Some(index),
        label: Some(label),
        traces: &[trace],
    })
}

fn predict(
    model_file: &Path,
    image: Option<PathBuf>,
    test_index: Option<usize>,
    data: Option<PathBuf>,
    save_input: Option<PathBuf>,
) -> Result<()> {
    let mut model = load_model(model_file)?;
    model.network.check_digit_classifier()?;
    let (pixels, label, preprocessed) = match (image, test_index) {
        (Some(path), _) => {
            let p = picture::digit_from_picture(&read_file(&path)?)
                .map_err(|e| e.context(path.display()))?;
            (p.image.clone(), None, Some(p))
        }
        (None, Some(i)) => {
            let (_, test) = load_dir(&data_dir(data)?)?;
            let (x, y) = test_digit(&test, i)?;
            (x, Some(y), None)
        }
        (None, None) => return Err(Error::new("give --image FILE or --test-index I")),
    };
    if let Some(out) = save_input {
        let bytes = preprocess::to_u8(&pixels);
        let img = image::GrayImage::from_raw(28, 28, bytes).expect("784 pixels");
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| Error::new(e.to_string()))?;
        write_atomically(&out, &png)?;
    }
    let probs = model.network.predict(&pixels).into_raw_vec_and_offset().0;
    let prediction = backprop_lab::train::argmax(&probs);
    print_json(&Prediction {
        prediction,
        probabilities: &probs,
        label,
        bbox: preprocessed.as_ref().map(|p| p.bbox),
        center_of_mass: preprocessed.as_ref().map(|p| p.center_of_mass),
    })
}

// Results are written from typed structs, not through serde_json::Value, which would store each
// f32 as an f64 and print it with f64 digits (0.1f32 as 0.10000000149011612).

#[derive(serde::Serialize)]
struct TraceReport<'a> {
    steps: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<usize>,
    traces: &'a [backprop_lab::trace::Trace],
}

#[derive(serde::Serialize)]
struct Prediction<'a> {
    prediction: usize,
    probabilities: &'a [f32],
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bbox: Option<(usize, usize, usize, usize)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    center_of_mass: Option<(f32, f32)>,
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    serde_json::to_writer(&mut lock, v)
        .map_err(|e| Error::new(format!("could not write the output: {e}")))?;
    writeln!(lock).map_err(|e| Error::new(format!("could not write the output: {e}")))
}
