//! Property tests of every parser a user's file reaches: MNIST's IDX images and labels, the model
//! file, the network spec and the pictures `backprop-lab predict --image` reads.
//!
//! Each property feeds a parser inputs made from valid ones (bit flips, truncation, splices,
//! inserted bytes, header fields set to huge or odd values, NaN and infinite numbers, JSON nodes
//! replaced, removed or nested hundreds deep, a model file's architecture or metadata edited with
//! its checksum made right again so the file reaches the checks behind it) and plain random bytes,
//! and asserts:
//! - no panic, and no hang: every property must finish (a watchdog reports one that does not);
//! - every rejection is a message for a person: not empty, one line, naming what is wrong (a part
//!   of the file, a field path, a tensor, "picture");
//! - whatever is accepted is usable: images and labels of the sizes the header says, a model that
//!   predicts and saves back to an identical model, a spec whose step runs, a 28x28 digit with
//!   values in [0, 1].
//!
//! The random source is seeded (SEED below), so a run is reproducible; proptest shrinks a failing
//! input before reporting it. The case counts keep each property to a few seconds in
//! `cargo test --release`.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::mpsc;
use std::time::Duration;

use backprop_lab::data::mnist::{parse_images, parse_labels, Dataset};
use backprop_lab::data::picture::digit_from_picture;
use backprop_lab::layers::LayerSpec;
use backprop_lab::model_file;
use backprop_lab::network::{Arch, Network};
use backprop_lab::optim::{AdamConfig, Optimizer, OptimizerConfig};
use backprop_lab::spec;
use backprop_lab::trace::run_spec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const SEED: [u8; 32] = *b"backprop-lab fuzz seed, 32 bytes";
/// Far beyond any case's real time (milliseconds): only a parser stuck in a loop gets near it.
const HANG: Duration = Duration::from_secs(300);

/// Runs `cases` cases of the strategy `make` makes through `check` with the seeded runner, on a
/// thread watched for a hang. Panics (test failure) with proptest's shrunk input when a case fails.
fn property<S>(
    name: &'static str,
    cases: u32,
    make: impl FnOnce() -> S + Send + 'static,
    check: impl Fn(S::Value) -> Result<Outcome, TestCaseError> + Send + 'static,
) where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let (done, finished) = mpsc::channel();
    let started = std::time::Instant::now();
    std::thread::spawn(move || {
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 2_000,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
        let accepted = std::cell::Cell::new(0usize);
        let result = runner
            .run(&make(), |input| {
                let outcome = check(input)?;
                accepted.set(accepted.get() + usize::from(outcome == Outcome::Accepted));
                Ok(())
            })
            .map(|()| accepted.get())
            .map_err(|e| e.to_string());
        let _ = done.send(result);
    });
    match finished.recv_timeout(HANG) {
        Ok(Ok(accepted)) => eprintln!(
            "{name}: {cases} cases passed ({accepted} accepted, {} refused) in {:.1} s",
            cases as usize - accepted,
            started.elapsed().as_secs_f64()
        ),
        Ok(Err(e)) => panic!("{name}: {e}"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: still running after {HANG:?}: a parser hangs")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: the runner died"),
    }
}

/// What a parser did with a case that passed.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Accepted,
    Refused,
}

/// A rejection message for a person: not empty, one line, naming one of `names`.
fn check_message(msg: &str, names: &[&str]) -> Result<Outcome, TestCaseError> {
    prop_assert!(!msg.trim().is_empty(), "an empty message");
    prop_assert!(
        !msg.contains(['\n', '\r']),
        "a message of several lines: {msg:?}"
    );
    prop_assert!(
        names.iter().any(|n| msg.contains(n)),
        "the message names none of {names:?}: {msg:?}"
    );
    Ok(Outcome::Refused)
}

// ---- byte mutations ----------------------------------------------------------------------------

/// One edit of a byte string; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    Truncate(usize),
    /// Replace `len` bytes at `at` with these.
    Splice(usize, usize, Vec<u8>),
    Insert(usize, Vec<u8>),
    /// Copy `len` bytes from `from` to `at` (a repeated chunk).
    Repeat(usize, usize, usize),
    /// Write a 32-bit word at `at`, big- or little-endian.
    Word(usize, u32, bool),
}

fn interesting_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(28),
        Just(255),
        Just(0xffff),
        Just(0x7fff_ffff),
        Just(0x8000_0000),
        Just(u32::MAX),
        Just(60_000),
        Just(0x0000_0803),
        Just(0x0000_0801),
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(a, b)| Mutation::FlipBit(a, b)),
        2 => any::<usize>().prop_map(Mutation::Truncate),
        2 => (any::<usize>(), 0usize..64, prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(a, l, b)| Mutation::Splice(a, l, b)),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..32)).prop_map(|(a, b)| Mutation::Insert(a, b)),
        1 => (any::<usize>(), 1usize..256, any::<usize>()).prop_map(|(f, l, a)| Mutation::Repeat(f, l, a)),
        3 => (any::<usize>(), interesting_u32(), any::<bool>()).prop_map(|(a, v, be)| Mutation::Word(a, v, be)),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..5)
}

fn apply(base: &[u8], muts: &[Mutation]) -> Vec<u8> {
    let mut b = base.to_vec();
    for m in muts {
        let at = |i: usize, b: &Vec<u8>| if b.is_empty() { 0 } else { i % (b.len() + 1) };
        match m {
            Mutation::FlipBit(i, bit) if !b.is_empty() => {
                let n = b.len();
                b[i % n] ^= 1 << bit;
            }
            Mutation::FlipBit(..) => {}
            Mutation::Truncate(i) => {
                let n = at(*i, &b);
                b.truncate(n)
            }
            Mutation::Splice(i, len, bytes) => {
                let s = at(*i, &b);
                let e = (s + len).min(b.len());
                b.splice(s..e, bytes.iter().copied());
            }
            Mutation::Insert(i, bytes) => {
                let s = at(*i, &b);
                b.splice(s..s, bytes.iter().copied());
            }
            Mutation::Repeat(from, len, to) if !b.is_empty() => {
                let f = from % b.len();
                let chunk: Vec<u8> = b[f..(f + len).min(b.len())].to_vec();
                let t = at(*to, &b);
                b.splice(t..t, chunk);
            }
            Mutation::Repeat(..) => {}
            Mutation::Word(i, v, be) => {
                // Word-aligned: headers are made of 4-byte fields.
                if b.len() >= 4 {
                    let s = (i % (b.len() - 3)) & !3;
                    let w = if *be {
                        v.to_be_bytes()
                    } else {
                        v.to_le_bytes()
                    };
                    b[s..s + 4].copy_from_slice(&w);
                }
            }
        }
    }
    b
}

/// Inputs for a parser: a valid base (picked by index) mutated, or random bytes.
fn mutated_or_random(bases: Vec<Vec<u8>>, max_random: usize) -> impl Strategy<Value = Vec<u8>> {
    let n = bases.len();
    prop_oneof![
        5 => (0..n, mutations()).prop_map(move |(i, m)| apply(&bases[i], &m)),
        1 => prop::collection::vec(any::<u8>(), 0..max_random),
    ]
}

// ---- IDX ---------------------------------------------------------------------------------------

fn idx_images(count: u32, rows: u32, cols: u32, seed: u8) -> Vec<u8> {
    let mut b = Vec::new();
    for w in [0x0803, count, rows, cols] {
        b.extend(w.to_be_bytes());
    }
    b.extend((0..count * rows * cols).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    b
}

fn idx_labels(count: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend(0x0801u32.to_be_bytes());
    b.extend(count.to_be_bytes());
    b.extend((0..count).map(|i| (i % 10) as u8));
    b
}

const IDX_PARTS: [&str; 7] = [
    "IDX",
    "header",
    "magic number",
    "pixels",
    "labels",
    "label ",
    "images",
];

#[test]
fn idx_images_never_panic_and_say_what_is_wrong() {
    let bases = vec![
        idx_images(3, 28, 28, 1),
        idx_images(2, 5, 7, 9),
        idx_images(1, 1, 1, 0),
        idx_labels(5),
    ];
    property(
        "IDX images",
        250_000,
        move || mutated_or_random(bases, 64),
        |bytes| {
            match parse_images(&bytes) {
                Ok(img) => {
                    prop_assert!(img.count > 0 && img.rows > 0 && img.cols > 0);
                    prop_assert_eq!(img.pixels.len(), img.count * img.rows * img.cols);
                    prop_assert_eq!(bytes.len(), 16 + img.pixels.len());
                }
                Err(e) => return check_message(&e.to_string(), &IDX_PARTS),
            }
            Ok(Outcome::Accepted)
        },
    );
}

#[test]
fn idx_labels_never_panic_and_say_what_is_wrong() {
    let bases = vec![idx_labels(10), idx_labels(1), idx_images(1, 2, 2, 0)];
    property(
        "IDX labels",
        250_000,
        move || mutated_or_random(bases, 32),
        |bytes| {
            match parse_labels(&bytes) {
                Ok(labels) => {
                    prop_assert!(!labels.is_empty() && labels.iter().all(|&l| l <= 9));
                    prop_assert_eq!(bytes.len(), 8 + labels.len());
                }
                Err(e) => return check_message(&e.to_string(), &IDX_PARTS),
            }
            Ok(Outcome::Accepted)
        },
    );
}

#[test]
fn idx_pairs_make_usable_datasets_or_say_which_file_is_wrong() {
    let images = [idx_images(3, 28, 28, 1), idx_images(2, 28, 28, 5)];
    let labels = [idx_labels(3), idx_labels(2)];
    // A matching pair with one file mutated, or both.
    let strategy = move || {
        (0..2usize, 0..3u8, mutations(), mutations()).prop_map(move |(i, which, mi, ml)| {
            let img = if which != 1 {
                apply(&images[i], &mi)
            } else {
                images[i].clone()
            };
            let lab = if which != 0 {
                apply(&labels[i], &ml)
            } else {
                labels[i].clone()
            };
            (img, lab)
        })
    };
    property("IDX pairs", 100_000, strategy, |(img, lab)| {
        match Dataset::from_idx(&img, &lab) {
            Ok(d) => {
                prop_assert!(!d.is_empty());
                let mut x = vec![0.0; d.pixels_per_image()];
                let mut y = [0usize];
                d.fill_batch(&[d.len() - 1], &mut x, &mut y);
                prop_assert!(x.iter().all(|v| (0.0..=1.0).contains(v)) && y[0] <= 9);
            }
            Err(e) => return check_message(&e.to_string(), &IDX_PARTS),
        }
        Ok(Outcome::Accepted)
    });
}

// ---- JSON mutations ----------------------------------------------------------------------------

/// One edit of a JSON document; `pick` chooses a node in pre-order, modulo the node count.
#[derive(Debug, Clone)]
enum JsonEdit {
    Replace(usize, Value),
    Remove(usize),
    /// Set `key` on the picked object (or the nearest one before it).
    Set(usize, String, Value),
    /// Wrap the picked node in `depth` arrays.
    Nest(usize, usize),
    /// Repeat the picked array's items `times` times.
    Grow(usize, usize),
}

fn interesting_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop_oneof![
            Just(json!(0)),
            Just(json!(-1)),
            Just(json!(1)),
            Just(json!(2)),
            Just(json!(3)),
            Just(json!(0.5)),
            Just(json!(-0.0)),
            Just(json!(1e-45)),
            Just(json!(1e300)),
            Just(json!(-1e300)),
            Just(json!(4e38)),
            Just(json!(1e15)),
            Just(json!(1u64 << 20)),
            Just(json!(1u64 << 31)),
            Just(json!(1u64 << 32)),
            Just(json!(1u64 << 40)),
            Just(json!(1u64 << 62)),
            Just(json!(u64::MAX)),
            Just(json!(i64::MIN)),
        ],
        prop_oneof![
            Just(json!(null)),
            Just(json!(true)),
            Just(json!("")),
            Just(json!("dense")),
            Just(json!("conv2d")),
            Just(json!("maxpool2d")),
            Just(json!("dropout")),
            Just(json!("softmax_cross_entropy")),
            Just(json!("adam")),
            Just(json!([])),
            Just(json!({})),
            Just(json!([[]])),
            Just(json!([1, 2, 3])),
            Just(json!([[1.0, 2.0], [3.0]])),
        ],
        any::<f64>().prop_map(|x| json!(x)),
        any::<i64>().prop_map(|x| json!(x)),
        (1usize..3000).prop_map(|n| json!(vec![0.25; n])),
    ]
}

const KEYS: [&str; 30] = [
    "type",
    "weights",
    "bias",
    "stride",
    "padding",
    "size",
    "rate",
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
    "lr",
    "momentum",
    "beta1",
    "beta2",
    "eps",
    "inputs",
    "outputs",
    "in_channels",
    "out_channels",
    "kernel",
    "zzz",
];

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    prop_oneof![
        4 => (any::<usize>(), interesting_value()).prop_map(|(p, v)| JsonEdit::Replace(p, v)),
        2 => any::<usize>().prop_map(JsonEdit::Remove),
        2 => (any::<usize>(), prop::sample::select(KEYS.to_vec()), interesting_value())
            .prop_map(|(p, k, v)| JsonEdit::Set(p, k.to_string(), v)),
        1 => (any::<usize>(), prop_oneof![1usize..5, 100usize..400]).prop_map(|(p, d)| JsonEdit::Nest(p, d)),
        1 => (any::<usize>(), prop_oneof![2usize..4, 50usize..200]).prop_map(|(p, t)| JsonEdit::Grow(p, t)),
    ]
}

fn json_edits() -> impl Strategy<Value = Vec<JsonEdit>> {
    prop::collection::vec(json_edit(), 1..4)
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Applies `f` to the `*i`-th node in pre-order; false when there are fewer nodes.
fn with_nth(v: &mut Value, i: &mut usize, f: &mut dyn FnMut(&mut Value)) -> bool {
    if *i == 0 {
        f(v);
        return true;
    }
    *i -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| with_nth(c, i, f)),
        Value::Object(o) => o.values_mut().any(|c| with_nth(c, i, f)),
        _ => false,
    }
}

fn edit_json(doc: &Value, edits: &[JsonEdit]) -> Value {
    let mut doc = doc.clone();
    for e in edits {
        let mut i = match e {
            JsonEdit::Replace(p, _)
            | JsonEdit::Remove(p)
            | JsonEdit::Set(p, ..)
            | JsonEdit::Nest(p, _)
            | JsonEdit::Grow(p, _) => p % count_nodes(&doc),
        };
        let mut set_on_root = None;
        with_nth(&mut doc, &mut i, &mut |node| match e {
            JsonEdit::Replace(_, v) => *node = v.clone(),
            // Remove a child of the picked node: an object's key or an array's item.
            JsonEdit::Remove(p) => match node {
                Value::Object(o) if !o.is_empty() => {
                    let k = o.keys().nth(p % o.len()).cloned().expect("in range");
                    o.remove(&k);
                }
                Value::Array(a) if !a.is_empty() => {
                    let len = a.len();
                    a.remove(p % len);
                }
                _ => {}
            },
            JsonEdit::Set(_, k, v) => match node {
                Value::Object(o) => {
                    o.insert(k.clone(), v.clone());
                }
                _ => set_on_root = Some((k.clone(), v.clone())),
            },
            JsonEdit::Nest(_, depth) => {
                let mut v = node.take();
                for _ in 0..*depth {
                    v = Value::Array(vec![v]);
                }
                *node = v;
            }
            JsonEdit::Grow(_, times) => {
                if let Value::Array(a) = node {
                    let items = a.clone();
                    for _ in 1..*times {
                        a.extend(items.iter().cloned());
                    }
                }
            }
        });
        if let (Some((k, v)), Value::Object(o)) = (set_on_root, &mut doc) {
            o.insert(k, v);
        }
    }
    doc
}

// ---- the network spec --------------------------------------------------------------------------

fn spec_bases() -> Vec<Value> {
    let root = env!("CARGO_MANIFEST_DIR");
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/tests/golden/golden.json")).unwrap(),
    )
    .unwrap();
    let mut bases: Vec<Value> = golden["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["spec"].clone())
        .collect();
    for e in std::fs::read_dir(format!("{root}/www/presets")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        bases.push(serde_json::from_str(&text).unwrap());
    }
    assert!(bases.len() >= 6, "the golden specs and the presets");
    bases
}

/// Every field name a spec message may start with or name, and the words of its top-level messages.
const SPEC_NAMES: [&str; 16] = [
    "input",
    "target",
    "label",
    "layers",
    "loss",
    "optimizer",
    "steps",
    "seed",
    "name",
    "weights",
    "bias",
    "JSON",
    "spec",
    "examples",
    "field",
    "batch",
];

/// What a spec parser answers for `text`: accepted specs must run a step.
fn check_spec(text: &str) -> Result<Outcome, TestCaseError> {
    match spec::parse(text) {
        Ok(s) => {
            let traces = run_spec(&s, 1);
            prop_assert_eq!(traces.len(), 1);
        }
        Err(e) => return check_message(&e.to_string(), &SPEC_NAMES),
    }
    Ok(Outcome::Accepted)
}

#[test]
fn specs_never_panic_and_name_the_field() {
    let bases = spec_bases();
    let n = bases.len();
    let texts = bases.clone();
    let strategy = move || {
        prop_oneof![
            // Structured: the JSON edited.
            6 => (0..n, json_edits()).prop_map(move |(i, e)| edit_json(&bases[i], &e).to_string()),
            // The text mutated as bytes.
            3 => (0..n, mutations()).prop_map(move |(i, m)| {
                String::from_utf8_lossy(&apply(texts[i].to_string().as_bytes(), &m)).into_owned()
            }),
            1 => ".{0,200}",
        ]
    };
    property("spec", 20_000, strategy, |text| check_spec(&text));
}

#[test]
fn deeply_nested_specs_are_refused_without_overflowing_the_stack() {
    for depth in [127, 128, 129, 1_000, 100_000] {
        let text = format!(
            r#"{{"input": {}0.5{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let msg = spec::parse(&text).unwrap_err().to_string();
        check_message(&msg, &SPEC_NAMES).unwrap();
    }
}

// ---- the model file ----------------------------------------------------------------------------

/// Small model files of every layer kind and optimizer state (and none).
fn model_bases() -> Vec<Vec<u8>> {
    let conv = Arch {
        input_shape: vec![1, 6, 6],
        layers: vec![
            LayerSpec::Conv2d {
                in_channels: 1,
                out_channels: 2,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            LayerSpec::Relu,
            LayerSpec::Maxpool2d { size: 2, stride: 2 },
            LayerSpec::Flatten,
            LayerSpec::Dropout { rate: 0.25 },
            LayerSpec::Dense {
                inputs: 18,
                outputs: 3,
            },
        ],
    };
    let mlp = Arch {
        input_shape: vec![5],
        layers: vec![
            LayerSpec::Dense {
                inputs: 5,
                outputs: 4,
            },
            LayerSpec::Tanh,
            LayerSpec::Dense {
                inputs: 4,
                outputs: 2,
            },
            LayerSpec::Sigmoid,
        ],
    };
    let adam = OptimizerConfig::Adam(AdamConfig::default());
    let sgd = OptimizerConfig::Sgd {
        lr: 0.1,
        momentum: 0.9,
    };
    let mut out = Vec::new();
    for (arch, opt) in [(&conv, Some(adam)), (&mlp, Some(sgd)), (&mlp, None)] {
        let mut net = Network::from_arch(arch, 3).unwrap();
        let opt = opt.map(|c| {
            let mut o = c.build();
            o.step(&mut net.params());
            o
        });
        out.push(model_file::save(&mut net, opt.as_ref(), &json!({"epochs": 1})).unwrap());
    }
    out
}

/// A safetensors file taken apart: its JSON header and its data.
fn split_safetensors(bytes: &[u8]) -> Option<(Value, Vec<u8>)> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let header = serde_json::from_slice(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
    Some((header, bytes[8 + n..].to_vec()))
}

fn join_safetensors(header: &Value, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_string().into_bytes();
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(data);
    out
}

/// The checksum model_file.rs writes: SHA-256 of every tensor's name, 0, shape (u64 LE) and bytes,
/// in name order; None when the header does not describe the data.
fn checksum(header: &Value, data: &[u8]) -> Option<String> {
    let mut tensors = BTreeMap::new();
    for (name, t) in header.as_object()? {
        if name == "__metadata__" {
            continue;
        }
        let shape: Vec<u64> = t["shape"]
            .as_array()?
            .iter()
            .map(|d| d.as_u64())
            .collect::<Option<_>>()?;
        let off = t["data_offsets"].as_array()?;
        let (a, b) = (
            off.first()?.as_u64()? as usize,
            off.get(1)?.as_u64()? as usize,
        );
        tensors.insert(name.clone(), (shape, data.get(a..b)?.to_vec()));
    }
    let mut h = Sha256::new();
    for (name, (shape, bytes)) in tensors {
        h.update(name.as_bytes());
        h.update([0]);
        for d in shape {
            h.update(d.to_le_bytes());
        }
        h.update(bytes);
    }
    Some(format!(
        "sha256:{}",
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

/// An edit of a model file that keeps it a safetensors file, so the checks behind that one run.
#[derive(Debug, Clone)]
enum ModelEdit {
    /// Edit the architecture's JSON.
    Arch(Vec<JsonEdit>),
    /// Edit the optimizer settings' JSON.
    Optimizer(Vec<JsonEdit>),
    /// Edit the safetensors header itself (dtypes, shapes, offsets, metadata).
    Header(Vec<JsonEdit>),
    Version(String),
    DropMeta(usize),
    /// Write a special number over one f32 of the data.
    Number(usize, f32),
}

fn model_edit() -> impl Strategy<Value = ModelEdit> {
    let special = prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(f32::MAX),
        Just(-0.0f32),
        Just(1e-45f32),
        any::<f32>(),
    ];
    let versions = prop::sample::select(vec![
        "0",
        "1",
        "2",
        "-1",
        "",
        "1.0",
        "99999999999999999999",
        "one",
    ]);
    prop_oneof![
        4 => json_edits().prop_map(ModelEdit::Arch),
        2 => json_edits().prop_map(ModelEdit::Optimizer),
        2 => json_edits().prop_map(ModelEdit::Header),
        1 => versions.prop_map(|v| ModelEdit::Version(v.to_string())),
        1 => any::<usize>().prop_map(ModelEdit::DropMeta),
        2 => (any::<usize>(), special).prop_map(|(i, x)| ModelEdit::Number(i, x)),
    ]
}

fn edit_model(bytes: &[u8], edits: &[ModelEdit], fix_checksum: bool) -> Vec<u8> {
    let (mut header, mut data) = split_safetensors(bytes).expect("a valid base");
    for e in edits {
        let Some(Value::Object(meta)) = header.get_mut("__metadata__") else {
            // An earlier header edit removed the metadata: only the header itself is left to edit.
            if let ModelEdit::Header(j) = e {
                header = edit_json(&header, j);
            }
            continue;
        };
        let mut edit_string = |key: &str, edits: &[JsonEdit]| {
            if let Some(Value::String(s)) = meta.get(key) {
                let v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
                meta.insert(key.into(), Value::String(edit_json(&v, edits).to_string()));
            }
        };
        match e {
            ModelEdit::Arch(j) => edit_string("architecture", j),
            ModelEdit::Optimizer(j) => edit_string("optimizer", j),
            ModelEdit::Header(j) => header = edit_json(&header, j),
            ModelEdit::Version(v) => {
                meta.insert("version".into(), Value::String(v.clone()));
            }
            ModelEdit::DropMeta(i) => {
                let k = meta.keys().nth(i % meta.len()).cloned().expect("in range");
                meta.remove(&k);
            }
            ModelEdit::Number(i, x) => {
                if data.len() >= 4 {
                    let at = (i % (data.len() / 4)) * 4;
                    data[at..at + 4].copy_from_slice(&x.to_le_bytes());
                }
            }
        }
    }
    if fix_checksum {
        if let (Some(sum), Some(Value::Object(meta))) =
            (checksum(&header, &data), header.get_mut("__metadata__"))
        {
            meta.insert("checksum".into(), Value::String(sum));
        }
    }
    join_safetensors(&header, &data)
}

const MODEL_NAMES: [&str; 3] = ["model file", "layers.", "optimizer.layers."];

#[test]
fn model_files_never_panic_and_say_what_is_wrong() {
    let bases = model_bases();
    let n = bases.len();
    let raw = bases.clone();
    let strategy = move || {
        prop_oneof![
            3 => (0..n, prop::collection::vec(model_edit(), 1..4), prop::bool::weighted(0.85))
                .prop_map(move |(i, e, fix)| edit_model(&bases[i], &e, fix)),
            2 => mutated_or_random(raw, 256),
        ]
    };
    property("model file", 12_000, strategy, |bytes| {
        match model_file::load(&bytes) {
            Ok(mut model) => {
                // An accepted file holds finite weights, a network that runs (with probabilities
                // that add up to 1, unless a weight is so large that a sum overflows f32), valid
                // optimizer settings and state, and saves back to the same model.
                prop_assert!(model.network.is_finite());
                let features: usize = model.network.arch().input_shape.iter().product();
                let p = model.network.predict(&vec![0.5; features]);
                let moderate = model
                    .network
                    .params()
                    .iter()
                    .all(|p| p.value.iter().all(|w| w.abs() < 1e6));
                if moderate {
                    prop_assert!(p.iter().all(|v| v.is_finite()), "probabilities {p:?}");
                    prop_assert!((p.sum() - 1.0).abs() < 1e-4, "probabilities {p:?}");
                }
                if let Some(opt) = &model.optimizer {
                    prop_assert!(
                        opt.config().validate("optimizer").is_ok(),
                        "accepted settings {:?}",
                        opt.config()
                    );
                    let (finite, nonnegative) = match opt {
                        Optimizer::Adam(a) => (vec![&a.m, &a.v], vec![&a.v]),
                        Optimizer::Sgd(s) => (vec![&s.velocity], vec![]),
                    };
                    for state in finite {
                        prop_assert!(
                            state.iter().flatten().all(|x| x.is_finite()),
                            "accepted optimizer state {:?}",
                            state
                        );
                    }
                    for state in nonnegative {
                        prop_assert!(
                            state.iter().flatten().all(|&x| x >= 0.0),
                            "accepted a negative mean square {:?}",
                            state
                        );
                    }
                }
                let again =
                    model_file::save(&mut model.network, model.optimizer.as_ref(), &model.info)
                        .unwrap();
                let mut back = model_file::load(&again).unwrap();
                prop_assert_eq!(back.network.arch(), model.network.arch());
                for (a, b) in back.network.params().iter().zip(model.network.params()) {
                    prop_assert_eq!(a.value.to_vec(), b.value.to_vec());
                }
            }
            Err(e) => return check_message(&e.to_string(), &MODEL_NAMES),
        }
        Ok(Outcome::Accepted)
    });
}

// ---- crafted networks ----------------------------------------------------------------------------
// Two changes that must agree with each other, which random edits almost never make: a conv2d
// padding and a pool that bring the shapes back to what the rest of the network expects.

/// The golden conv spec (input 1x6x6, conv2d 3x3 padding 1, maxpool 2, dense 18 -> 3) with its
/// conv2d padding and maxpool2d stride changed.
fn crafted_spec(padding: u64, pool_stride: u64) -> String {
    let mut doc = spec_bases()
        .into_iter()
        .find(|s| s["input_shape"] == json!([1, 6, 6]))
        .expect("the golden conv spec");
    doc["layers"][0]["padding"] = json!(padding);
    doc["layers"][2]["stride"] = json!(pool_stride);
    doc.to_string()
}

/// The conv model file of model_bases() (the same network) with the same two changes.
fn crafted_model(padding: u64, pool_stride: u64) -> Vec<u8> {
    let (mut header, data) = split_safetensors(&model_bases()[0]).unwrap();
    let arch = header["__metadata__"]["architecture"].as_str().unwrap();
    let mut arch: Value = serde_json::from_str(arch).unwrap();
    arch["layers"][0]["padding"] = json!(padding);
    arch["layers"][2]["stride"] = json!(pool_stride);
    header["__metadata__"]["architecture"] = json!(arch.to_string());
    join_safetensors(&header, &data)
}

#[test]
fn the_crafted_networks_start_from_working_ones() {
    assert!(spec::parse(&crafted_spec(1, 2)).is_ok());
    assert!(model_file::load(&crafted_model(1, 2)).is_ok());
}

#[test]
fn a_layer_of_billions_of_numbers_is_refused_not_allocated() {
    // Padding 16,384 makes the conv's output 2 x 32,772 x 32,772 (2.1 billion numbers, 8.6 GB, for
    // one example); a pool of stride 16,384 brings it back to 2 x 3 x 3, so every shape still fits.
    let msg = spec::parse(&crafted_spec(16_384, 16_384))
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "layers[0]: conv2d gives [2, 32772, 32772], more than 16777216 numbers per example"
    );
    let msg = model_file::load(&crafted_model(16_384, 16_384))
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        "the model file's architecture: layers[0]: conv2d gives [2, 32772, 32772], more than 16777216 numbers per example"
    );
}

#[test]
fn a_padding_that_overflows_is_refused() {
    // 2^63 + 1: twice that plus 6 wraps around to 8 in 64-bit arithmetic, the padded size of
    // padding 1, so wrapping arithmetic would accept it and the first step would pad by 2^63.
    let padding = (1u64 << 63) + 1;
    let msg = spec::parse(&crafted_spec(padding, 2))
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        format!("layers[0]: conv2d padding {padding} is too large")
    );
    let msg = model_file::load(&crafted_model(padding, 2))
        .unwrap_err()
        .to_string();
    assert_eq!(
        msg,
        format!("the model file's architecture: layers[0]: conv2d padding {padding} is too large")
    );
}

// ---- pictures for `predict --image` --------------------------------------------------------------

/// A dark 7 on light paper, `w` x `h`.
fn seven(w: u32, h: u32) -> image::GrayImage {
    image::GrayImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let top = (0.2..0.3).contains(&fy) && (0.2..0.8).contains(&fx);
        let diag = (0.2..0.85).contains(&fy) && (fx - (0.8 - (fy - 0.2) * 0.6)).abs() < 0.06;
        image::Luma([if top || diag { 20 } else { 235 }])
    })
}

fn encode(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

fn picture_bases() -> Vec<(image::ImageFormat, Vec<u8>)> {
    use image::{DynamicImage, ImageFormat};
    let mut out = Vec::new();
    for (w, h) in [(40, 32), (3, 2), (90, 120)] {
        let g = DynamicImage::ImageLuma8(seven(w, h));
        out.push((ImageFormat::Png, encode(g.clone(), ImageFormat::Png)));
        out.push((ImageFormat::Jpeg, encode(g.clone(), ImageFormat::Jpeg)));
        out.push((
            ImageFormat::Bmp,
            encode(DynamicImage::ImageRgb8(g.to_rgb8()), ImageFormat::Bmp),
        ));
        out.push((
            ImageFormat::Gif,
            encode(DynamicImage::ImageRgba8(g.to_rgba8()), ImageFormat::Gif),
        ));
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Sets the picture's width and height in its header (PNG with a correct CRC, so the decoder
/// believes it), to probe the decoders' limits.
fn set_dimensions(format: image::ImageFormat, bytes: &mut [u8], w: u32, h: u32) {
    use image::ImageFormat;
    match format {
        ImageFormat::Png => {
            bytes[16..20].copy_from_slice(&w.to_be_bytes());
            bytes[20..24].copy_from_slice(&h.to_be_bytes());
            let crc = crc32(&bytes[12..29]);
            bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        }
        ImageFormat::Bmp => {
            bytes[18..22].copy_from_slice(&w.to_le_bytes());
            bytes[22..26].copy_from_slice(&h.to_le_bytes());
        }
        ImageFormat::Gif => {
            bytes[6..8].copy_from_slice(&(w as u16).to_le_bytes());
            bytes[8..10].copy_from_slice(&(h as u16).to_le_bytes());
            if let Some(i) = bytes.iter().position(|&b| b == 0x2c) {
                if i + 9 <= bytes.len() {
                    bytes[i + 5..i + 7].copy_from_slice(&(w as u16).to_le_bytes());
                    bytes[i + 7..i + 9].copy_from_slice(&(h as u16).to_le_bytes());
                }
            }
        }
        _ => {
            // JPEG: the frame header (SOF0 or SOF2) holds height then width, big-endian u16.
            if let Some(i) = bytes
                .windows(2)
                .position(|p| p == [0xff, 0xc0] || p == [0xff, 0xc2])
            {
                if i + 9 <= bytes.len() {
                    bytes[i + 5..i + 7].copy_from_slice(&(h as u16).to_be_bytes());
                    bytes[i + 7..i + 9].copy_from_slice(&(w as u16).to_be_bytes());
                }
            }
        }
    }
}

#[test]
fn pictures_never_panic_and_say_what_is_wrong() {
    let bases = picture_bases();
    let n = bases.len();
    let raw: Vec<Vec<u8>> = bases.iter().map(|(_, b)| b.clone()).collect();
    let dims = || {
        prop_oneof![
            Just(0u32),
            Just(1),
            Just(2),
            Just(28),
            Just(16_384),
            Just(16_385),
            Just(65_535),
            Just(100_000),
            Just(0x7fff_ffff),
            Just(u32::MAX),
            1u32..3000,
        ]
    };
    let strategy = move || {
        prop_oneof![
            2 => (0..n, dims(), dims(), prop::option::of(mutations())).prop_map(move |(i, w, h, m)| {
                let (format, bytes) = &bases[i];
                let mut b = bytes.clone();
                set_dimensions(*format, &mut b, w, h);
                m.map_or(b.clone(), |m| apply(&b, &m))
            }),
            3 => mutated_or_random(raw, 128),
        ]
    };
    property("picture", 3_000, strategy, |bytes| {
        match digit_from_picture(&bytes) {
            Ok(p) => {
                prop_assert_eq!(p.image.len(), 784);
                prop_assert!(p.image.iter().all(|v| (0.0..=1.0).contains(v)));
            }
            Err(e) => return check_message(&e.to_string(), &["picture"]),
        }
        Ok(Outcome::Accepted)
    });
}

#[test]
fn the_picture_bases_are_read_as_sevens_or_refused_as_too_small() {
    // The unmutated pictures are what the properties start from: they must be accepted (the 3x2
    // one is too small to hold a digit, and says so as blank or as a digit).
    for (format, bytes) in picture_bases() {
        match digit_from_picture(&bytes) {
            Ok(p) => assert!(p.image.iter().any(|&v| v > 0.5), "{format:?}: no ink"),
            Err(e) => assert!(e.to_string().contains("blank"), "{format:?}: {e}"),
        }
    }
}
