//! Forward outputs, losses, gradients and three optimizer steps of small dense and conv networks,
//! compared with an independent reference: tests/golden/golden.json, written by
//! tests/golden/make_golden.py (JAX + optax in float64; see tests/golden/README.md).
//! We compute in f32, so agreement is |ours − theirs| ≤ 1e-6 + 1e-5·|theirs|.

use backprop_lab::spec;
use backprop_lab::trace::run_spec;
use serde_json::Value;

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn assert_all_close(what: &str, ours: &[f32], theirs: &[f64]) {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{what}: {} numbers, reference has {}",
        ours.len(),
        theirs.len()
    );
    for (i, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        let err = (a as f64 - b).abs();
        assert!(
            err <= 1e-6 + 1e-5 * b.abs(),
            "{what}[{i}]: ours {a}, reference {b} (error {err:.3e})"
        );
    }
}

#[test]
fn matches_the_jax_reference() {
    let doc: Value =
        serde_json::from_str(include_str!("golden/golden.json")).expect("golden.json parses");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 6, "all golden cases are present");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let spec = spec::from_value(&case["spec"]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = &case["expected"];
        let traces = run_spec(&spec, spec.steps);
        assert_eq!(traces.len(), 3, "{name}: three steps");

        for (i, out) in want["outputs"].as_array().unwrap().iter().enumerate() {
            assert_all_close(
                &format!("{name} layer {i} output"),
                &traces[0].layers[i].output,
                &numbers(out),
            );
        }
        for (s, loss) in numbers(&want["loss"]).iter().enumerate() {
            assert_all_close(
                &format!("{name} loss at step {}", s + 1),
                &[traces[s].loss.value],
                &[*loss],
            );
        }
        for (i, g) in want["grads"].as_array().unwrap().iter().enumerate() {
            let params = &traces[0].layers[i].params;
            if g.is_null() {
                assert!(params.is_empty(), "{name} layer {i} has no parameters");
                continue;
            }
            assert_all_close(
                &format!("{name} layer {i} dW"),
                &params[0].grad,
                &numbers(&g["weights"]),
            );
            assert_all_close(
                &format!("{name} layer {i} db"),
                &params[1].grad,
                &numbers(&g["bias"]),
            );
        }
        for (s, after) in want["params"].as_array().unwrap().iter().enumerate() {
            for (i, p) in after.as_array().unwrap().iter().enumerate() {
                if p.is_null() {
                    continue;
                }
                let params = &traces[s].layers[i].params;
                assert_all_close(
                    &format!("{name} step {} layer {i} W", s + 1),
                    &params[0].after,
                    &numbers(&p["weights"]),
                );
                assert_all_close(
                    &format!("{name} step {} layer {i} b", s + 1),
                    &params[1].after,
                    &numbers(&p["bias"]),
                );
            }
        }
    }
}
