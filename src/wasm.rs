//! The browser's view of the core: the only file with `#[wasm_bindgen]`.
//!
//! The worker (www/worker.js) owns one [`Playground`] (an MNIST model, its optimizer and the
//! data) and any number of [`SpecLab`]s (custom tiny networks of the step-through view);
//! [`trace_fresh`] and [`gradient_check_fresh`] trace a fresh preset from a seed instead of the
//! current model. The handles are opaque: JavaScript calls methods, settings come in through
//! serde-wasm-bindgen, and everything goes back out as owned copies (`Vec<f32>` becomes a fresh
//! `Float32Array`), never a view into wasm memory that the next allocation could move. Large structured results (a worked
//! trace holds hundreds of thousands of numbers) cross as JSON text, which `JSON.parse` reads far
//! faster than a value-by-value conversion.
//!
//! Errors a user can cause come back as JavaScript exceptions carrying the core's message; a
//! panic (a bug) is printed to the console by console_error_panic_hook and the worker reports it.

#![cfg(target_arch = "wasm32")]

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::data::mnist::Dataset;
use crate::data::preprocess;
use crate::error::Error;
use crate::loss::{Loss, Targets};
use crate::model_file;
use crate::network::Network;
use crate::optim::{Optimizer, OptimizerConfig};
use crate::presets;
use crate::spec::{self, Spec};
use crate::trace;
use crate::train::{Diverged, Evaluator, Trainer};

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

fn set(target: &JsValue, key: &str, value: &JsValue) -> Result<(), JsError> {
    js_sys::Reflect::set(target, &JsValue::from_str(key), value)
        .map(|_| ())
        .map_err(|_| JsError::new(&format!("could not set {key}")))
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serializes")
}

/// Settings of a training run, as the page sends them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A preset name: mlp-64, mlp-128, cnn, mlp-512-dropout.
    pub model: String,
    pub optimizer: OptimizerConfig,
    pub batch: usize,
    pub seed: u64,
}

impl Settings {
    fn validate(&self) -> Result<(), Error> {
        presets::arch(&self.model)?;
        self.optimizer.validate("optimizer")?;
        if !(1..=4096).contains(&self.batch) {
            return Err(Error::at(
                "batch",
                format!("expected a batch size from 1 to 4096, found {}", self.batch),
            ));
        }
        Ok(())
    }
}

/// What a chunk of training steps did.
#[derive(Debug, Clone, Serialize)]
pub struct ChunkReport {
    pub steps: usize,
    /// Sum of the batch losses (divide by `steps` for the mean).
    pub loss_sum: f64,
    pub last_loss: f32,
    /// Every step's batch loss, in order (for the loss chart).
    pub losses: Vec<f32>,
    pub correct: usize,
    pub seen: usize,
    /// Completed epochs and steps in total, after this chunk.
    pub epoch: usize,
    pub step: u64,
    pub steps_per_epoch: usize,
    pub epoch_done: bool,
    pub diverged: Option<Diverged>,
}

/// Per-layer weights summary for the weights view.
#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    pub index: usize,
    pub spec: crate::layers::LayerSpec,
    pub weight_shape: Vec<usize>,
    pub weights: Histogram,
    /// The last optimizer step of each weight (from the optimizer's state).
    pub last_update: Histogram,
}

#[derive(Debug, Clone, Serialize)]
pub struct Histogram {
    pub min: f32,
    pub max: f32,
    pub mean: f32,
    pub std: f32,
    pub counts: Vec<u32>,
}

/// Counts of `values` in `bins` equal bins between their min and max.
pub fn histogram(values: &[f32], bins: usize) -> Histogram {
    let (mut min, mut max, mut sum) = (f32::INFINITY, f32::NEG_INFINITY, 0f64);
    for &v in values {
        min = min.min(v);
        max = max.max(v);
        sum += v as f64;
    }
    let n = values.len().max(1) as f64;
    let mean = sum / n;
    let var = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let mut counts = vec![0u32; bins];
    let width = (max - min).max(f32::MIN_POSITIVE);
    for &v in values {
        let b = (((v - min) / width) * bins as f32) as usize;
        counts[b.min(bins - 1)] += 1;
    }
    if values.is_empty() {
        (min, max) = (0.0, 0.0);
    }
    Histogram {
        min,
        max,
        mean: mean as f32,
        std: var.sqrt() as f32,
        counts,
    }
}

/// An MNIST model being trained or used, with its data.
#[wasm_bindgen]
pub struct Playground {
    settings: Settings,
    trainer: Trainer,
    train: Option<Dataset>,
    test: Option<Dataset>,
    evaluator: Option<Evaluator>,
    info: serde_json::Value,
}

impl Playground {
    fn without_data(settings: Settings, trainer: Trainer, info: serde_json::Value) -> Playground {
        Playground {
            settings,
            trainer,
            train: None,
            test: None,
            evaluator: None,
            info,
        }
    }
}

#[wasm_bindgen]
impl Playground {
    /// A fresh model from `settings` (`{model, optimizer, batch, seed}`).
    #[wasm_bindgen(constructor)]
    pub fn new(settings: JsValue) -> Result<Playground, JsError> {
        let (settings, trainer) = fresh(read_settings(settings)?).map_err(js_err)?;
        Ok(Playground::without_data(
            settings,
            trainer,
            serde_json::Value::Null,
        ))
    }

    /// A model from model-file bytes; `settings` only supplies batch and seed for further
    /// training (the file's own optimizer state is kept when it has one).
    #[wasm_bindgen(js_name = fromModelFile)]
    pub fn from_model_file(bytes: &[u8], settings: JsValue) -> Result<Playground, JsError> {
        let (settings, trainer, info) =
            from_file(bytes, read_settings(settings)?).map_err(js_err)?;
        Ok(Playground::without_data(settings, trainer, info))
    }

    /// Replaces the model with a fresh one from `settings` ("train from scratch"), keeping the
    /// data. Bad settings throw and change nothing.
    pub fn configure(&mut self, settings: JsValue) -> Result<(), JsError> {
        let (settings, trainer) = fresh(read_settings(settings)?).map_err(js_err)?;
        (self.settings, self.trainer, self.info, self.evaluator) =
            (settings, trainer, serde_json::Value::Null, None);
        Ok(())
    }

    /// Replaces the model with the one in model-file bytes, keeping the data and the current batch
    /// size and seed. A wrong or damaged file throws and changes nothing.
    #[wasm_bindgen(js_name = loadModel)]
    pub fn load_model(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        let (settings, trainer, info) = from_file(bytes, self.settings.clone()).map_err(js_err)?;
        (self.settings, self.trainer, self.info, self.evaluator) = (settings, trainer, info, None);
        Ok(())
    }

    /// The model (and optimizer state) as model-file bytes; `info` is stored with it.
    #[wasm_bindgen(js_name = saveModel)]
    pub fn save_model(&mut self, info: JsValue) -> Result<Vec<u8>, JsError> {
        let mut info: serde_json::Value =
            serde_wasm_bindgen::from_value(info).unwrap_or(serde_json::Value::Null);
        if let serde_json::Value::Object(m) = &mut info {
            m.insert("model".into(), self.settings.model.clone().into());
        }
        model_file::save(&mut self.trainer.net, Some(&self.trainer.opt), &info).map_err(js_err)
    }

    /// Settings and shape: `{settings, arch, params, step, epoch, info}`.
    pub fn describe(&mut self) -> Result<JsValue, JsError> {
        let params = self.trainer.net.param_count();
        to_js(&serde_json::json!({
            "settings": self.settings,
            "arch": self.trainer.net.arch(),
            "params": params,
            "step": self.trainer.step,
            "epoch": self.trainer.epoch,
            "info": self.info,
        }))
    }

    /// Changes the learning rate without losing the optimizer state.
    #[wasm_bindgen(js_name = setLearningRate)]
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<(), JsError> {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(JsError::new(&format!(
                "learning rate: expected a positive number, found {lr}"
            )));
        }
        self.trainer.opt.set_lr(lr);
        self.settings.optimizer = self.trainer.opt.config();
        Ok(())
    }

    /// Loads the four decompressed IDX files. Returns `{train, test}` counts.
    #[wasm_bindgen(js_name = setData)]
    pub fn set_data(
        &mut self,
        train_images: &[u8],
        train_labels: &[u8],
        test_images: &[u8],
        test_labels: &[u8],
    ) -> Result<JsValue, JsError> {
        let train = Dataset::from_idx(train_images, train_labels)
            .map_err(|e| js_err(e.context("training data")))?;
        let test = Dataset::from_idx(test_images, test_labels)
            .map_err(|e| js_err(e.context("test data")))?;
        let counts = serde_json::json!({"train": train.len(), "test": test.len()});
        self.train = Some(train);
        self.test = Some(test);
        to_js(&counts)
    }

    #[wasm_bindgen(js_name = hasData)]
    pub fn has_data(&self) -> bool {
        self.train.is_some()
    }

    /// Runs up to `max_steps` training steps, stopping early at the end of an epoch or when
    /// training diverges (the last good weights are then back in place).
    #[wasm_bindgen(js_name = trainSteps)]
    pub fn train_steps(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        let data = self
            .train
            .as_ref()
            .ok_or_else(|| JsError::new("no training data loaded yet"))?;
        let mut r = ChunkReport {
            steps: 0,
            loss_sum: 0.0,
            last_loss: f32::NAN,
            losses: Vec::new(),
            correct: 0,
            seen: 0,
            epoch: 0,
            step: 0,
            steps_per_epoch: self.trainer.steps_per_epoch(data.len()),
            epoch_done: false,
            diverged: None,
        };
        for _ in 0..max_steps {
            match self.trainer.step(data) {
                Ok(o) => {
                    r.steps += 1;
                    r.loss_sum += o.loss as f64;
                    r.last_loss = o.loss;
                    r.losses.push(o.loss);
                    r.correct += o.correct;
                    r.seen += o.batch;
                    if o.epoch_done {
                        r.epoch_done = true;
                        break;
                    }
                }
                Err(d) => {
                    r.diverged = Some(d);
                    break;
                }
            }
        }
        r.epoch = self.trainer.epoch;
        r.step = self.trainer.step;
        to_js(&r)
    }

    /// Evaluates up to `count` more test examples; returns `{done, total}` and, once all are
    /// done, `evaluation` (accuracy, loss, confusion matrix, misclassified indices).
    #[wasm_bindgen(js_name = evaluateChunk)]
    pub fn evaluate_chunk(&mut self, count: u32) -> Result<JsValue, JsError> {
        let data = self
            .test
            .as_ref()
            .ok_or_else(|| JsError::new("no test data loaded yet"))?;
        let classes = self.trainer.net.outputs();
        let ev = self
            .evaluator
            .get_or_insert_with(|| Evaluator::new(classes));
        let finished = ev.run(&mut self.trainer.net, data, count as usize, 250);
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
        if pixels.len() != 784 {
            return Err(JsError::new(&format!(
                "expected 784 pixels (28x28), found {}",
                pixels.len()
            )));
        }
        Ok(self.trainer.net.predict(pixels).into_raw_vec_and_offset().0)
    }

    /// A drawing (RGBA canvas pixels) preprocessed like MNIST and classified:
    /// `{empty: true}` for an empty canvas, else `{empty: false, probs, preprocessed}` where
    /// `preprocessed` has every field of [`preprocess::Preprocessed`], its pixel arrays (`image`
    /// and each stage's `pixels`) as Float32Arrays.
    #[wasm_bindgen(js_name = predictDrawing)]
    pub fn predict_drawing(
        &mut self,
        rgba: &[u8],
        width: usize,
        height: usize,
    ) -> Result<JsValue, JsError> {
        if rgba.len() != width * height * 4 {
            return Err(JsError::new(&format!(
                "expected {width}x{height} RGBA pixels ({} bytes), found {} bytes",
                width * height * 4,
                rgba.len()
            )));
        }
        let ink = preprocess::ink_from_rgba(rgba, width, height);
        let Some(p) = preprocess::preprocess(&ink, width, height).map_err(js_err)? else {
            return to_js(&serde_json::json!({"empty": true}));
        };
        let probs = self
            .trainer
            .net
            .predict(&p.image)
            .into_raw_vec_and_offset()
            .0;
        // This runs on every stroke, so the pixel arrays (tens of thousands of numbers) cross as
        // one copy each instead of value by value through serde: they are taken out, the rest
        // (with empty arrays in their place) goes through serde, then they are put back.
        let mut p = p;
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
        let pre = to_js(&p)?;
        set(&pre, "image", &image)?;
        for (name, pixels) in stages {
            let stage = js_sys::Reflect::get(&pre, &JsValue::from_str(name))
                .map_err(|_| JsError::new(name))?;
            set(&stage, "pixels", &pixels)?;
        }
        let out = to_js(&serde_json::json!({"empty": false, "probs": probs}))?;
        set(&out, "preprocessed", &pre)?;
        Ok(out)
    }

    /// One test image: `{pixels (784 bytes), label}`.
    #[wasm_bindgen(js_name = testImage)]
    pub fn test_image(&self, index: usize) -> Result<JsValue, JsError> {
        let data = self
            .test
            .as_ref()
            .ok_or_else(|| JsError::new("no test data loaded yet"))?;
        if index >= data.len() {
            return Err(JsError::new(&format!(
                "test image {index} does not exist; there are {}",
                data.len()
            )));
        }
        to_js(&serde_json::json!({"pixels": data.image(index), "label": data.label(index)}))
    }

    /// The worked trace (JSON text) of one training step on one image with its label, computed
    /// on a copy: looking does not change the model.
    pub fn trace(&self, pixels: &[f32], label: usize) -> Result<String, JsError> {
        let (net, opt) = (self.trainer.net.clone(), self.trainer.opt.clone());
        trace_one(net, opt, pixels, label)
    }

    /// Central-difference check of one parameter element's gradient on one image.
    #[wasm_bindgen(js_name = gradientCheck)]
    pub fn gradient_check(
        &self,
        pixels: &[f32],
        label: usize,
        layer: usize,
        param: &str,
        index: usize,
    ) -> Result<JsValue, JsError> {
        check_one(&self.trainer.net, pixels, label, layer, param, index)
    }

    /// Every layer's output for one image (eval mode): `[{shape, values}]`, for feature maps and
    /// unit activations.
    pub fn activations(&mut self, pixels: &[f32]) -> Result<JsValue, JsError> {
        if pixels.len() != 784 {
            return Err(JsError::new(&format!(
                "expected 784 pixels (28x28), found {}",
                pixels.len()
            )));
        }
        let x = self.trainer.net.batch_from_flat(pixels.to_vec(), 1);
        let mut outs = Vec::new();
        self.trainer.net.forward_observed(x, false, |_, o| {
            outs.push(serde_json::json!({"shape": &o.shape()[1..], "values": o.iter().copied().collect::<Vec<f32>>()}))
        });
        to_js(&outs)
    }

    /// A copy of layer `layer`'s weights, flat (`[out][in]` or `[O][C][k][k]`).
    #[wasm_bindgen(js_name = layerWeights)]
    pub fn layer_weights(&mut self, layer: usize) -> Result<Vec<f32>, JsError> {
        let p = self
            .trainer
            .net
            .layers
            .get_mut(layer)
            .ok_or_else(|| JsError::new(&format!("no layer {layer}")))?;
        let params = p.params();
        let w = params
            .first()
            .ok_or_else(|| JsError::new(&format!("layer {layer} has no weights")))?;
        Ok(w.value.to_vec())
    }

    /// For every layer with weights: its shape, a histogram of its weights and one of the last
    /// optimizer step.
    #[wasm_bindgen(js_name = weightSummary)]
    pub fn weight_summary(&mut self, bins: usize) -> Result<JsValue, JsError> {
        let bins = bins.clamp(2, 200);
        let names = self.trainer.net.param_names();
        let steps = self.trainer.opt.last_steps();
        let mut out = Vec::new();
        let specs: Vec<_> = self.trainer.net.layers.iter().map(|l| l.spec()).collect();
        for (k, ((layer, name), p)) in names.iter().zip(self.trainer.net.params()).enumerate() {
            if *name != "weight" {
                continue;
            }
            let last = steps
                .get(k)
                .cloned()
                .unwrap_or_else(|| vec![0.0; p.value.len()]);
            out.push(LayerSummary {
                index: *layer,
                spec: specs[*layer].clone(),
                weight_shape: p.shape.clone(),
                weights: histogram(p.value, bins),
                last_update: histogram(&last, bins),
            });
        }
        to_js(&out)
    }
}

/// A fresh network for the step-through view, instead of the current model: `{model, seed,
/// optimizer?}`, a preset with the weights of `seed` and a fresh optimizer (t = 0, m = v = 0;
/// default: Adam with its defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FreshNetwork {
    model: String,
    /// A JavaScript number, checked by [`presets::seed_from_number`] (serde's own message for
    /// 1.5 or −1 would not name the field).
    seed: f64,
    #[serde(default)]
    optimizer: OptimizerConfig,
}

/// Builds the fresh network and optimizer that `fresh` describes; bad settings give a message
/// naming the field.
fn fresh_network(fresh: JsValue) -> Result<(Network, Optimizer), JsError> {
    let f: FreshNetwork = serde_wasm_bindgen::from_value(fresh)
        .map_err(|e| JsError::new(&format!("fresh network: {e}")))?;
    let build = || -> Result<(Network, Optimizer), Error> {
        let seed = presets::seed_from_number(f.seed)?;
        f.optimizer.validate("optimizer")?;
        Ok((presets::network(&f.model, seed)?, f.optimizer.build()))
    };
    build().map_err(|e| js_err(e.context("fresh network")))
}

/// The worked trace (JSON text) of one training step of a fresh network (see
/// [`FreshNetwork`]) on one image with its label: the first step, t = 1, from m = v = 0.
#[wasm_bindgen(js_name = traceFresh)]
pub fn trace_fresh(fresh: JsValue, pixels: &[f32], label: usize) -> Result<String, JsError> {
    let (net, opt) = fresh_network(fresh)?;
    trace_one(net, opt, pixels, label)
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
    check_one(&net, pixels, label, layer, param, index)
}

/// One 28x28 image with its label as a batch of one.
fn one_example(
    net: &Network,
    pixels: &[f32],
    label: usize,
) -> Result<(crate::layers::Tensor, Targets), JsError> {
    if pixels.len() != 784 {
        return Err(JsError::new(&format!(
            "expected 784 pixels (28x28), found {}",
            pixels.len()
        )));
    }
    if label > 9 {
        return Err(JsError::new(&format!(
            "expected a label from 0 to 9, found {label}"
        )));
    }
    Ok((
        net.batch_from_flat(pixels.to_vec(), 1),
        Targets::Labels(vec![label]),
    ))
}

/// One training step of `net` with `opt` on one image, traced (they are the caller's copies).
fn trace_one(
    mut net: Network,
    mut opt: Optimizer,
    pixels: &[f32],
    label: usize,
) -> Result<String, JsError> {
    let (x, targets) = one_example(&net, pixels, label)?;
    Ok(to_json(&trace::trace_step(
        &mut net,
        &mut opt,
        x,
        &targets,
        Loss::SoftmaxCrossEntropy,
        true,
    )))
}

fn check_one(
    net: &Network,
    pixels: &[f32],
    label: usize,
    layer: usize,
    param: &str,
    index: usize,
) -> Result<JsValue, JsError> {
    let (x, targets) = one_example(net, pixels, label)?;
    to_js(
        &trace::gradient_check(
            net,
            &x,
            &targets,
            Loss::SoftmaxCrossEntropy,
            layer,
            param,
            index,
        )
        .map_err(js_err)?,
    )
}

fn read_settings(settings: JsValue) -> Result<Settings, JsError> {
    serde_wasm_bindgen::from_value(settings).map_err(|e| JsError::new(&format!("settings: {e}")))
}

fn fresh(settings: Settings) -> Result<(Settings, Trainer), Error> {
    settings.validate()?;
    let net = presets::network(&settings.model, settings.seed)?;
    let trainer = Trainer::new(net, settings.optimizer, settings.batch, settings.seed);
    Ok((settings, trainer))
}

fn from_file(
    bytes: &[u8],
    mut settings: Settings,
) -> Result<(Settings, Trainer, serde_json::Value), Error> {
    let model = model_file::load(bytes)?;
    model.network.check_digit_classifier()?;
    settings.model = model
        .info
        .get("model")
        .and_then(|m| m.as_str())
        .unwrap_or("custom")
        .to_string();
    if let Some(opt) = &model.optimizer {
        settings.optimizer = opt.config();
    }
    let mut trainer = Trainer::new(
        model.network,
        settings.optimizer,
        settings.batch.max(1),
        settings.seed,
    );
    if let Some(opt) = model.optimizer {
        trainer.step = opt.steps();
        trainer.opt = opt;
    }
    Ok((settings, trainer, model.info))
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
        to_json(&trace::trace_step(
            &mut self.net,
            &mut self.opt,
            self.spec.inputs.clone(),
            &self.spec.targets,
            self.spec.loss,
            true,
        ))
    }

    /// The trace of the next step without taking it.
    pub fn peek(&self) -> String {
        let (mut net, mut opt) = (self.net.clone(), self.opt.clone());
        to_json(&trace::trace_step(
            &mut net,
            &mut opt,
            self.spec.inputs.clone(),
            &self.spec.targets,
            self.spec.loss,
            true,
        ))
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
