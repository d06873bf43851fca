//! The model file: a [safetensors](https://github.com/huggingface/safetensors) file, the format
//! the ML world already reads, so a trained model opens in PyTorch, JAX or NumPy unchanged.
//!
//! - Tensors (f32, little-endian, C order): `layers.{i}.weight` and `layers.{i}.bias` for every
//!   dense and conv2d layer `i`; optionally the optimizer's state, `optimizer.layers.{i}.weight.m`
//!   and `.v` (Adam) or `.velocity` (SGD), so training can resume where it stopped.
//! - Metadata (string → string, safetensors' `__metadata__`): `format` = `backprop-lab`,
//!   `version` = [`VERSION`], `architecture` (the [`Arch`] as JSON), `checksum` (`sha256:` of
//!   every tensor's name, shape and bytes in name order), and optionally `optimizer` (its settings
//!   and step count as JSON), `training` (the trainer's place in its run as JSON, so that training
//!   goes on with the very batches it would have taken: [`crate::train::Place`]) and `info` (free
//!   JSON: how it was trained, its test accuracy).
//!
//! Loading checks all of it and says what is wrong: not a safetensors file, truncated, another
//! program's file, a newer version, a checksum that does not match (corrupted), or tensors that do
//! not fit the architecture.
//!
//! Next: [`crate::data::mnist`].

use std::collections::{BTreeMap, HashMap};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::network::{Arch, Network};
use crate::optim::{Adam, Optimizer, OptimizerConfig, Sgd};

pub const FORMAT: &str = "backprop-lab";
pub const VERSION: u32 = 1;

/// A loaded model: the network, and the optimizer when its state was saved.
#[derive(Debug, Clone)]
pub struct Model {
    pub network: Network,
    pub optimizer: Option<Optimizer>,
    /// Whatever `info` JSON was saved (training settings, accuracy), or null.
    pub info: serde_json::Value,
    /// The trainer's place (`training` metadata, read by [`crate::train`]), when it was saved.
    pub training: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct OptimizerMeta {
    config: OptimizerConfig,
    t: u64,
}

/// Serializes `net` (and `opt`'s state, if given) to safetensors bytes.
pub fn save(
    net: &mut Network,
    opt: Option<&Optimizer>,
    info: &serde_json::Value,
) -> Result<Vec<u8>> {
    save_with_training(net, opt, None, info)
}

/// [`save`], with the trainer's place (`training`) when given.
pub fn save_with_training(
    net: &mut Network,
    opt: Option<&Optimizer>,
    training: Option<&serde_json::Value>,
    info: &serde_json::Value,
) -> Result<Vec<u8>> {
    let arch = net.arch();
    let names = net.param_names();
    let mut tensors: BTreeMap<String, (Vec<usize>, Vec<u8>)> = BTreeMap::new();
    let params = net.params();
    for ((layer, name), p) in names.iter().zip(&params) {
        tensors.insert(
            format!("layers.{layer}.{name}"),
            (p.shape.clone(), to_bytes(p.value)),
        );
    }
    let mut meta = HashMap::new();
    if let Some(opt) = opt {
        // (tensor suffix, one state vector per parameter), and the step count.
        type States<'a> = Vec<(&'a str, &'a Vec<Vec<f32>>)>;
        let (states, t): (States<'_>, u64) = match opt {
            Optimizer::Adam(a) => (vec![("m", &a.m), ("v", &a.v)], a.t),
            Optimizer::Sgd(s) => (vec![("velocity", &s.velocity)], s.t),
        };
        for (suffix, state) in states {
            for (k, ((layer, name), p)) in names.iter().zip(&params).enumerate() {
                // Before its first step an optimizer has no state yet: the zeros it starts from.
                let bytes = match state.get(k) {
                    Some(values) => to_bytes(values),
                    None => vec![0; 4 * p.value.len()],
                };
                tensors.insert(
                    format!("optimizer.layers.{layer}.{name}.{suffix}"),
                    (p.shape.clone(), bytes),
                );
            }
        }
        meta.insert(
            "optimizer".into(),
            serde_json::to_string(&OptimizerMeta {
                config: opt.config(),
                t,
            })
            .expect("plain data"),
        );
    }
    meta.insert("format".into(), FORMAT.into());
    meta.insert("version".into(), VERSION.to_string());
    meta.insert(
        "architecture".into(),
        serde_json::to_string(&arch).expect("plain data"),
    );
    meta.insert(
        "checksum".into(),
        checksum(
            tensors
                .iter()
                .map(|(k, (s, b))| (k.as_str(), s.as_slice(), b.as_slice())),
        ),
    );
    if !info.is_null() {
        meta.insert("info".into(), info.to_string());
    }
    if let Some(t) = training {
        meta.insert("training".into(), t.to_string());
    }
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(k, (shape, bytes))| {
            (
                k.clone(),
                TensorView::new(Dtype::F32, shape.clone(), bytes).expect("sizes agree"),
            )
        })
        .collect();
    safetensors::serialize(views, Some(meta))
        .map_err(|e| Error::new(format!("could not write the model: {e}")))
}

/// Reads and checks a model file.
pub fn load(bytes: &[u8]) -> Result<Model> {
    let not_ours = |why: String| Error::new(format!("not a backprop-lab model file: {why}"));
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| match e {
        safetensors::SafeTensorError::HeaderTooSmall
        | safetensors::SafeTensorError::MetadataIncompleteBuffer => Error::new(format!(
            "the model file is truncated or not a safetensors file ({} bytes)",
            bytes.len()
        )),
        other => not_ours(format!("it is not a valid safetensors file ({other})")),
    })?;
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| Error::new(format!("the model file is truncated or corrupted ({e})")))?;
    let meta = metadata.metadata().clone().unwrap_or_default();
    match meta.get("format").map(String::as_str) {
        Some(FORMAT) => {}
        Some(other) => return Err(not_ours(format!("its format is '{other}'"))),
        None => {
            return Err(not_ours(
                "it has no 'format' in its metadata (a safetensors file from another program?)"
                    .into(),
            ))
        }
    }
    let version: u32 = meta
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| Error::new("the model file has no valid 'version' in its metadata"))?;
    if version != VERSION {
        return Err(Error::new(format!(
            "the model file is format version {version}, but this program reads version {VERSION}{}",
            if version > VERSION { "; it was written by a newer backprop-lab" } else { "" }
        )));
    }

    let mut tensors: BTreeMap<String, (Vec<usize>, &[u8])> = BTreeMap::new();
    for (name, view) in st.iter() {
        if view.dtype() != Dtype::F32 {
            return Err(Error::new(format!(
                "{name}: expected f32 numbers, found {:?}",
                view.dtype()
            )));
        }
        tensors.insert(name.to_string(), (view.shape().to_vec(), view.data()));
    }
    let stored = meta
        .get("checksum")
        .ok_or_else(|| Error::new("the model file has no checksum in its metadata"))?;
    if *stored
        != checksum(
            tensors
                .iter()
                .map(|(k, (s, b))| (k.as_str(), s.as_slice(), *b)),
        )
    {
        return Err(Error::new(
            "the model file is corrupted: its numbers do not match its checksum",
        ));
    }

    let arch: Arch = meta
        .get("architecture")
        .ok_or_else(|| Error::new("the model file has no architecture in its metadata"))
        .and_then(|a| {
            serde_json::from_str(a)
                .map_err(|e| Error::new(format!("the model file's architecture is not valid: {e}")))
        })?;
    arch.shapes()
        .map_err(|e| e.context("the model file's architecture"))?;
    // Every parameter the architecture has must be in the file with its shape before the network
    // is built: an architecture claiming billions of weights is refused, not allocated.
    for (i, layer) in arch.layers.iter().enumerate() {
        for (name, shape) in layer.param_shapes() {
            let key = format!("layers.{i}.{name}");
            match tensors.get(&key) {
                None => return Err(Error::new(format!("the model file has no tensor '{key}'"))),
                Some((found, _)) if *found != shape => {
                    return Err(Error::new(format!(
                        "{key}: expected shape {shape:?} for this architecture, found {found:?}"
                    )))
                }
                Some(_) => {}
            }
        }
    }
    let mut network =
        Network::from_arch(&arch, 0).map_err(|e| e.context("the model file's architecture"))?;
    // (layer, name, shape) of every parameter, in the network's order.
    let slots: Vec<(usize, &str, Vec<usize>)> = network
        .param_names()
        .into_iter()
        .zip(network.params())
        .map(|((layer, name), p)| (layer, name, p.shape.clone()))
        .collect();
    // One named tensor per parameter, e.g. `layers.{layer}.{name}{suffix}`.
    let mut take_all = |prefix: &str, suffix: &str| -> Result<Vec<Vec<f32>>> {
        slots
            .iter()
            .map(|(layer, name, shape)| {
                take(
                    &mut tensors,
                    format!("{prefix}{layer}.{name}{suffix}"),
                    shape,
                )
            })
            .collect()
    };
    let values = take_all("layers.", "")?;
    let optimizer = match meta.get("optimizer") {
        None => None,
        Some(text) => {
            let om: OptimizerMeta = serde_json::from_str(text).map_err(|e| {
                Error::new(format!(
                    "the model file's optimizer settings are not valid: {e}"
                ))
            })?;
            om.config
                .validate("optimizer")
                .map_err(|e| e.context("the model file's optimizer settings"))?;
            Some(match om.config {
                OptimizerConfig::Adam(cfg) => {
                    let mut a = Adam::new(cfg);
                    a.m = take_all("optimizer.layers.", ".m")?;
                    a.v = take_all("optimizer.layers.", ".v")?;
                    a.t = om.t;
                    Optimizer::Adam(a)
                }
                OptimizerConfig::Sgd { lr, momentum } => {
                    let mut s = Sgd::new(lr, momentum);
                    s.velocity = take_all("optimizer.layers.", ".velocity")?;
                    s.t = om.t;
                    Optimizer::Sgd(s)
                }
            })
        }
    };
    if let Some(extra) = tensors.keys().next() {
        return Err(Error::new(format!(
            "the model file has a tensor '{extra}' that this architecture does not use"
        )));
    }
    for (p, v) in network.params().iter_mut().zip(values) {
        p.value.copy_from_slice(&v);
    }
    if !network.is_finite() {
        return Err(Error::new(
            "the model file holds weights that are not finite numbers (NaN or infinity)",
        ));
    }
    // Resumed training would turn bad state into NaN weights at the first step.
    let state_ok = match &optimizer {
        None => true,
        Some(Optimizer::Adam(a)) => {
            all(&a.m, |x| x.is_finite()) && all(&a.v, |x| x.is_finite() && x >= 0.0)
        }
        Some(Optimizer::Sgd(s)) => all(&s.velocity, f32::is_finite),
    };
    if !state_ok {
        return Err(Error::new(
            "the model file's optimizer state holds numbers that are not finite, or a negative mean square",
        ));
    }
    let info = meta
        .get("info")
        .and_then(|i| serde_json::from_str(i).ok())
        .unwrap_or(serde_json::Value::Null);
    let training = meta
        .get("training")
        .map(|t| {
            serde_json::from_str(t).map_err(|e| {
                Error::new(format!(
                    "the model file's training place is not valid JSON: {e}"
                ))
            })
        })
        .transpose()?;
    Ok(Model {
        network,
        optimizer,
        info,
        training,
    })
}

/// Removes tensor `key` from `tensors`, checking its shape.
fn take(
    tensors: &mut BTreeMap<String, (Vec<usize>, &[u8])>,
    key: String,
    shape: &[usize],
) -> Result<Vec<f32>> {
    let (found, data) = tensors
        .remove(&key)
        .ok_or_else(|| Error::new(format!("the model file has no tensor '{key}'")))?;
    if found != shape {
        return Err(Error::new(format!(
            "{key}: expected shape {shape:?} for this architecture, found {found:?}"
        )));
    }
    Ok(from_bytes(data))
}

fn all(state: &[Vec<f32>], ok: impl Fn(f32) -> bool) -> bool {
    state.iter().flatten().all(|&x| ok(x))
}

fn to_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// `sha256:` of every tensor's name, shape and bytes, in name order.
fn checksum<'a>(tensors: impl Iterator<Item = (&'a str, &'a [usize], &'a [u8])>) -> String {
    let mut h = Sha256::new();
    for (name, shape, bytes) in tensors {
        h.update(name.as_bytes());
        h.update([0]);
        for d in shape {
            h.update((*d as u64).to_le_bytes());
        }
        h.update(bytes);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;

    fn trained_bytes() -> (Network, Vec<u8>) {
        let mut net = Network::from_arch(&presets::arch("cnn").unwrap(), 5).unwrap();
        let mut opt = OptimizerConfig::default().build();
        // One step gives the optimizer some state to save.
        opt.step(&mut net.params());
        let bytes = save(&mut net, Some(&opt), &serde_json::json!({"epochs": 1})).unwrap();
        (net, bytes)
    }

    #[test]
    fn round_trip_keeps_every_number() {
        let (mut net, bytes) = trained_bytes();
        let mut model = load(&bytes).unwrap();
        assert_eq!(model.network.arch(), net.arch());
        for (a, b) in model.network.params().iter().zip(net.params()) {
            assert_eq!(a.value, b.value);
        }
        match model.optimizer {
            Some(Optimizer::Adam(a)) => assert_eq!(a.t, 1),
            other => panic!("expected Adam state, found {other:?}"),
        }
        assert_eq!(model.info["epochs"], 1);
    }

    #[test]
    fn a_model_saved_before_its_first_step_loads_and_steps_like_a_fresh_one() {
        let mut net = Network::from_arch(&presets::arch("mlp-64").unwrap(), 5).unwrap();
        for config in [
            OptimizerConfig::default(),
            OptimizerConfig::Sgd {
                lr: 0.1,
                momentum: 0.9,
            },
        ] {
            let opt = config.build();
            let bytes = save(&mut net, Some(&opt), &serde_json::Value::Null).unwrap();
            let mut model = load(&bytes).unwrap();
            let mut back = model.optimizer.take().expect("the optimizer is saved");
            assert_eq!(back.steps(), 0);
            // One step from the loaded zeros and one from a fresh optimizer: the same weights.
            let (mut a, mut b) = (model.network, net.clone());
            for n in [&mut a, &mut b] {
                let x = n.batch_from_flat(vec![0.5; 784], 1);
                let out = n.forward(x, true);
                let l = crate::loss::Loss::SoftmaxCrossEntropy
                    .forward_backward(out.view(), &crate::loss::Targets::Labels(vec![3]));
                n.zero_grad();
                n.backward(l.dout);
            }
            back.step(&mut a.params());
            config.build().step(&mut b.params());
            assert_eq!(a.params()[0].value, b.params()[0].value);
        }
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let (_, bytes) = trained_bytes();
        let err = |b: &[u8]| load(b).unwrap_err().to_string();
        assert!(
            err(&bytes[..5]).contains("truncated"),
            "{}",
            err(&bytes[..5])
        );
        assert!(
            err(&bytes[..bytes.len() - 10]).contains("truncated"),
            "{}",
            err(&bytes[..bytes.len() - 10])
        );
        let mut flipped = bytes.clone();
        let last = flipped.len() - 3;
        flipped[last] ^= 0x55;
        assert_eq!(
            err(&flipped),
            "the model file is corrupted: its numbers do not match its checksum"
        );
        assert!(err(b"hello, this is not a model file at all")
            .starts_with("not a backprop-lab model file"));

        // A safetensors file from another program.
        let data = to_bytes(&[1.0, 2.0]);
        let other = safetensors::serialize(
            [("x", TensorView::new(Dtype::F32, vec![2], &data).unwrap())],
            None,
        )
        .unwrap();
        assert!(err(&other).contains("no 'format'"), "{}", err(&other));
    }

    #[test]
    fn newer_versions_and_mismatched_tensors_are_refused() {
        let data = to_bytes(&[1.0, 2.0]);
        let make = |version: &str, arch: &str| {
            let mut meta = HashMap::new();
            meta.insert("format".to_string(), FORMAT.to_string());
            meta.insert("version".to_string(), version.to_string());
            meta.insert("architecture".to_string(), arch.to_string());
            let tensors = [(
                "layers.0.weight",
                TensorView::new(Dtype::F32, vec![1, 2], &data).unwrap(),
            )];
            let sum = checksum([("layers.0.weight", &[1usize, 2][..], &data[..])].into_iter());
            meta.insert("checksum".to_string(), sum);
            safetensors::serialize(tensors, Some(meta)).unwrap()
        };
        let arch = r#"{"input_shape":[3],"layers":[{"type":"dense","inputs":3,"outputs":1}]}"#;
        assert_eq!(
            load(&make("2", arch)).unwrap_err().to_string(),
            "the model file is format version 2, but this program reads version 1; it was written by a newer backprop-lab"
        );
        assert_eq!(
            load(&make("1", arch)).unwrap_err().to_string(),
            "layers.0.weight: expected shape [1, 3] for this architecture, found [1, 2]"
        );
    }
}
