//! The network spec: a small JSON document that describes a whole worked example — a network
//! with explicit weights, its input(s), what the output should be, the loss, the optimizer and
//! how many steps to take. Teachers write one to reproduce a textbook example; the page's custom
//! network mode edits one; the golden tests are written in it. The format is documented in
//! README.md ("The network spec").
//!
//! ```json
//! {"input": [0.05, 0.10],
//!  "layers": [{"type": "dense", "weights": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35]},
//!             {"type": "sigmoid"},
//!             {"type": "dense", "weights": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60]},
//!             {"type": "sigmoid"}],
//!  "target": [0.01, 0.99], "loss": "half_sse", "optimizer": {"type": "sgd", "lr": 0.5}}
//! ```
//!
//! Parsing walks the JSON by hand rather than through derived deserializers, so that every
//! mistake is reported with its path and what was expected, e.g.
//! `layers[2].weights: expected 3 rows of 4 numbers, found a row of 5`.
//!
//! Next: [`crate::model_file`].

use ndarray::{Array1, Array2, Array4, ArrayD, IxDyn};
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::layers::{
    Activation, ActivationKind, Conv2d, Dense, Dropout, Flatten, Layer, LayerSpec, MaxPool2d,
    Tensor,
};
use crate::loss::{Loss, Targets};
use crate::network::Network;
use crate::optim::{AdamConfig, Optimizer, OptimizerConfig};
use crate::vocabulary::{self, LAYER_KINDS};

/// A parsed, validated spec: ready to run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub network: Network,
    /// The batch, `(N, input_shape...)`.
    pub inputs: Tensor,
    pub targets: Targets,
    pub loss: Loss,
    pub optimizer: OptimizerConfig,
    pub steps: usize,
    /// The document gave one `input` rather than a batch of `inputs`.
    pub single: bool,
    /// What the document called itself and how it wrote things, so that [`to_value`] writes
    /// it back the way it was given (`input` or `inputs`, and so `target`/`label` or
    /// `targets`/`labels`, follow from `single`).
    pub name: Option<String>,
    pub seed: Option<u64>,
    /// The document gave `input_shape` (examples are then written flat).
    pub input_shape_given: bool,
    /// The optimizer as the document leaves it: fresh, or with the state (`t`, Adam's `m` and
    /// `v`, SGD's `velocity`) of the steps already taken, so that a saved spec goes on where it
    /// stopped.
    pub start: Optimizer,
}

impl Spec {
    /// The optimizer to run the spec with: [`Spec::start`], a copy.
    pub fn build_optimizer(&self) -> Optimizer {
        self.start.clone()
    }
}

const TOP_FIELDS: [&str; 13] = [
    "input",
    "inputs",
    "input_shape",
    "target",
    "targets",
    "label",
    "labels",
    "layers",
    "loss",
    "optimizer",
    "steps",
    "seed",
    "name",
];

/// The most steps one spec (or `trace --steps`) may ask for ([`vocabulary::SPEC_STEPS`]).
pub const MAX_STEPS: usize = vocabulary::MAX_SPEC_STEPS;

/// Parses a spec from JSON text.
pub fn parse(text: &str) -> Result<Spec> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| Error::new(format!("not valid JSON: {e}")))?;
    from_value(&doc)
}

/// Parses a spec from a JSON value.
pub fn from_value(doc: &Value) -> Result<Spec> {
    let obj = doc
        .as_object()
        .ok_or_else(|| Error::new(format!("expected a JSON object, found {}", describe(doc))))?;
    check_fields(obj, "", &TOP_FIELDS)?;

    let name = match obj.get("name") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => {
            return Err(Error::at(
                "name",
                format!("expected a string, found {}", describe(v)),
            ))
        }
    };
    let seed_given = match obj.get("seed") {
        None => None,
        Some(v) => Some(count(v, "seed", 0)? as u64),
    };
    let seed = seed_given.unwrap_or(0);
    let steps = match obj.get("steps") {
        None => 1,
        Some(v) => count(v, "steps", 1)?,
    };
    if steps > MAX_STEPS {
        return Err(Error::at(
            "steps",
            format!("expected at most {MAX_STEPS} steps, found {steps}"),
        ));
    }

    // Inputs: one example or a batch; shape from `input_shape` or from the nesting.
    let (raw, single, field) = match (obj.get("input"), obj.get("inputs")) {
        (Some(_), Some(_)) => {
            return Err(Error::new(
                "give either `input` (one example) or `inputs` (a batch), not both",
            ))
        }
        (Some(v), None) => (vec![v.clone()], true, "input"),
        (None, Some(Value::Array(items))) if !items.is_empty() => (items.clone(), false, "inputs"),
        (None, Some(v)) => {
            return Err(Error::at(
                "inputs",
                format!(
                    "expected a non-empty list of examples, found {}",
                    describe(v)
                ),
            ))
        }
        (None, None) => {
            return Err(Error::new(
                "missing `input` (one example) or `inputs` (a batch)",
            ))
        }
    };
    let declared = match obj.get("input_shape") {
        None => None,
        Some(v) => Some(shape(v, "input_shape")?),
    };
    let mut examples = Vec::with_capacity(raw.len());
    let mut input_shape: Option<Vec<usize>> = declared.clone();
    for (i, ex) in raw.iter().enumerate() {
        let path = if single {
            field.to_string()
        } else {
            format!("{field}[{i}]")
        };
        let (values, nested_shape) = nested_numbers(ex, &path)?;
        let shape = match &declared {
            Some(s) => {
                let want: usize = s.iter().product();
                if values.len() != want {
                    return Err(Error::at(
                        &path,
                        format!(
                            "expected {want} numbers for input_shape {s:?}, found {}",
                            values.len()
                        ),
                    ));
                }
                s.clone()
            }
            None => nested_shape,
        };
        match &input_shape {
            Some(s) if *s != shape => {
                return Err(Error::at(
                    &path,
                    format!("expected an example of shape {s:?} like the others, found {shape:?}"),
                ))
            }
            _ => input_shape = Some(shape),
        }
        examples.extend(values);
    }
    let input_shape = input_shape.expect("at least one example");
    let n = raw.len();

    // Layers, with their numbers, checked against the shape flowing through them.
    let layers_v = obj
        .get("layers")
        .ok_or_else(|| Error::new("missing `layers`"))?;
    let layers_a = layers_v
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            Error::at(
                "layers",
                format!(
                    "expected a non-empty list of layers, found {}",
                    describe(layers_v)
                ),
            )
        })?;
    let mut layers = Vec::new();
    let mut shape_now = input_shape.clone();
    for (i, lv) in layers_a.iter().enumerate() {
        let path = format!("layers[{i}]");
        let layer = parse_layer(lv, &path, &shape_now, seed.wrapping_add(i as u64))?;
        shape_now = layer
            .spec()
            .output_shape(&shape_now)
            .map_err(|e| e.context(&path))?;
        layers.push(layer);
    }
    let outputs = match shape_now.as_slice() {
        [k] => *k,
        s => {
            return Err(Error::at("layers", format!("the last layer must give a flat output (add a flatten layer), but it gives shape {s:?}")))
        }
    };
    let mut network = Network {
        input_shape: input_shape.clone(),
        layers,
    };

    let loss = match obj.get("loss") {
        None => {
            return Err(Error::new(
                "missing `loss`: one of softmax_cross_entropy, mse, half_sse",
            ))
        }
        Some(Value::String(s)) => match s.as_str() {
            "softmax_cross_entropy" => Loss::SoftmaxCrossEntropy,
            "mse" => Loss::Mse,
            "half_sse" => Loss::HalfSse,
            other => {
                return Err(Error::at(
                    "loss",
                    format!(
                        "expected one of softmax_cross_entropy, mse, half_sse, found \"{other}\""
                    ),
                ))
            }
        },
        Some(v) => {
            return Err(Error::at(
                "loss",
                format!("expected a string, found {}", describe(v)),
            ))
        }
    };
    let targets = parse_targets(obj, single, n, outputs, loss)?;
    let (optimizer, start) = match obj.get("optimizer") {
        None => {
            let cfg = OptimizerConfig::Adam(AdamConfig::default());
            (cfg, cfg.build())
        }
        Some(v) => parse_optimizer(v, &mut network)?,
    };
    skip_dropout_masks(&mut network, start.steps(), n)?;

    let mut shape_n = vec![n];
    shape_n.extend(&input_shape);
    let inputs = ArrayD::from_shape_vec(IxDyn(&shape_n), examples).expect("sizes were checked");
    Ok(Spec {
        network,
        inputs,
        targets,
        loss,
        optimizer,
        steps,
        single,
        name,
        seed: seed_given,
        input_shape_given: declared.is_some(),
        start,
    })
}

/// After `t` steps each dropout layer has drawn `t` masks; a saved spec that goes on must go on
/// with the next ones.
fn skip_dropout_masks(network: &mut Network, t: u64, batch: usize) -> Result<()> {
    if t == 0 {
        return Ok(());
    }
    let shapes = network.arch().shapes()?;
    let mut size: usize = network.input_shape.iter().product();
    for (layer, shape) in network.layers.iter_mut().zip(shapes) {
        if let Layer::Dropout(d) = layer {
            d.skip_masks(t, batch * size);
        }
        size = shape.iter().product();
    }
    Ok(())
}

fn parse_layer(v: &Value, path: &str, input: &[usize], seed: u64) -> Result<Layer> {
    let obj = v.as_object().ok_or_else(|| {
        Error::at(
            path,
            format!(
                "expected a layer object like {{\"type\": \"relu\"}}, found {}",
                describe(v)
            ),
        )
    })?;
    let kind = match obj.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(t) => {
            return Err(Error::at(
                &format!("{path}.type"),
                format!("expected a string, found {}", describe(t)),
            ))
        }
        None => {
            return Err(Error::at(
                path,
                format!("missing \"type\" ({})", LAYER_KINDS.join(", ")),
            ))
        }
    };
    let field = |name: &str| {
        obj.get(name)
            .ok_or_else(|| Error::at(path, format!("a {kind} layer needs \"{name}\"")))
    };
    match kind {
        "dense" => {
            check_fields(obj, path, &["type", "weights", "bias"])?;
            let inputs = match input {
                [k] => *k,
                s => {
                    return Err(Error::at(path, format!("a dense layer needs a flat input, but gets shape {s:?}; add a flatten layer before it")))
                }
            };
            let wpath = format!("{path}.weights");
            let rows = field("weights")?
                .as_array()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| Error::at(&wpath, format!("expected a list of rows, one per output unit, each of {inputs} numbers")))?;
            let mut w = Vec::with_capacity(rows.len() * inputs);
            for (j, row) in rows.iter().enumerate() {
                let row = number_list(row, &format!("{wpath}[{j}]"))?;
                if row.len() != inputs {
                    return Err(Error::at(
                        &wpath,
                        format!(
                            "expected {} of {}, found a row of {}",
                            plural(rows.len(), "row"),
                            plural(inputs, "number"),
                            row.len()
                        ),
                    ));
                }
                w.extend(row);
            }
            let b = number_list(field("bias")?, &format!("{path}.bias"))?;
            if b.len() != rows.len() {
                return Err(Error::at(
                    &format!("{path}.bias"),
                    format!(
                        "expected {} (one per row of weights), found {}",
                        plural(rows.len(), "number"),
                        b.len()
                    ),
                ));
            }
            Ok(Layer::Dense(Dense::new(
                Array2::from_shape_vec((rows.len(), inputs), w).expect("checked"),
                Array1::from(b),
            )))
        }
        "conv2d" => {
            check_fields(obj, path, &["type", "weights", "bias", "stride", "padding"])?;
            let channels = match input {
                [c, _, _] => *c,
                s => return Err(Error::at(path, format!("a conv2d layer needs an input of shape [C, H, W] (set input_shape), but gets {s:?}"))),
            };
            let wpath = format!("{path}.weights");
            let (w, shape) = nested_numbers(field("weights")?, &wpath)?;
            let [o, c, kh, kw] = shape[..] else {
                return Err(Error::at(&wpath, format!("expected [out_channels][in_channels][k][k] numbers, found nesting of depth {}", shape.len())));
            };
            if c != channels {
                return Err(Error::at(&wpath, format!("expected {channels} input channels per filter (the input has {channels}), found {c}")));
            }
            if kh != kw {
                return Err(Error::at(
                    &wpath,
                    format!("expected square kernels, found {kh}x{kw}"),
                ));
            }
            let b = number_list(field("bias")?, &format!("{path}.bias"))?;
            if b.len() != o {
                return Err(Error::at(
                    &format!("{path}.bias"),
                    format!(
                        "expected {} (one per filter), found {}",
                        plural(o, "number"),
                        b.len()
                    ),
                ));
            }
            let stride = obj
                .get("stride")
                .map(|v| count(v, &format!("{path}.stride"), 1))
                .transpose()?
                .unwrap_or(1);
            let padding = obj
                .get("padding")
                .map(|v| count(v, &format!("{path}.padding"), 0))
                .transpose()?
                .unwrap_or(0);
            let spec = LayerSpec::Conv2d {
                in_channels: c,
                out_channels: o,
                kernel: kh,
                stride,
                padding,
            };
            spec.output_shape(input).map_err(|e| e.context(path))?;
            let w = Array4::from_shape_vec((o, c, kh, kw), w).expect("checked");
            Ok(Layer::Conv2d(Conv2d::new(
                w,
                Array1::from(b),
                stride,
                padding,
            )))
        }
        "maxpool2d" => {
            check_fields(obj, path, &["type", "size", "stride"])?;
            let size = count(field("size")?, &format!("{path}.size"), 1)?;
            let stride = obj
                .get("stride")
                .map(|v| count(v, &format!("{path}.stride"), 1))
                .transpose()?
                .unwrap_or(size);
            LayerSpec::Maxpool2d { size, stride }
                .output_shape(input)
                .map_err(|e| e.context(path))?;
            Ok(Layer::MaxPool2d(MaxPool2d::new(size, stride)))
        }
        "dropout" => {
            check_fields(obj, path, &["type", "rate"])?;
            let rate = number(field("rate")?, &format!("{path}.rate"))?;
            vocabulary::DROPOUT_RATE.check_f32(&format!("{path}.rate"), rate)?;
            Ok(Layer::Dropout(Dropout::new(rate, seed)))
        }
        "flatten" | "relu" | "sigmoid" | "tanh" => {
            check_fields(obj, path, &["type"])?;
            Ok(match kind {
                "flatten" => Layer::Flatten(Flatten::new()),
                "relu" => Layer::Activation(Activation::new(ActivationKind::Relu)),
                "sigmoid" => Layer::Activation(Activation::new(ActivationKind::Sigmoid)),
                _ => Layer::Activation(Activation::new(ActivationKind::Tanh)),
            })
        }
        other => Err(Error::at(
            &format!("{path}.type"),
            format!(
                "expected one of {}, found \"{other}\"",
                LAYER_KINDS.join(", ")
            ),
        )),
    }
}

fn parse_targets(
    obj: &Map<String, Value>,
    single: bool,
    n: usize,
    k: usize,
    loss: Loss,
) -> Result<Targets> {
    let given: Vec<&str> = ["target", "targets", "label", "labels"]
        .into_iter()
        .filter(|f| obj.contains_key(*f))
        .collect();
    let want = if single {
        "`target` (a list of numbers) or `label` (a class index)"
    } else {
        "`targets` (one list per example) or `labels` (one class index per example)"
    };
    let field = match given.as_slice() {
        [f] => *f,
        [] => return Err(Error::new(format!("missing {want}"))),
        _ => return Err(Error::new(format!("give only one of {}", given.join(", ")))),
    };
    let expected_field = matches!(
        (field, single),
        ("target" | "label", true) | ("targets" | "labels", false)
    );
    if !expected_field {
        return Err(Error::at(
            field,
            format!(
                "with {} use {want}",
                if single {
                    "one `input`"
                } else {
                    "a batch of `inputs`"
                }
            ),
        ));
    }
    let v = &obj[field];
    let label = |v: &Value, path: &str| -> Result<usize> {
        let c = count(v, path, 0)?;
        if c >= k {
            return Err(Error::at(
                path,
                format!("expected a class index below {k} (the number of outputs), found {c}"),
            ));
        }
        Ok(c)
    };
    match field {
        "label" | "labels" => {
            if loss != Loss::SoftmaxCrossEntropy {
                return Err(Error::at(field, format!("class labels need the softmax_cross_entropy loss; with {} give `target`/`targets` values", loss.name())));
            }
            if single {
                return Ok(Targets::Labels(vec![label(v, "label")?]));
            }
            let items = v.as_array().ok_or_else(|| {
                Error::at(
                    "labels",
                    format!(
                        "expected a list of {n} class indices, found {}",
                        describe(v)
                    ),
                )
            })?;
            if items.len() != n {
                return Err(Error::at(
                    "labels",
                    format!("expected {n} labels (one per input), found {}", items.len()),
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, x)| label(x, &format!("labels[{i}]")))
                .collect::<Result<_>>()
                .map(Targets::Labels)
        }
        _ => {
            let rows: Vec<(Value, String)> = if single {
                vec![(v.clone(), "target".into())]
            } else {
                let items = v.as_array().ok_or_else(|| {
                    Error::at(
                        "targets",
                        format!("expected a list of {n} target lists, found {}", describe(v)),
                    )
                })?;
                if items.len() != n {
                    return Err(Error::at(
                        "targets",
                        format!(
                            "expected {n} target lists (one per input), found {}",
                            items.len()
                        ),
                    ));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (x.clone(), format!("targets[{i}]")))
                    .collect()
            };
            let mut values = Vec::with_capacity(n * k);
            for (row, path) in &rows {
                let row = number_list(row, path)?;
                if row.len() != k {
                    return Err(Error::at(
                        path,
                        format!(
                            "expected {} (the network has {}), found {}",
                            plural(k, "number"),
                            plural(k, "output"),
                            row.len()
                        ),
                    ));
                }
                if loss == Loss::SoftmaxCrossEntropy {
                    let sum: f32 = row.iter().sum();
                    if row.iter().any(|&t| t < 0.0) || (sum - 1.0).abs() > 1e-4 {
                        return Err(Error::at(path, format!("expected a probability distribution (non-negative, summing to 1) for softmax_cross_entropy, found a sum of {sum}")));
                    }
                }
                values.extend(row);
            }
            Ok(Targets::Values(
                Array2::from_shape_vec((n, k), values).expect("checked"),
            ))
        }
    }
}

/// The optimizer's settings, and the optimizer itself: fresh, or with the state of the steps
/// already taken (`t`; Adam's `m` and `v`, SGD's `velocity`: lists with one entry per layer,
/// `null` for a layer without weights, else `{"weights": ..., "bias": ...}` shaped like its own).
fn parse_optimizer(v: &Value, network: &mut Network) -> Result<(OptimizerConfig, Optimizer)> {
    let obj = v.as_object().ok_or_else(|| {
        Error::at(
            "optimizer",
            format!(
                "expected an object like {{\"type\": \"sgd\", \"lr\": 0.1}}, found {}",
                describe(v)
            ),
        )
    })?;
    let get = |name: &str, default: Option<f64>| -> Result<f64> {
        match (obj.get(name), default) {
            // Keep the f64 the user wrote (see AdamConfig), after checking it is a number.
            (Some(v), _) => {
                number(v, &format!("optimizer.{name}")).map(|_| v.as_f64().expect("a number"))
            }
            (None, Some(d)) => Ok(d),
            (None, None) => Err(Error::at("optimizer", format!("missing \"{name}\""))),
        }
    };
    let cfg = match obj.get("type").and_then(Value::as_str) {
        Some("sgd") => {
            check_fields(
                obj,
                "optimizer",
                &["type", "lr", "momentum", "t", "velocity"],
            )?;
            OptimizerConfig::Sgd {
                lr: get("lr", None)?,
                momentum: get("momentum", Some(0.0))?,
            }
        }
        Some("adam") => {
            check_fields(
                obj,
                "optimizer",
                &["type", "lr", "beta1", "beta2", "eps", "t", "m", "v"],
            )?;
            let d = AdamConfig::default();
            OptimizerConfig::Adam(AdamConfig {
                lr: get("lr", Some(d.lr))?,
                beta1: get("beta1", Some(d.beta1))?,
                beta2: get("beta2", Some(d.beta2))?,
                eps: get("eps", Some(d.eps))?,
            })
        }
        Some(other) => {
            return Err(Error::at(
                "optimizer.type",
                format!("expected \"sgd\" or \"adam\", found \"{other}\""),
            ))
        }
        None => {
            return Err(Error::at(
                "optimizer",
                "missing \"type\": \"sgd\" or \"adam\"",
            ))
        }
    };
    cfg.validate("optimizer")?;
    let t = match obj.get("t") {
        None => 0,
        Some(v) => count(v, "optimizer.t", 0)? as u64,
    };
    let fields: &[&str] = match cfg {
        OptimizerConfig::Sgd { .. } => &["velocity"],
        OptimizerConfig::Adam(_) => &["m", "v"],
    };
    let given = fields.iter().filter(|f| obj.contains_key(**f)).count();
    if t == 0 && given > 0 {
        return Err(Error::at("optimizer.t", format!("{} is the state left by the steps already taken: give t, the number of those steps (at least 1)", fields.join(" and "))));
    }
    if t > 0 && given < fields.len() {
        return Err(Error::at(
            "optimizer",
            format!(
                "with t = {t} steps taken, give the state they left: {}",
                fields.join(" and ")
            ),
        ));
    }
    let mut opt = cfg.build();
    if t > 0 {
        let mut read = |f: &str| param_state(&obj[f], &format!("optimizer.{f}"), network);
        match &mut opt {
            Optimizer::Sgd(o) => (o.t, o.velocity) = (t, read("velocity")?),
            Optimizer::Adam(o) => {
                (o.t, o.m, o.v) = (t, read("m")?, read("v")?);
                if o.v.iter().flatten().any(|&x| x < 0.0) {
                    return Err(Error::at(
                        "optimizer.v",
                        "expected numbers of at least 0 (a mean of squares)",
                    ));
                }
            }
        }
    }
    Ok((cfg, opt))
}

/// One state tensor per parameter, in the network's parameter order, from one entry per layer.
fn param_state(v: &Value, path: &str, network: &mut Network) -> Result<Vec<Vec<f32>>> {
    let count = network.layers.len();
    let items = v.as_array().filter(|a| a.len() == count).ok_or_else(|| {
        Error::at(path, format!("expected a list of {count} entries, one per layer (null for a layer without weights), found {}", describe(v)))
    })?;
    let mut out = Vec::new();
    for (i, (layer, item)) in network.layers.iter_mut().zip(items).enumerate() {
        let at = format!("{path}[{i}]");
        let kind = layer.spec().kind();
        let params = layer.params();
        if params.is_empty() {
            if !item.is_null() {
                return Err(Error::at(
                    &at,
                    format!("expected null: layer {i} ({kind}) has no weights"),
                ));
            }
            continue;
        }
        let obj = item.as_object().ok_or_else(|| {
            Error::at(
                &at,
                format!(
                    "expected {{\"weights\": ..., \"bias\": ...}} like layer {i}'s own, found {}",
                    describe(item)
                ),
            )
        })?;
        check_fields(obj, &at, &["weights", "bias"])?;
        for p in &params {
            let key = if p.name == "weight" {
                "weights"
            } else {
                "bias"
            };
            let value = obj
                .get(key)
                .ok_or_else(|| Error::at(&at, format!("missing \"{key}\"")))?;
            let (values, shape) = nested_numbers(value, &format!("{at}.{key}"))?;
            if shape != p.shape {
                return Err(Error::at(
                    &format!("{at}.{key}"),
                    format!(
                        "expected the shape of layer {i}'s {key}, {:?}, found {shape:?}",
                        p.shape
                    ),
                ));
            }
            out.push(values);
        }
    }
    Ok(out)
}

/// Writes a spec back as a document, with the network's current weights and the optimizer's
/// current state: what the page exports after a few steps. It keeps the document's name, seed
/// and keys (`input` or `inputs`, `target`/`label` or `targets`/`labels`, nested or flat inputs),
/// prints every f32 as its shortest decimal (0.05, not 0.05000000074505806), and [`parse`] reads
/// it back to the same network and optimizer: `to_value` of that is the same document.
pub fn to_value(spec: &Spec, network: &Network, optimizer: &Optimizer) -> Value {
    let shape = &network.input_shape;
    let features: usize = shape.iter().product();
    let example = |c: &[f32]| {
        if spec.input_shape_given {
            nums(c)
        } else {
            nested(c, shape)
        }
    };
    let flat: Vec<f32> = spec.inputs.iter().copied().collect();
    let mut examples: Vec<Value> = flat.chunks(features).map(example).collect();
    let mut doc = Map::new();
    if let Some(name) = &spec.name {
        doc.insert("name".into(), json!(name));
    }
    if spec.input_shape_given {
        doc.insert("input_shape".into(), json!(shape));
    }
    let rows = |v: &Array2<f32>| -> Vec<Value> {
        v.rows().into_iter().map(|r| nums(&r.to_vec())).collect()
    };
    let (key, targets) = match (&spec.targets, spec.single) {
        (Targets::Labels(l), true) => ("label", json!(l[0])),
        (Targets::Labels(l), false) => ("labels", json!(l)),
        (Targets::Values(v), true) => ("target", rows(v).swap_remove(0)),
        (Targets::Values(v), false) => ("targets", Value::Array(rows(v))),
    };
    if spec.single {
        doc.insert("input".into(), examples.swap_remove(0));
    } else {
        doc.insert("inputs".into(), Value::Array(examples));
    }
    doc.insert(key.into(), targets);
    let layers: Vec<Value> = network.layers.iter().map(layer_to_value).collect();
    doc.insert("layers".into(), Value::Array(layers));
    doc.insert("loss".into(), json!(spec.loss.name()));
    doc.insert("optimizer".into(), optimizer_to_value(network, optimizer));
    doc.insert("steps".into(), json!(spec.steps));
    if let Some(seed) = spec.seed {
        doc.insert("seed".into(), json!(seed));
    }
    Value::Object(doc)
}

/// The settings, and after a step the state: `t` and one entry per layer (see [`parse_optimizer`]).
fn optimizer_to_value(network: &Network, optimizer: &Optimizer) -> Value {
    let mut v = serde_json::to_value(optimizer.config()).expect("plain numbers");
    let t = optimizer.steps();
    if t == 0 {
        return v;
    }
    let state: Vec<(&str, &Vec<Vec<f32>>)> = match optimizer {
        Optimizer::Sgd(o) => vec![("velocity", &o.velocity)],
        Optimizer::Adam(o) => vec![("m", &o.m), ("v", &o.v)],
    };
    let mut net = network.clone();
    let obj = v.as_object_mut().expect("an object");
    obj.insert("t".into(), json!(t));
    for (field, tensors) in state {
        let mut next = tensors.iter();
        let per_layer: Vec<Value> = net
            .layers
            .iter_mut()
            .map(|layer| {
                let params = layer.params();
                if params.is_empty() {
                    return Value::Null;
                }
                let mut entry = Map::new();
                for p in &params {
                    let key = if p.name == "weight" {
                        "weights"
                    } else {
                        "bias"
                    };
                    let values = next.next().expect("one state tensor per parameter");
                    entry.insert(key.into(), nested(values, &p.shape));
                }
                Value::Object(entry)
            })
            .collect();
        obj.insert(field.into(), Value::Array(per_layer));
    }
    v
}

fn layer_to_value(layer: &Layer) -> Value {
    match layer {
        Layer::Dense(d) => json!({
            "type": "dense",
            "weights": nested(d.w.as_slice().expect("contiguous"), d.w.shape()),
            "bias": nums(d.b.as_slice().expect("contiguous")),
        }),
        Layer::Conv2d(c) => json!({
            "type": "conv2d",
            "weights": nested(c.w.as_slice().expect("contiguous"), c.w.shape()),
            "bias": nums(c.b.as_slice().expect("contiguous")),
            "stride": c.stride,
            "padding": c.padding,
        }),
        Layer::Dropout(d) => json!({"type": "dropout", "rate": num(d.rate)}),
        other => serde_json::to_value(other.spec()).expect("plain fields"),
    }
}

/// An f32 as its shortest decimal: JSON numbers are f64, and 0.05f32 widened to f64 would print
/// as 0.05000000074505806. Rust prints an f32 as the shortest decimal that reads back as itself.
fn num(x: f32) -> Value {
    json!(format!("{x}")
        .parse::<f64>()
        .expect("Rust prints a float it can read"))
}

fn nums(values: &[f32]) -> Value {
    Value::Array(values.iter().map(|&x| num(x)).collect())
}

/// Flat values as nested lists of `shape` (C order).
fn nested(values: &[f32], shape: &[usize]) -> Value {
    match shape {
        [] | [_] => nums(values),
        [n, rest @ ..] => {
            let size = values.len() / n.max(&1);
            Value::Array(
                values
                    .chunks(size.max(1))
                    .map(|c| nested(c, rest))
                    .collect(),
            )
        }
    }
}

// ---- small readers that say what they expected ----

/// "1 number", "3 numbers".
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() > 30 => format!(
            "the string \"{}…\"",
            &s[..s.char_indices().nth(30).map_or(s.len(), |(i, _)| i)]
        ),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(a) => format!("a list of {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

fn check_fields(obj: &Map<String, Value>, path: &str, allowed: &[&str]) -> Result<()> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            return Err(Error::at(
                &at,
                format!("unknown field; expected one of {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn number(v: &Value, path: &str) -> Result<f32> {
    match v.as_f64() {
        Some(x) if x.is_finite() && x.abs() <= f32::MAX as f64 => Ok(x as f32),
        _ => Err(Error::at(
            path,
            format!("expected a number, found {}", describe(v)),
        )),
    }
}

fn number_list(v: &Value, path: &str) -> Result<Vec<f32>> {
    let items = v.as_array().ok_or_else(|| {
        Error::at(
            path,
            format!("expected a list of numbers, found {}", describe(v)),
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| number(x, &format!("{path}[{i}]")))
        .collect()
}

/// A whole number ≥ `min`.
fn count(v: &Value, path: &str, min: u64) -> Result<usize> {
    match v.as_u64() {
        Some(x) if x >= min => Ok(x as usize),
        _ => Err(Error::at(
            path,
            format!(
                "expected a whole number of at least {min}, found {}",
                describe(v)
            ),
        )),
    }
}

fn shape(v: &Value, path: &str) -> Result<Vec<usize>> {
    let items = v
        .as_array()
        .filter(|a| a.len() == 1 || a.len() == 3)
        .ok_or_else(|| {
            Error::at(
                path,
                format!(
                    "expected [n] or [channels, height, width], found {}",
                    describe(v)
                ),
            )
        })?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| count(x, &format!("{path}[{i}]"), 1))
        .collect()
}

/// Numbers nested as regular lists (a list, a matrix, a [C][H][W] block...), flattened in C order,
/// with their shape.
fn nested_numbers(v: &Value, path: &str) -> Result<(Vec<f32>, Vec<usize>)> {
    match v {
        Value::Array(items) if items.is_empty() => {
            Err(Error::at(path, "expected numbers, found an empty list"))
        }
        Value::Array(items) if items[0].is_array() => {
            let mut flat = Vec::new();
            let mut inner: Option<Vec<usize>> = None;
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                let (vals, shape) = nested_numbers(item, &p)?;
                match &inner {
                    Some(s) if *s != shape => {
                        return Err(Error::at(
                            &p,
                            format!(
                            "expected a block of shape {s:?} like the first one, found {shape:?}"
                        ),
                        ))
                    }
                    _ => inner = Some(shape),
                }
                flat.extend(vals);
            }
            let mut shape = vec![items.len()];
            shape.extend(inner.expect("non-empty"));
            Ok((flat, shape))
        }
        Value::Array(items) => {
            let vals = number_list(v, path)?;
            Ok((vals, vec![items.len()]))
        }
        other => Err(Error::at(
            path,
            format!("expected a list of numbers, found {}", describe(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Matt Mazur's "A Step by Step Backpropagation Example" (2015), the classic worked example.
    const MAZUR: &str = r#"{
        "input": [0.05, 0.10],
        "layers": [
            {"type": "dense", "weights": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35]},
            {"type": "sigmoid"},
            {"type": "dense", "weights": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60]},
            {"type": "sigmoid"}],
        "target": [0.01, 0.99], "loss": "half_sse", "optimizer": {"type": "sgd", "lr": 0.5}}"#;

    #[test]
    fn reproduces_mazurs_published_numbers() {
        let spec = parse(MAZUR).unwrap();
        let trace = &crate::trace::run_spec(&spec, 1)[0];
        // Published: E_total = 0.298371109; after one step w5 = 0.35891648, w1 = 0.149780716.
        let close = |ours: f32, published: f64| (ours as f64 - published).abs() < 1e-7;
        assert!(
            close(trace.loss.value, 0.298_371_109),
            "{}",
            trace.loss.value
        );
        assert!(close(trace.layers[2].params[0].after[0], 0.358_916_48));
        assert!(close(trace.layers[0].params[0].after[0], 0.149_780_716));
    }

    /// A spec with every kind of thing to keep: a name, a seed, a batch of nested [C][H][W]
    /// inputs without `input_shape`, labels, dropout, SGD with momentum.
    const CONV_BATCH: &str = r#"{
        "name": "conv, dropout, momentum",
        "inputs": [[[[0.1, 0.9, 0.3], [0.7, 0.5, 0.2], [0.8, 0.4, 0.6]]],
                   [[[0.9, 0.1, 0.6], [0.2, 0.4, 0.8], [0.3, 0.7, 0.05]]]],
        "layers": [
            {"type": "conv2d", "weights": [[[[0.2, -0.1], [0.4, 0.3]]], [[[-0.3, 0.5], [0.1, -0.2]]]], "bias": [0.05, -0.05], "padding": 1, "stride": 2},
            {"type": "tanh"},
            {"type": "flatten"},
            {"type": "dropout", "rate": 0.3},
            {"type": "dense", "weights": [[0.5, -0.4, 0.1, 0.2, 0.3, -0.1, 0.05, 0.6], [-0.3, 0.8, 0.2, -0.2, 0.1, 0.4, -0.5, 0.3]], "bias": [0.0, 0.1]}
        ],
        "labels": [1, 0], "loss": "softmax_cross_entropy",
        "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9}, "seed": 7, "steps": 2}"#;

    fn export(spec: &Spec, net: &Network, opt: &Optimizer) -> Value {
        to_value(spec, net, opt)
    }

    #[test]
    fn export_keeps_the_documents_name_keys_and_numbers() {
        for doc in [
            include_str!("../www/presets/mazur-2-2-2-sgd.json"),
            include_str!("../www/presets/relu-softmax-adam.json"),
            CONV_BATCH,
        ] {
            let given: Value = serde_json::from_str(doc).unwrap();
            let spec = parse(doc).unwrap();
            let out = export(&spec, &spec.network, &spec.build_optimizer());
            // The same fields, with the same values (only defaults such as momentum = 0 or the
            // conv's padding are written out), and no float noise: 0.05, not 0.05000000074505806.
            for (key, value) in given.as_object().unwrap() {
                if key != "optimizer" && key != "layers" {
                    assert_eq!(&out[key], value, "{key}");
                }
            }
            for key in out.as_object().unwrap().keys() {
                assert!(given.get(key).is_some(), "{key} was not in the document");
            }
            for (l_out, l_in) in out["layers"]
                .as_array()
                .unwrap()
                .iter()
                .zip(given["layers"].as_array().unwrap())
            {
                for (key, value) in l_in.as_object().unwrap() {
                    assert_eq!(&l_out[key], value, "layers: {key}");
                }
            }
            let text = serde_json::to_string(&out).unwrap();
            assert!(
                !text.contains("0000000") && !text.contains("9999999"),
                "{text}"
            );
        }
    }

    #[test]
    fn an_exported_spec_goes_on_where_it_stopped() {
        for doc in [
            include_str!("../www/presets/mazur-2-2-2-sgd.json"),
            include_str!("../www/presets/relu-softmax-adam.json"),
            CONV_BATCH,
        ] {
            let spec = parse(doc).unwrap();
            let (mut net, mut opt) = (spec.network.clone(), spec.build_optimizer());
            let step = |net: &mut Network, opt: &mut Optimizer, spec: &Spec| {
                crate::trace::trace_spec_step(spec, net, opt)
            };
            for _ in 0..3 {
                step(&mut net, &mut opt, &spec);
            }
            let saved = export(&spec, &net, &opt);
            let again = from_value(&saved).unwrap();
            // parse(export(x)) exports identically...
            assert_eq!(
                export(&again, &again.network, &again.build_optimizer()),
                saved
            );
            assert_eq!(again.build_optimizer().steps(), 3);
            // ...and stepping the reloaded spec gives the numbers of stepping on, bit for bit
            // (Adam's m, v and t, SGD's velocity and the dropout masks included).
            let (mut net2, mut opt2) = (again.network.clone(), again.build_optimizer());
            for _ in 0..2 {
                let on = step(&mut net, &mut opt, &spec);
                let reloaded = step(&mut net2, &mut opt2, &again);
                assert_eq!(
                    serde_json::to_string(&on).unwrap(),
                    serde_json::to_string(&reloaded).unwrap()
                );
            }
        }
    }

    #[test]
    fn optimizer_state_errors_name_the_field() {
        let with = |opt: &str| {
            format!(
                r#"{{"input": [1, 2], "layers": [{{"type": "dense", "weights": [[1, 2]], "bias": [0]}}, {{"type": "relu"}}],
                "target": [1], "loss": "mse", "optimizer": {opt}}}"#
            )
        };
        let cases = [
            (r#"{"type": "adam", "t": 2}"#, "optimizer: with t = 2 steps taken, give the state they left: m and v"),
            (r#"{"type": "adam", "m": [], "v": []}"#, "optimizer.t: m and v is the state left by the steps already taken"),
            (r#"{"type": "sgd", "lr": 0.1, "t": 1, "velocity": [{"weights": [[1, 2]], "bias": [0]}]}"#, "optimizer.velocity: expected a list of 2 entries, one per layer"),
            (r#"{"type": "sgd", "lr": 0.1, "t": 1, "velocity": [{"weights": [[1, 2]], "bias": [0]}, 3]}"#, "optimizer.velocity[1]: expected null: layer 1 (relu) has no weights"),
            (r#"{"type": "sgd", "lr": 0.1, "t": 1, "velocity": [{"weights": [1, 2], "bias": [0]}, null]}"#, "optimizer.velocity[0].weights: expected the shape of layer 0's weights, [1, 2], found [2]"),
            (r#"{"type": "adam", "t": 1, "m": [{"weights": [[1, 2]], "bias": [0]}, null], "v": [{"weights": [[1, -2]], "bias": [0]}, null]}"#, "optimizer.v: expected numbers of at least 0"),
            (r#"{"type": "sgd", "lr": 0.1, "t": 1, "m": []}"#, "optimizer.m: unknown field"),
        ];
        for (opt, want) in cases {
            let got = parse(&with(opt))
                .err()
                .unwrap_or_else(|| panic!("{opt} should fail"))
                .to_string();
            assert!(
                got.starts_with(want),
                "for {opt}\n  expected: {want}\n  got:      {got}"
            );
        }
    }

    #[test]
    fn nested_inputs_give_their_shape() {
        let spec = parse(
            r#"{"input": [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]],
                "layers": [{"type": "conv2d", "weights": [[[[1, 0], [0, 1]]]], "bias": [0]},
                           {"type": "flatten"}],
                "target": [0, 0, 0, 0], "loss": "mse"}"#,
        )
        .unwrap();
        assert_eq!(spec.network.input_shape, vec![1, 3, 3]);
        assert_eq!(spec.network.outputs(), 4);
    }

    /// Every mistake gets a message naming the field and what was expected.
    #[test]
    fn errors_name_the_field() {
        let cases: &[(&str, &str)] = &[
            ("[1, 2]", "expected a JSON object, found a list of 2"),
            ("{", "not valid JSON"),
            (r#"{"layers": []}"#, "missing `input` (one example) or `inputs` (a batch)"),
            (r#"{"input": [1], "inputs": [[1]]}"#, "give either `input` (one example) or `inputs` (a batch), not both"),
            (r#"{"input": [1, "x"], "layers": [], "loss": "mse"}"#, "input[1]: expected a number, found the string \"x\""),
            (r#"{"inputs": [[1, 2], [3]], "layers": []}"#, "inputs[1]: expected an example of shape [2] like the others, found [1]"),
            (r#"{"input": [1, 2, 3], "input_shape": [2], "layers": []}"#, "input: expected 2 numbers for input_shape [2], found 3"),
            (r#"{"input": [1], "layers": [], "loss": "mse"}"#, "layers: expected a non-empty list of layers, found a list of 0"),
            (
                r#"{"input": [1, 2, 3, 4], "layers": [{"type": "dense", "weights": [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4, 5]], "bias": [0, 0, 0]}]}"#,
                "layers[0].weights: expected 3 rows of 4 numbers, found a row of 5",
            ),
            (
                r#"{"input": [1, 2], "layers": [{"type": "dense", "weights": [[1, 2]], "bias": [0, 0]}]}"#,
                "layers[0].bias: expected 1 number (one per row of weights), found 2",
            ),
            (r#"{"input": [1], "layers": [{"type": "softmax"}]}"#, "layers[0].type: expected one of dense, conv2d, maxpool2d, flatten, relu, sigmoid, tanh, dropout, found \"softmax\""),
            (r#"{"input": [1], "layers": [{"type": "relu", "size": 2}]}"#, "layers[0].size: unknown field; expected one of type"),
            (r#"{"input": [1], "layers": [{"weights": []}]}"#, "layers[0]: missing \"type\""),
            (r#"{"input": [1, 2], "layers": [{"type": "conv2d", "weights": [[[[1]]]], "bias": [0]}]}"#, "layers[0]: a conv2d layer needs an input of shape [C, H, W] (set input_shape), but gets [2]"),
            (
                r#"{"input": [1, 2, 3, 4], "input_shape": [1, 2, 2], "layers": [{"type": "dense", "weights": [[1, 2, 3, 4]], "bias": [0]}]}"#,
                "layers[0]: a dense layer needs a flat input, but gets shape [1, 2, 2]; add a flatten layer before it",
            ),
            (r#"{"input": [1, 2, 3, 4], "input_shape": [1, 2, 2], "layers": [{"type": "relu"}], "loss": "mse"}"#, "layers: the last layer must give a flat output"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1]}"#, "missing `loss`"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1], "loss": "hinge"}"#, "loss: expected one of softmax_cross_entropy, mse, half_sse, found \"hinge\""),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "loss": "mse"}"#, "missing `target` (a list of numbers) or `label` (a class index)"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "targets": [[1]], "loss": "mse"}"#, "targets: with one `input` use `target`"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1, 2], "loss": "mse"}"#, "target: expected 1 number (the network has 1 output), found 2"),
            (r#"{"input": [1, 2], "layers": [{"type": "relu"}], "label": 2, "loss": "softmax_cross_entropy"}"#, "label: expected a class index below 2 (the number of outputs), found 2"),
            (r#"{"input": [1, 2], "layers": [{"type": "relu"}], "label": 1, "loss": "mse"}"#, "label: class labels need the softmax_cross_entropy loss"),
            (r#"{"input": [1, 2], "layers": [{"type": "relu"}], "target": [0.5, 0.6], "loss": "softmax_cross_entropy"}"#, "target: expected a probability distribution"),
            (r#"{"inputs": [[1], [2]], "layers": [{"type": "relu"}], "labels": [0], "loss": "softmax_cross_entropy"}"#, "labels: expected 2 labels (one per input), found 1"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1], "loss": "mse", "optimizer": {"type": "adam", "lr": -1}}"#, "optimizer.lr: expected a positive number, found -1"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1], "loss": "mse", "optimizer": {"type": "adam", "beta1": 1.5}}"#, "optimizer.beta1: expected a number in [0, 1), found 1.5"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1], "loss": "mse", "optimizer": {"type": "rmsprop"}}"#, "optimizer.type: expected \"sgd\" or \"adam\", found \"rmsprop\""),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1], "loss": "mse", "optimizer": {"type": "sgd"}}"#, "optimizer: missing \"lr\""),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1], "loss": "mse", "steps": 0}"#, "steps: expected a whole number of at least 1, found the number 0"),
            (r#"{"input": [1], "layers": [{"type": "relu"}], "target": [1], "loss": "mse", "lr": 0.1}"#, "lr: unknown field"),
        ];
        for (doc, want) in cases {
            let got = parse(doc)
                .err()
                .unwrap_or_else(|| panic!("{doc} should fail"))
                .to_string();
            assert!(
                got.starts_with(want),
                "for {doc}\n  expected: {want}\n  got:      {got}"
            );
        }
    }
}
