//! The browser's view of the core: the only file with `#[wasm_bindgen]`. It converts and nothing
//! else: JavaScript values in (through serde-wasm-bindgen), the core's results out, the core's
//! errors as JavaScript exceptions carrying its message. Every decision lives in a core module
//! that native tests cover: [`crate::train`] (settings, runs, chunks of steps, evaluation),
//! [`crate::summary`] (histograms, activations), [`crate::digit`] (tracing one digit),
//! [`crate::vocabulary`] (limits and defaults).
//!
//! The worker (www/worker.js) owns one [`Playground`] (an MNIST model, its optimizer, the data,
//! the run's timeline and, while the page looks at a point of it, that snapshot's model, which
//! every read answers from) and any number of [`SpecLab`]s (custom tiny networks of the step-through view);
//! [`trace_fresh`] and [`gradient_check_fresh`] trace a fresh preset from a seed instead of the
//! current model. The handles are opaque; everything goes back out as owned copies (`Vec<f32>`
//! becomes a fresh `Float32Array`), never a view into wasm memory that the next allocation could
//! move. Large structured results (a worked trace holds hundreds of thousands of numbers) cross as
//! JSON text, which `JSON.parse` reads far faster than a value-by-value conversion.
//!
//! A panic (a bug) is printed to the console by console_error_panic_hook and the worker reports it.

#![cfg(target_arch = "wasm32")]

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::data::mnist::Dataset;
use crate::digit;
use crate::drawing::{self, Explain};
use crate::error::Error;
use crate::finetune::{self, FineTuneConfig, Session};
use crate::network::{Arch, Network};
use crate::optim::Optimizer;
use crate::parallel::{ShardHelper, ShardWorker};
use crate::presets::Fresh;
use crate::spec::{self, Spec};
use crate::summary;
use crate::timeline::Entry;
use crate::trace;
use crate::train::{argmax, Evaluator, Run, Settings};
use crate::vocabulary;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: Error) -> JsError {
    JsError::new(&e.0)
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

fn from_js<T: serde::de::DeserializeOwned>(v: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(v).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

fn set(target: &JsValue, key: &str, value: &JsValue) -> Result<(), JsError> {
    js_sys::Reflect::set(target, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|_| JsError::new(&format!("could not set {key}")))
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

/// Every limit, default, preset, layer kind, loss and optimizer ([`vocabulary::vocabulary`]).
#[wasm_bindgen]
pub fn vocabulary() -> Result<JsValue, JsError> {
    to_js(&vocabulary::vocabulary())
}

/// Checks `value` against the vocabulary's limit `name` (`"epochs"`, `"batch"`, ...); throws the
/// core's message (`epochs: expected a whole number from 1 to 100, found 0`).
#[wasm_bindgen(js_name = checkLimit)]
pub fn check_limit(name: &str, value: f64) -> Result<(), JsError> {
    let limit =
        vocabulary::limit(name).ok_or_else(|| JsError::new(&format!("no limit named {name}")))?;
    limit.check(name, value).map_err(js_err)
}

/// Probabilities with the class they pick (the first of the largest).
#[derive(Serialize)]
struct Prediction {
    probs: Vec<f32>,
    class: usize,
}

impl Prediction {
    fn of(net: &mut Network, pixels: &[f32]) -> Result<Prediction, JsError> {
        digit::check_pixels(net, pixels).map_err(js_err)?;
        let probs = net.predict(pixels).into_raw_vec_and_offset().0;
        Ok(Prediction {
            class: argmax(&probs),
            probs,
        })
    }
}

#[wasm_bindgen]
extern "C" {
    /// The second core as the training worker sees it (www/lib/cores.js): it hands a shard to
    /// the other instance through shared memory and waits for its gradient.
    pub type Cores;
    /// Makes the other instance's network one of `arch` (JSON) unless it is one already; false
    /// when the other instance cannot take shards (not started, or failed).
    #[wasm_bindgen(method)]
    fn configure(this: &Cores, arch: &str) -> bool;
    #[wasm_bindgen(method)]
    fn start(this: &Cores, weights: &[f32], examples: &[u32], batch: u32, dropout: &[u32]) -> bool;
    /// `[loss share, right answers]` of the started shard, or nothing when it failed.
    #[wasm_bindgen(method)]
    fn finish(this: &Cores) -> Option<Vec<f64>>;
    /// The finished shard's gradient (a view of the shared memory).
    #[wasm_bindgen(method)]
    fn gradient(this: &Cores) -> js_sys::Float32Array;
}

/// [`Cores`] as the trainer's [`ShardHelper`].
struct JsHelper {
    cores: Cores,
    grad: Vec<f32>,
}

impl ShardHelper for JsHelper {
    fn start(&mut self, weights: &[f32], examples: &[u32], batch: usize, dropout: &[u32]) -> bool {
        self.cores.start(weights, examples, batch as u32, dropout)
    }

    fn finish(&mut self, grads: &mut [&mut [f32]]) -> Option<(f64, usize)> {
        let r = self.cores.finish()?;
        let view = self.cores.gradient();
        let total: usize = grads.iter().map(|g| g.len()).sum();
        if r.len() != 2 || view.length() as usize != total {
            return None;
        }
        self.grad.resize(total, 0.0);
        view.copy_to(&mut self.grad);
        let mut at = 0;
        for g in grads.iter_mut() {
            for (s, v) in g.iter_mut().zip(&self.grad[at..]) {
                *s += v;
            }
            at += g.len();
        }
        Some((r[0], r[1] as usize))
    }
}

/// The other side of [`Cores`]: a copy of the network and the training set in a second worker
/// (www/core-worker.js) that computes the shards it is given ([`ShardWorker`]).
#[wasm_bindgen]
pub struct ShardCore {
    worker: Option<ShardWorker>,
    data: Option<Dataset>,
    /// The weights the training worker sent, written straight into this memory by
    /// [`weights_buffer`](Self::weights_buffer)'s view (one copy from the shared memory).
    weights: Vec<f32>,
    /// The last shard's gradient, flat, read straight from this memory by
    /// [`gradient`](Self::gradient)'s view.
    grad: Vec<f32>,
}

#[wasm_bindgen]
impl ShardCore {
    #[wasm_bindgen(constructor)]
    pub fn new() -> ShardCore {
        ShardCore {
            worker: None,
            data: None,
            weights: Vec::new(),
            grad: Vec::new(),
        }
    }

    /// The training set (decompressed IDX images and labels; the images taken over, not copied
    /// again). The last one is let go first: an instance holds one training set at a time.
    #[wasm_bindgen(js_name = setData)]
    pub fn set_data(&mut self, images: Vec<u8>, labels: &[u8]) -> Result<(), JsError> {
        self.data = None;
        self.data = Some(Dataset::from_idx_owned(images, labels).map_err(js_err)?);
        Ok(())
    }

    /// A network of `arch` (JSON, as [`Cores::configure`] sends it); its weights come with shards.
    pub fn configure(&mut self, arch: &str) -> Result<(), JsError> {
        let arch: Arch = serde_json::from_str(arch).map_err(|e| JsError::new(&e.to_string()))?;
        self.worker = Some(ShardWorker::new(
            Network::from_arch(&arch, 0).map_err(js_err)?,
        ));
        Ok(())
    }

    /// Room for `len` weights in this instance's memory, as a view for the caller to fill before
    /// [`run`](Self::run) with `weights_given`. The view lasts until this memory next grows: fill
    /// it at once.
    #[wasm_bindgen(js_name = weightsBuffer)]
    pub fn weights_buffer(&mut self, len: usize) -> js_sys::Float32Array {
        self.weights.resize(len, 0.0);
        // SAFETY: a view of a live Vec, used by the caller before any further allocation here.
        unsafe { js_sys::Float32Array::view(&self.weights) }
    }

    /// A shard ([`ShardWorker::run`]) on the weights put in [`weights_buffer`](Self::weights_buffer)
    /// when `weights_given` (else on the last ones): returns `[loss share, right answers]`; its
    /// gradient is then [`gradient`](Self::gradient).
    pub fn run(
        &mut self,
        weights_given: bool,
        examples: &[u32],
        batch: usize,
        dropout: &[u32],
    ) -> Result<Vec<f64>, JsError> {
        let data = loaded(&self.data, "training")?;
        let w = self
            .worker
            .as_mut()
            .ok_or_else(|| JsError::new("no network configured"))?;
        let weights: &[f32] = if weights_given { &self.weights } else { &[] };
        let (loss, correct) = w.run(data, weights, examples, batch, dropout);
        Ok(vec![loss, correct as f64])
    }

    /// The last shard's gradient, flat, as a view of this memory: it lasts until this memory next
    /// grows, so copy it out at once.
    pub fn gradient(&mut self) -> js_sys::Float32Array {
        let w = self.worker.as_mut().expect("a shard was run");
        self.grad.clear();
        for p in w.net.params() {
            self.grad.extend_from_slice(p.grad);
        }
        // SAFETY: a view of a live Vec, copied by the caller before any further allocation here.
        unsafe { js_sys::Float32Array::view(&self.grad) }
    }
}

impl Default for ShardCore {
    fn default() -> Self {
        Self::new()
    }
}

/// An MNIST model being trained or used, with its data.
#[wasm_bindgen]
pub struct Playground {
    run: Run,
    train: Option<Dataset>,
    test: Option<Dataset>,
    evaluator: Option<Evaluator>,
    /// The snapshot the page is looking at (its step and model), if any: reads answer from it.
    viewed: Option<(u64, Run)>,
    /// Snapshots loaded for comparisons, by step (the last two).
    loaded: Vec<(u64, Network)>,
    finetune: Option<Session>,
}

/// The model the page is looking at: the snapshot it chose, else the one in training.
fn shown<'a>(run: &'a mut Run, viewed: &'a mut Option<(u64, Run)>) -> &'a mut Run {
    match viewed {
        Some((_, r)) => r,
        None => run,
    }
}

/// The data set in `slot`, or an error saying the `what` data is not loaded yet.
fn loaded<'a>(slot: &'a Option<Dataset>, what: &str) -> Result<&'a Dataset, JsError> {
    slot.as_ref()
        .ok_or_else(|| JsError::new(&format!("no {what} data loaded yet")))
}

impl Playground {
    fn test_data(&self) -> Result<&Dataset, JsError> {
        loaded(&self.test, "test")
    }

    fn replace(&mut self, run: Run) {
        self.run = run;
        self.evaluator = None;
        self.forget_snapshots();
        self.finetune = None;
    }

    fn forget_snapshots(&mut self) {
        self.viewed = None;
        self.loaded.clear();
    }

    fn with(run: Run) -> Playground {
        Playground {
            run,
            train: None,
            test: None,
            evaluator: None,
            viewed: None,
            loaded: Vec::new(),
            finetune: None,
        }
    }

    fn net(&mut self) -> &mut Network {
        &mut shown(&mut self.run, &mut self.viewed).trainer.net
    }

    /// The network of snapshot `step` (from `bytes` unless loaded lately), or the one in training
    /// when `step` is `None`.
    fn network_at(&mut self, step: Option<f64>, bytes: &[u8]) -> Result<Network, JsError> {
        let Some(step) = step else {
            return Ok(self.run.trainer.net.clone());
        };
        let step = step as u64;
        if let Some((_, n)) = self.loaded.iter().find(|(s, _)| *s == step) {
            return Ok(n.clone());
        }
        let net = crate::model_file::load(bytes).map_err(js_err)?.network;
        self.loaded.push((step, net.clone()));
        if self.loaded.len() > 2 {
            self.loaded.remove(0);
        }
        Ok(net)
    }
}

/// The timeline as the page sees it: `{bound, bytes, entries: [{step, epoch, epoch_end, bytes}]}`.
fn timeline_js(run: &Run) -> Result<JsValue, JsError> {
    let t = &run.timeline;
    to_js(&serde_json::json!({"bound": t.bound, "bytes": t.bytes(), "entries": t.entries()}))
}

#[wasm_bindgen]
impl Playground {
    /// A fresh model from `settings` (`{model, optimizer, batch, seed}`).
    #[wasm_bindgen(constructor)]
    pub fn new(settings: JsValue) -> Result<Playground, JsError> {
        let run = Run::fresh(from_js(settings, "settings")?).map_err(js_err)?;
        Ok(Playground::with(run))
    }

    /// A model from model-file bytes; `settings` only supplies batch and seed for further
    /// training (the file's own optimizer state is kept when it has one).
    #[wasm_bindgen(js_name = fromModelFile)]
    pub fn from_model_file(bytes: &[u8], settings: JsValue) -> Result<Playground, JsError> {
        let settings: Settings = from_js(settings, "settings")?;
        let run = Run::from_model_file(bytes, settings).map_err(js_err)?;
        Ok(Playground::with(run))
    }

    /// Replaces the model with a fresh one from `settings` ("train from scratch"), keeping the
    /// data. Bad settings throw and change nothing.
    pub fn configure(&mut self, settings: JsValue) -> Result<(), JsError> {
        let run = Run::fresh(from_js(settings, "settings")?).map_err(js_err)?;
        self.replace(run);
        Ok(())
    }

    /// Replaces the model with the one in model-file bytes, keeping the data and the current batch
    /// size and seed. A wrong or damaged file throws and changes nothing.
    #[wasm_bindgen(js_name = loadModel)]
    pub fn load_model(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let run = Run::from_model_file(bytes, self.run.settings.clone()).map_err(js_err)?;
        self.replace(run);
        Ok(())
    }

    /// The model (and optimizer state) as model-file bytes; `info` is stored with it.
    #[wasm_bindgen(js_name = saveModel)]
    pub fn save_model(&mut self, info: JsValue) -> Result<Vec<u8>, JsError> {
        let info = serde_wasm_bindgen::from_value(info).unwrap_or(serde_json::Value::Null);
        self.run.save(info).map_err(js_err)
    }

    /// Settings and shape ([`crate::train::Description`]).
    pub fn describe(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.run.describe())
    }

    /// Changes the learning rate without losing the optimizer state.
    #[wasm_bindgen(js_name = setLearningRate)]
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<(), JsError> {
        self.run.set_learning_rate(lr).map_err(js_err)
    }

    /// Loads the four decompressed IDX files. Returns `{train, test}` counts. The image files are
    /// taken over, not copied again (they arrive in this memory once).
    #[wasm_bindgen(js_name = setData)]
    pub fn set_data(
        &mut self,
        train_images: Vec<u8>,
        train_labels: &[u8],
        test_images: Vec<u8>,
        test_labels: &[u8],
    ) -> Result<JsValue, JsError> {
        let train = Dataset::from_idx_owned(train_images, train_labels)
            .map_err(|e| js_err(e.context("training data")))?;
        let test = Dataset::from_idx_owned(test_images, test_labels)
            .map_err(|e| js_err(e.context("test data")))?;
        let counts = serde_json::json!({"train": train.len(), "test": test.len()});
        self.train = Some(train);
        self.test = Some(test);
        self.evaluator = None;
        to_js(&counts)
    }

    #[wasm_bindgen(js_name = hasData)]
    pub fn has_data(&self) -> bool {
        self.train.is_some()
    }

    /// Up to `max_steps` training steps, stopping at the next snapshot the timeline wants
    /// ([`crate::train::Run::train_chunk`]); with `health`, the report ends with the network's
    /// health ([`crate::health`]).
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&mut self, max_steps: u32, health: bool) -> Result<JsValue, JsError> {
        let data = loaded(&self.train, "training")?;
        to_js(&self.run.train_chunk(data, max_steps as usize, health))
    }

    /// The health of the model in training after its last step (no activation counts unless a
    /// chunk asked for them).
    pub fn health(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.run.trainer.health())
    }

    /// Whether the timeline wants a snapshot of the model in training as it is now.
    #[wasm_bindgen(js_name = snapshotDue)]
    pub fn snapshot_due(&self) -> bool {
        self.run.snapshot_due()
    }

    /// A snapshot for the timeline: `{bytes (a model file), entry: {step, epoch, epoch_end,
    /// bytes}, dropped: [steps let go], timeline}`. The bytes are the caller's to keep.
    pub fn snapshot(&mut self, info: JsValue) -> Result<JsValue, JsError> {
        let info = serde_wasm_bindgen::from_value(info).unwrap_or(serde_json::Value::Null);
        let s = self.run.snapshot(info).map_err(js_err)?;
        let out = to_js(&serde_json::json!({"entry": s.entry, "dropped": s.dropped}))?;
        set(&out, "bytes", &js_sys::Uint8Array::from(&s.bytes[..]))?;
        set(&out, "timeline", &timeline_js(&self.run)?)?;
        Ok(out)
    }

    /// The timeline: `{bound, bytes, entries}`.
    pub fn timeline(&self) -> Result<JsValue, JsError> {
        timeline_js(&self.run)
    }

    /// Starts the timeline again from snapshots kept earlier (`[{step, epoch, epoch_end,
    /// bytes}]`, after a reload), keeping those up to the model in training that fit; returns
    /// the steps let go.
    #[wasm_bindgen(js_name = restoreTimeline)]
    pub fn restore_timeline(&mut self, entries: JsValue) -> Result<Vec<f64>, JsError> {
        let entries: Vec<Entry> = from_js(entries, "timeline entries")?;
        let live = self.run.trainer.step;
        let dropped = self.run.timeline.restore(entries, live);
        Ok(dropped.into_iter().map(|s| s as f64).collect())
    }

    /// Training goes on from a snapshot of this run (its model file): weights, optimizer state
    /// and place come back, the later snapshots are let go (their steps returned).
    pub fn rewind(&mut self, bytes: &[u8]) -> Result<Vec<f64>, JsError> {
        let dropped = self.run.rewind(bytes).map_err(js_err)?;
        self.evaluator = None;
        self.forget_snapshots();
        Ok(dropped.into_iter().map(|s| s as f64).collect())
    }

    /// From now on every read (predictions, weights, activations, traces) answers from snapshot
    /// `step` (its model file); returns its description.
    pub fn view(&mut self, step: f64, bytes: &[u8]) -> Result<JsValue, JsError> {
        let run = Run::from_model_file(bytes, self.run.settings.clone()).map_err(js_err)?;
        let v = self.viewed.insert((step as u64, run));
        to_js(&v.1.describe())
    }

    /// Back to the model in training for every read.
    #[wasm_bindgen(js_name = viewLive)]
    pub fn view_live(&mut self) {
        self.viewed = None;
    }

    /// Layer `layer`'s weights at two points (`a_step`/`a_bytes`: a snapshot, or the model in
    /// training when the step is absent) and their difference: `{layer, shape, a, b, diff (b −
    /// a), a_norm, b_norm, diff_norm}`, the arrays as Float32Arrays.
    #[wasm_bindgen(js_name = compareWeights)]
    pub fn compare_weights(
        &mut self,
        layer: usize,
        a_step: Option<f64>,
        a_bytes: &[u8],
        b_step: Option<f64>,
        b_bytes: &[u8],
    ) -> Result<JsValue, JsError> {
        let mut a = self.network_at(a_step, a_bytes)?;
        let mut b = self.network_at(b_step, b_bytes)?;
        let mut c = summary::compare(&mut a, &mut b, layer).map_err(js_err)?;
        let arrays = [
            ("a", std::mem::take(&mut c.a)),
            ("b", std::mem::take(&mut c.b)),
            ("diff", std::mem::take(&mut c.diff)),
        ];
        let out = to_js(&c)?;
        for (name, values) in arrays {
            set(&out, name, &js_sys::Float32Array::from(&values[..]))?;
        }
        Ok(out)
    }

    /// [`train_steps`](Self::train_steps) with every other shard of each batch on the second core
    /// (`cores`, [`Cores`]); the same bits. Falls back to this core alone for what it cannot take.
    #[wasm_bindgen(js_name = trainStepsHelped)]
    pub fn train_steps_helped(
        &mut self,
        max_steps: u32,
        health: bool,
        cores: Cores,
    ) -> Result<JsValue, JsError> {
        let data = loaded(&self.train, "training")?;
        // The other side keeps the last architecture it was given and compares.
        let ready = cores.configure(&to_json(&self.run.trainer.net.arch()));
        let mut helper = JsHelper {
            cores,
            grad: Vec::new(),
        };
        let helper: Option<&mut (dyn ShardHelper + 'static)> =
            if ready { Some(&mut helper) } else { None };
        to_js(
            &self
                .run
                .train_chunk_helped(data, max_steps as usize, health, helper),
        )
    }

    /// Evaluates up to `count` more test examples; returns `{done, total}` and, once all are
    /// done, `evaluation` (accuracy, loss, confusion matrix, misclassified indices).
    #[wasm_bindgen(js_name = evaluateChunk)]
    pub fn evaluate_chunk(&mut self, count: u32) -> Result<JsValue, JsError> {
        let data = loaded(&self.test, "test")?;
        let net = &mut self.run.trainer.net;
        let classes = net.outputs();
        let ev = self
            .evaluator
            .get_or_insert_with(|| Evaluator::new(classes));
        let finished = ev.run(net, data, count as usize, 250);
        let done = ev.done();
        if finished {
            let e = self.evaluator.take().expect("present").finish();
            to_js(&serde_json::json!({"done": done, "total": data.len(), "evaluation": e}))
        } else {
            to_js(&serde_json::json!({"done": done, "total": data.len()}))
        }
    }

    /// Forgets a half-done evaluation (after training moved on).
    #[wasm_bindgen(js_name = resetEvaluation)]
    pub fn reset_evaluation(&mut self) {
        self.evaluator = None;
    }

    /// Probabilities for one 28x28 image (784 values in [0, 1]).
    pub fn predict(&mut self, pixels: &[f32]) -> Result<Vec<f32>, JsError> {
        Ok(Prediction::of(self.net(), pixels)?.probs)
    }

    /// Probabilities for one 28x28 image with the class they pick: `{probs, class}`.
    pub fn classify(&mut self, pixels: &[f32]) -> Result<JsValue, JsError> {
        to_js(&Prediction::of(self.net(), pixels)?)
    }

    /// Test digit `index` and what the model makes of it: `{pixels (784 bytes), label, probs,
    /// class}`.
    #[wasm_bindgen(js_name = predictTestDigit)]
    pub fn predict_test_digit(&mut self, index: usize) -> Result<JsValue, JsError> {
        let (x, label) = digit::test_digit(self.test_data()?, index).map_err(js_err)?;
        let p = Prediction::of(self.net(), &x)?;
        let pixels = self.test_data()?.image(index);
        to_js(
            &serde_json::json!({"pixels": pixels, "label": label, "probs": p.probs, "class": p.class}),
        )
    }

    /// A drawing (RGBA canvas pixels) preprocessed like MNIST and classified
    /// ([`drawing::read_drawing`]): `{empty: true}` for an empty canvas, else `{empty: false,
    /// probs, class, bytes, saliency, preprocessed}` where `preprocessed` has every field of
    /// [`crate::data::preprocess::Preprocessed`], its pixel arrays (`image` and each stage's `pixels`) as
    /// Float32Arrays, `bytes` is the input as a Uint8Array of grey levels, and `saliency` (with
    /// `explain`; of `class`, else of the predicted class) is [`crate::saliency::Saliency`] with
    /// `grad` as a Float32Array, or null.
    #[wasm_bindgen(js_name = predictDrawing)]
    pub fn predict_drawing(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
        explain: bool,
        class: Option<u32>,
    ) -> Result<JsValue, JsError> {
        let explain = match (explain, class) {
            (false, _) => Explain::Nothing,
            (true, None) => Explain::Predicted,
            (true, Some(c)) => Explain::Class(c as usize),
        };
        let read =
            drawing::read_drawing(self.net(), rgba, width, height, explain).map_err(js_err)?;
        let Some(mut read) = read else {
            return to_js(&serde_json::json!({"empty": true}));
        };
        // This runs on every stroke, so the pixel arrays (tens of thousands of numbers) cross as
        // one copy each instead of value by value through serde: they are taken out, the rest
        // (with empty arrays in their place) goes through serde, then they are put back.
        let p = &mut read.preprocessed;
        let image = js_sys::Float32Array::from(&std::mem::take(&mut p.image)[..]);
        let stages: Vec<(&str, js_sys::Float32Array)> = [
            ("cropped", &mut p.cropped),
            ("scaled", &mut p.scaled),
            ("stroked", &mut p.stroked),
            ("centered", &mut p.centered),
        ]
        .into_iter()
        .map(|(name, stage)| {
            (
                name,
                js_sys::Float32Array::from(&std::mem::take(&mut stage.pixels)[..]),
            )
        })
        .collect();
        let bytes = js_sys::Uint8Array::from(&std::mem::take(&mut read.bytes)[..]);
        let grad = read
            .saliency
            .as_mut()
            .map(|s| js_sys::Float32Array::from(&std::mem::take(&mut s.grad)[..]));
        let out = to_js(&read)?;
        let pre = js_sys::Reflect::get(&out, &JsValue::from_str("preprocessed"))
            .map_err(|_| JsError::new("preprocessed"))?;
        set(&pre, "image", &image)?;
        for (name, pixels) in stages {
            let stage = js_sys::Reflect::get(&pre, &JsValue::from_str(name))
                .map_err(|_| JsError::new(name))?;
            set(&stage, "pixels", &pixels)?;
        }
        set(&out, "empty", &JsValue::FALSE)?;
        set(&out, "bytes", &bytes)?;
        if let Some(grad) = grad {
            let s = js_sys::Reflect::get(&out, &JsValue::from_str("saliency"))
                .map_err(|_| JsError::new("saliency"))?;
            set(&s, "grad", &grad)?;
        }
        Ok(out)
    }

    /// The saliency map of one 28x28 image ([`crate::saliency::saliency_of`], of the class's
    /// logit): `{class, predicted, score, logits, probs, grad, max_abs}`; `class` absent: the
    /// predicted one.
    pub fn saliency(&mut self, pixels: &[f32], class: Option<u32>) -> Result<JsValue, JsError> {
        let net = self.net();
        digit::check_pixels(net, pixels).map_err(js_err)?;
        let class = class.map(|c| c as usize);
        let s = crate::saliency::saliency_of(net, pixels, class, crate::saliency::Score::Logit);
        to_js(&s.map_err(js_err)?)
    }

    /// Test digit `index` as pen positions on the drawing pad ([`drawing::test_digit_on_pad`]):
    /// `{points: Float32Array (x, y, x, y, ...), label}`.
    #[wasm_bindgen(js_name = testDigitOnPad)]
    pub fn test_digit_on_pad(&self, index: usize) -> Result<JsValue, JsError> {
        let (points, label) =
            drawing::test_digit_on_pad(self.test_data()?, index).map_err(js_err)?;
        let flat: Vec<f32> = points.iter().flat_map(|&(x, y)| [x, y]).collect();
        let out = to_js(&serde_json::json!({"label": label}))?;
        set(&out, "points", &js_sys::Float32Array::from(&flat[..]))?;
        Ok(out)
    }

    /// The current model on the user's digits (`pixels`: 784 grey levels each, `labels`):
    /// [`crate::train::Evaluation`].
    #[wasm_bindgen(js_name = evaluateOwn)]
    pub fn evaluate_own(&mut self, pixels: &[u8], labels: &[u8]) -> Result<JsValue, JsError> {
        let set = finetune::own_set(pixels, labels).map_err(js_err)?;
        to_js(&crate::train::evaluate(
            &mut self.run.trainer.net,
            &set,
            250,
        ))
    }

    /// Starts fine-tuning a copy of the model on the user's digits ([`Session`]) with `config`
    /// (a [`FineTuneConfig`]; missing fields take their defaults). Returns the progress.
    #[wasm_bindgen(js_name = fineTuneStart)]
    pub fn fine_tune_start(
        &mut self,
        pixels: &[u8],
        labels: &[u8],
        config: JsValue,
    ) -> Result<JsValue, JsError> {
        loaded(&self.train, "training")?;
        let config: FineTuneConfig = from_js(config, "fine-tuning settings")?;
        let set = finetune::own_set(pixels, labels).map_err(js_err)?;
        let session = Session::new(self.run.trainer.net.clone(), set, config).map_err(js_err)?;
        let progress = to_js(session.progress())?;
        self.finetune = Some(session);
        Ok(progress)
    }

    /// Up to `max_steps` steps or `max_examples` test digits of the run ([`Session::advance`]).
    /// When the run is done the fine-tuned network becomes the model (its optimizer state is
    /// kept) and the reply carries `evaluation`, its whole MNIST test evaluation.
    #[wasm_bindgen(js_name = fineTuneAdvance)]
    pub fn fine_tune_advance(
        &mut self,
        max_steps: u32,
        max_examples: u32,
    ) -> Result<JsValue, JsError> {
        let (train, test) = (
            loaded(&self.train, "training")?,
            loaded(&self.test, "test")?,
        );
        let session = self
            .finetune
            .as_mut()
            .ok_or_else(|| JsError::new("no fine-tuning run under way; start one first"))?;
        let progress = session.advance(train, test, max_steps as usize, max_examples as usize);
        let progress = match progress {
            Ok(p) => to_js(p)?,
            Err(e) => {
                self.finetune = None;
                return Err(js_err(e));
            }
        };
        if session.is_done() {
            let session = self.finetune.take().expect("present");
            self.run.trainer.net = session.network().clone();
            self.evaluator = None;
            set(&progress, "evaluation", &to_js(&session.after_evaluation)?)?;
        }
        Ok(progress)
    }

    /// Abandons a fine-tuning run; the model stays as it was.
    #[wasm_bindgen(js_name = fineTuneCancel)]
    pub fn fine_tune_cancel(&mut self) {
        self.finetune = None;
    }

    /// One test image: `{pixels (784 bytes), label}`.
    #[wasm_bindgen(js_name = testImage)]
    pub fn test_image(&self, index: usize) -> Result<JsValue, JsError> {
        let data = self.test_data()?;
        let (_, label) = digit::test_digit(data, index).map_err(js_err)?;
        to_js(&serde_json::json!({"pixels": data.image(index), "label": label}))
    }

    /// The worked trace (JSON text) of one training step on one image with its label, computed
    /// on a copy: looking does not change the model.
    pub fn trace(&mut self, pixels: &[f32], label: usize) -> Result<String, JsError> {
        let t = &shown(&mut self.run, &mut self.viewed).trainer;
        let (mut net, mut opt) = (t.net.clone(), t.opt.clone());
        trace_json(&mut net, &mut opt, pixels, label)
    }

    /// Central-difference check of one parameter element's gradient on one image.
    #[wasm_bindgen(js_name = gradientCheck)]
    pub fn gradient_check(
        &mut self,
        pixels: &[f32],
        label: usize,
        layer: usize,
        param: &str,
        index: usize,
    ) -> Result<JsValue, JsError> {
        let c = digit::check_digit(self.net(), pixels, label, layer, param, index);
        to_js(&c.map_err(js_err)?)
    }

    /// Every layer's output for one image (eval mode): `[{shape, values}]`.
    pub fn activations(&mut self, pixels: &[f32]) -> Result<JsValue, JsError> {
        to_js(&summary::activations(self.net(), pixels).map_err(js_err)?)
    }

    /// A copy of layer `layer`'s weights, flat (`[out][in]` or `[O][C][k][k]`).
    #[wasm_bindgen(js_name = layerWeights)]
    pub fn layer_weights(&mut self, layer: usize) -> Result<Vec<f32>, JsError> {
        summary::layer_weights(self.net(), layer).map_err(js_err)
    }

    /// For every layer with weights: its shape, a histogram of its weights and one of the last
    /// optimizer step.
    #[wasm_bindgen(js_name = weightSummary)]
    pub fn weight_summary(&mut self, bins: usize) -> Result<JsValue, JsError> {
        let t = &mut shown(&mut self.run, &mut self.viewed).trainer;
        to_js(&summary::weight_summary(&mut t.net, &t.opt, bins).map_err(js_err)?)
    }
}

fn fresh_network(fresh: JsValue) -> Result<(Network, Optimizer), JsError> {
    let f: Fresh = from_js(fresh, "fresh network")?;
    f.build().map_err(js_err)
}

fn trace_json(
    net: &mut Network,
    opt: &mut Optimizer,
    pixels: &[f32],
    label: usize,
) -> Result<String, JsError> {
    Ok(to_json(
        &digit::trace_digit(net, opt, pixels, label).map_err(js_err)?,
    ))
}

/// The worked trace (JSON text) of one training step of a fresh network ([`Fresh`]) on one image
/// with its label: the first step, t = 1, from m = v = 0.
#[wasm_bindgen(js_name = traceFresh)]
pub fn trace_fresh(fresh: JsValue, pixels: &[f32], label: usize) -> Result<String, JsError> {
    let (mut net, mut opt) = fresh_network(fresh)?;
    trace_json(&mut net, &mut opt, pixels, label)
}

/// The gradient check of [`Playground::gradient_check`], on the fresh network that
/// [`trace_fresh`] traces for the same `fresh` settings.
#[wasm_bindgen(js_name = gradientCheckFresh)]
pub fn gradient_check_fresh(
    fresh: JsValue,
    pixels: &[f32],
    label: usize,
    layer: usize,
    param: &str,
    index: usize,
) -> Result<JsValue, JsError> {
    let (net, _) = fresh_network(fresh)?;
    to_js(&digit::check_digit(&net, pixels, label, layer, param, index).map_err(js_err)?)
}

/// The user's digits (`pixels`: 784 grey levels each, `labels`) as a pair of IDX files:
/// `{images: Uint8Array, labels: Uint8Array}`.
#[wasm_bindgen(js_name = ownSetToIdx)]
pub fn own_set_to_idx(pixels: &[u8], labels: &[u8]) -> Result<JsValue, JsError> {
    let (images, labels) = finetune::own_set(pixels, labels).map_err(js_err)?.to_idx();
    let out = js_sys::Object::new();
    set(&out, "images", &js_sys::Uint8Array::from(&images[..]))?;
    set(&out, "labels", &js_sys::Uint8Array::from(&labels[..]))?;
    Ok(out.into())
}

/// A pair of IDX files read back as the user's digits ([`finetune::own_set_from_idx`]):
/// `{pixels: Uint8Array (784 per digit), labels: Uint8Array}`; a bad file throws the IDX
/// reader's one-line message.
#[wasm_bindgen(js_name = ownSetFromIdx)]
pub fn own_set_from_idx(images: &[u8], labels: &[u8]) -> Result<JsValue, JsError> {
    let own = finetune::own_set_from_idx(images, labels).map_err(js_err)?;
    let out = js_sys::Object::new();
    set(&out, "pixels", &js_sys::Uint8Array::from(&own.images[..]))?;
    set(&out, "labels", &js_sys::Uint8Array::from(&own.labels[..]))?;
    Ok(out.into())
}

/// A custom network from a spec, stepped one training step at a time.
#[wasm_bindgen]
pub struct SpecLab {
    spec: Spec,
    net: Network,
    opt: Optimizer,
}

#[wasm_bindgen]
impl SpecLab {
    /// Parses spec JSON text; a bad spec throws the core's message naming the field.
    #[wasm_bindgen(constructor)]
    pub fn new(json: &str) -> Result<SpecLab, JsError> {
        let spec = spec::parse(json).map_err(js_err)?;
        let (net, opt) = (spec.network.clone(), spec.build_optimizer());
        Ok(SpecLab { spec, net, opt })
    }

    /// Takes one step and returns its trace (JSON text).
    pub fn step(&mut self) -> String {
        to_json(&trace::trace_spec_step(
            &self.spec,
            &mut self.net,
            &mut self.opt,
        ))
    }

    /// Takes `steps` steps without tracing them; returns each step's loss (a Float32Array).
    pub fn advance(&mut self, steps: u32) -> Vec<f32> {
        trace::advance_spec(&self.spec, &mut self.net, &mut self.opt, steps as usize)
    }

    /// The trace of the next step without taking it.
    pub fn peek(&self) -> String {
        let (mut net, mut opt) = (self.net.clone(), self.opt.clone());
        to_json(&trace::trace_spec_step(&self.spec, &mut net, &mut opt))
    }

    /// Back to the spec's own weights and a fresh optimizer.
    pub fn reset(&mut self) {
        self.net = self.spec.network.clone();
        self.opt = self.spec.build_optimizer();
    }

    /// Steps taken since the start (or the last reset).
    #[wasm_bindgen(js_name = stepsTaken)]
    pub fn steps_taken(&self) -> u32 {
        self.opt.steps() as u32
    }

    #[wasm_bindgen(js_name = gradientCheck)]
    pub fn gradient_check(
        &self,
        layer: usize,
        param: &str,
        index: usize,
    ) -> Result<JsValue, JsError> {
        to_js(
            &trace::gradient_check(
                &self.net,
                &self.spec.inputs,
                &self.spec.targets,
                self.spec.loss,
                layer,
                param,
                index,
            )
            .map_err(js_err)?,
        )
    }

    /// The spec with the current weights and optimizer state (JSON text), for export.
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        let v = spec::to_value(&self.spec, &self.net, &self.opt);
        serde_json::to_string_pretty(&v).expect("plain data")
    }
}
