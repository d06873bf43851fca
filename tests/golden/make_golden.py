#!/usr/bin/env python3
"""Golden reference numbers for backprop-lab, from an independent implementation (JAX + optax).

What it computes
----------------
For each case below it builds a small network from a *network spec* (the same JSON the Rust core
reads), runs `steps` optimizer steps on one fixed batch in float64 and writes to golden.json:

  outputs  every layer's output of the first forward pass (batch included, flattened C-order)
  loss     the loss of the forward pass at each step (before that step's update)
  grads    the gradients of the batch-averaged loss at step 1 (null for parameter-free layers)
  params   every layer's parameters after step 1, 2, ..., steps

Forward and backward come from JAX (jax.grad), Adam and SGD from optax. The script checks its own
reference before writing anything:
  * a naive numpy forward pass (explicit loops for conv2d / maxpool) agrees with the JAX layers,
    so the layouts (Dense W [out][in], conv OIHW cross-correlation, C-order flatten) are the ones
    the Rust core uses;
  * the step-1 gradients agree with central finite differences (max relative error < 1e-6);
  * the optax Adam / SGD steps agree with a hand-written numpy Kingma & Ba Algorithm 1 / θ -= lr g;
  * the margins: no ReLU input within 1e-3 of zero and no max-pool window whose top two values
    are within 1e-3, at every forward pass that golden.json records, so f32 cannot flip a branch;
  * the same trajectory run in float32 stays within the tolerance the Rust tests use
    (|got - want| <= 1e-6 + 1e-5 |want|), so the goldens are reachable by an f32 implementation;
  * the Mazur case reproduces the published numbers of Matt Mazur's
    "A Step by Step Backpropagation Example" (2015).

How to rerun (from the repository root)
---------------------------------------
    pip install jax==0.10.2 jaxlib==0.10.2 optax==0.2.8 && python3 tests/golden/make_golden.py

Made with: Python 3.11.7, jax 0.10.2, jaxlib 0.10.2, optax 0.2.8, numpy 2.4.6, CPU only.
The output is deterministic: every random number comes from numpy.random.default_rng(<fixed seed
per case>), rounded to 4 decimals so the specs stay readable.
"""

import json
import os

import numpy as np
import jax

jax.config.update("jax_enable_x64", True)  # the reference is the float64 value
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, "golden.json")

RELU_MARGIN = 1e-3  # no ReLU input closer than this to the kink
POOL_MARGIN = 1e-3  # no max-pool window whose best two values are closer than this
FD_STEP = 1e-5  # central-difference step (float64)
FD_MAX_REL = 1e-6  # required agreement between jax.grad and finite differences
RUST_RTOL, RUST_ATOL = 1e-5, 1e-6  # the tolerance the Rust side compares with (f32 compute)


# ---------------------------------------------------------------------------------------------
# Reading a spec: inputs, targets, initial parameters
# ---------------------------------------------------------------------------------------------

def spec_batch(spec):
    """Inputs as an array batch-first, targets as an (N, K) array (labels become one-hot)."""
    xs = spec["inputs"] if "inputs" in spec else [spec["input"]]
    x = np.array(xs, dtype=np.float64)
    if "input_shape" in spec:  # flat examples, reshaped in C-order
        x = x.reshape((x.shape[0],) + tuple(spec["input_shape"]))
    if "labels" in spec or "label" in spec:
        labels = spec["labels"] if "labels" in spec else [spec["label"]]
        n_classes = output_size(spec)
        t = np.eye(n_classes)[np.array(labels)]
    else:
        ts = spec["targets"] if "targets" in spec else [spec["target"]]
        t = np.array(ts, dtype=np.float64)
    return x, t


def output_size(spec):
    last_dense = [l for l in spec["layers"] if l["type"] == "dense"][-1]
    return len(last_dense["bias"])


def spec_params(spec, dtype=np.float64):
    """One entry per layer: {'weights', 'bias'} for dense/conv2d, None for the rest."""
    params = []
    for layer in spec["layers"]:
        if layer["type"] in ("dense", "conv2d"):
            params.append({"weights": jnp.asarray(np.array(layer["weights"], dtype=dtype)),
                           "bias": jnp.asarray(np.array(layer["bias"], dtype=dtype))})
        else:
            params.append(None)
    return params


# ---------------------------------------------------------------------------------------------
# The network in JAX
# ---------------------------------------------------------------------------------------------

def layer_forward(layer, p, x):
    kind = layer["type"]
    if kind == "dense":
        # z = W x + b, W is [out][in]; batch form Z = X Wᵀ + b.  x: (N, in) -> (N, out)
        return x @ p["weights"].T + p["bias"]
    if kind == "conv2d":
        # cross-correlation, NCHW input, OIHW weights, symmetric zero padding
        s, pad = layer.get("stride", 1), layer.get("padding", 0)
        y = jax.lax.conv_general_dilated(x, p["weights"], window_strides=(s, s),
                                         padding=((pad, pad), (pad, pad)),
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"),
                                         precision=jax.lax.Precision.HIGHEST)
        return y + p["bias"][None, :, None, None]
    if kind == "maxpool2d":
        k = layer["size"]
        s = layer.get("stride", k)
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, k, k), (1, 1, s, s), "VALID")
    if kind == "flatten":
        return x.reshape(x.shape[0], -1)  # (N, C, H, W) -> (N, C*H*W), C-order
    if kind == "relu":
        return jnp.maximum(x, 0.0)
    if kind == "sigmoid":
        return jax.nn.sigmoid(x)
    if kind == "tanh":
        return jnp.tanh(x)
    raise ValueError(f"unknown layer type {kind!r}")


def forward_all(layers, params, x):
    """Every layer's output, in order."""
    outs = []
    for layer, p in zip(layers, params):
        x = layer_forward(layer, p, x)
        outs.append(x)
    return outs


def loss_value(loss, out, t):
    n = out.shape[0]
    if loss == "softmax_cross_entropy":
        # softmax over the last axis, -Σ y log p, averaged over the batch
        return -jnp.sum(t * jax.nn.log_softmax(out, axis=-1)) / n
    if loss == "mse":
        return jnp.mean((out - t) ** 2)  # mean over batch AND outputs
    if loss == "half_sse":
        return 0.5 * jnp.sum((t - out) ** 2) / n  # ½ Σ over outputs, averaged over the batch
    raise ValueError(f"unknown loss {loss!r}")


def make_loss_fn(spec, x, t):
    layers, loss = spec["layers"], spec["loss"]

    def f(params):
        return loss_value(loss, forward_all(layers, params, x)[-1], t)

    return f


def make_optimizer(opt):
    if opt["type"] == "sgd":
        return optax.sgd(opt["lr"])  # no momentum: θ ← θ − lr g
    if opt["type"] == "adam":
        return optax.adam(opt["lr"], b1=opt["beta1"], b2=opt["beta2"], eps=opt["eps"], eps_root=0.0)
    raise ValueError(f"unknown optimizer {opt['type']!r}")


def run(spec, dtype=np.float64):
    """Train `steps` steps on the spec's batch; return the golden record plus what the checks need."""
    x, t = spec_batch(spec)
    x, t = jnp.asarray(x.astype(dtype)), jnp.asarray(t.astype(dtype))
    params = spec_params(spec, dtype)
    loss_fn = make_loss_fn(spec, x, t)
    value_and_grad = jax.jit(jax.value_and_grad(loss_fn))
    opt = make_optimizer(spec["optimizer"])
    state = opt.init(params)

    first_outputs = forward_all(spec["layers"], params, x)
    losses, grads_per_step, params_per_step, pass_outputs = [], [], [], []
    for _ in range(spec["steps"]):
        pass_outputs.append(forward_all(spec["layers"], params, x))
        loss, grads = value_and_grad(params)
        losses.append(loss)
        grads_per_step.append(grads)
        updates, state = opt.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        params_per_step.append(params)
    return {"x": x, "t": t, "loss_fn": loss_fn, "first_outputs": first_outputs,
            "losses": losses, "grads": grads_per_step, "params": params_per_step,
            "pass_outputs": pass_outputs, "params0": spec_params(spec, dtype)}


# ---------------------------------------------------------------------------------------------
# Self-checks of the reference
# ---------------------------------------------------------------------------------------------

def naive_forward(layers, params, x):
    """Plain numpy, explicit loops: an independent reading of the layout conventions."""
    x = np.asarray(x)
    outs = []
    for layer, p in zip(layers, params):
        kind = layer["type"]
        if kind == "dense":
            w, b = np.asarray(p["weights"]), np.asarray(p["bias"])
            y = np.array([[sum(w[o, i] * xn[i] for i in range(w.shape[1])) + b[o]
                           for o in range(w.shape[0])] for xn in x])
        elif kind == "conv2d":
            w, b = np.asarray(p["weights"]), np.asarray(p["bias"])
            s, pad = layer.get("stride", 1), layer.get("padding", 0)
            n, c, h, wd = x.shape
            o, _, kh, kw = w.shape
            xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad))
            xp[:, :, pad:pad + h, pad:pad + wd] = x
            ho, wo = (h + 2 * pad - kh) // s + 1, (wd + 2 * pad - kw) // s + 1
            y = np.zeros((n, o, ho, wo))
            for ni in range(n):
                for oc in range(o):
                    for r in range(ho):
                        for col in range(wo):
                            patch = xp[ni, :, r * s:r * s + kh, col * s:col * s + kw]
                            y[ni, oc, r, col] = np.sum(patch * w[oc]) + b[oc]
        elif kind == "maxpool2d":
            k = layer["size"]
            s = layer.get("stride", k)
            n, c, h, wd = x.shape
            ho, wo = (h - k) // s + 1, (wd - k) // s + 1
            y = np.zeros((n, c, ho, wo))
            for ni in range(n):
                for ci in range(c):
                    for r in range(ho):
                        for col in range(wo):
                            y[ni, ci, r, col] = x[ni, ci, r * s:r * s + k, col * s:col * s + k].max()
        elif kind == "flatten":
            y = x.reshape(x.shape[0], -1)
        elif kind == "relu":
            y = np.where(x > 0, x, 0.0)
        elif kind == "sigmoid":
            y = 1.0 / (1.0 + np.exp(-x))
        elif kind == "tanh":
            y = np.tanh(x)
        outs.append(y)
        x = y
    return outs


def check_naive_forward(spec, res):
    naive = naive_forward(spec["layers"], res["params0"], res["x"])
    for i, (a, b) in enumerate(zip(res["first_outputs"], naive)):
        assert a.shape == b.shape, (spec["name"], i, a.shape, b.shape)
        assert np.allclose(np.asarray(a), b, rtol=1e-12, atol=1e-13), (spec["name"], i)


def check_finite_differences(res):
    """jax.grad at step 1 vs central differences; returns the max relative error."""
    flat, unravel = ravel_pytree(res["params0"])
    f = jax.jit(lambda v: res["loss_fn"](unravel(v)))
    analytic, _ = ravel_pytree(res["grads"][0])
    flat, analytic = np.asarray(flat), np.asarray(analytic)
    worst = 0.0
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = FD_STEP
        numeric = (float(f(flat + e)) - float(f(flat - e))) / (2 * FD_STEP)
        a = analytic[i]
        # relative error, with a floor so an exactly-zero gradient compares absolutely
        rel = abs(a - numeric) / max(abs(a), abs(numeric), 1e-6)
        worst = max(worst, rel)
    assert worst < FD_MAX_REL, worst
    return worst


def check_optimizer_by_hand(spec, res):
    """Replay the steps with numpy: Kingma & Ba Algorithm 1 (Adam) or θ ← θ − lr g (SGD)."""
    opt = spec["optimizer"]
    theta = np.asarray(ravel_pytree(res["params0"])[0])
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for step, (g_tree, p_tree) in enumerate(zip(res["grads"], res["params"]), start=1):
        g = np.asarray(ravel_pytree(g_tree)[0])
        if opt["type"] == "sgd":
            theta = theta - opt["lr"] * g
        else:
            b1, b2 = opt["beta1"], opt["beta2"]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** step)
            v_hat = v / (1 - b2 ** step)
            theta = theta - opt["lr"] * m_hat / (np.sqrt(v_hat) + opt["eps"])
        optax_theta = np.asarray(ravel_pytree(p_tree)[0])
        assert np.allclose(theta, optax_theta, rtol=1e-13, atol=1e-15), (spec["name"], step)


def check_margins(spec, res):
    """No ReLU input near 0 and no near-tie in a max-pool window, at every recorded pass."""
    worst_relu, worst_pool = np.inf, np.inf
    for outs in res["pass_outputs"]:
        x = res["x"]
        for layer, out in zip(spec["layers"], outs):
            if layer["type"] == "relu":
                worst_relu = min(worst_relu, float(np.min(np.abs(np.asarray(x)))))
            if layer["type"] == "maxpool2d":
                k = layer["size"]
                s = layer.get("stride", k)
                xa = np.asarray(x)
                n, c, h, w = xa.shape
                for r in range((h - k) // s + 1):
                    for col in range((w - k) // s + 1):
                        win = np.sort(xa[:, :, r * s:r * s + k, col * s:col * s + k]
                                      .reshape(n, c, -1), axis=-1)
                        worst_pool = min(worst_pool, float(np.min(win[..., -1] - win[..., -2])))
            x = out
    assert worst_relu >= RELU_MARGIN, (spec["name"], "relu input near zero", worst_relu)
    assert worst_pool >= POOL_MARGIN, (spec["name"], "max-pool near-tie", worst_pool)
    return worst_relu, worst_pool


def record(spec, res):
    """The golden record, everything flattened C-order into plain Python floats."""
    flat = lambda a: np.asarray(a, dtype=np.float64).ravel().tolist()  # noqa: E731
    ptree = lambda ps: [None if p is None else {"weights": flat(p["weights"]),  # noqa: E731
                                                "bias": flat(p["bias"])} for p in ps]
    return {"outputs": [flat(o) for o in res["first_outputs"]],
            "loss": [float(l) for l in res["losses"]],
            "grads": ptree(res["grads"][0]),
            "params": [ptree(ps) for ps in res["params"]]}


def check_f32_reachable(spec, expected):
    """Run the same trajectory in float32 and compare with the Rust tolerance.

    Returns the worst |got - want| / (atol + rtol |want|); it must be < 1 (the f32 run passes)."""
    got = record(spec, run(spec, dtype=np.float32))

    def leaves(rec):
        out = []
        for key in ("outputs", "loss", "grads", "params"):
            out.extend(jax.tree_util.tree_leaves(rec[key]))
        return np.array(out, dtype=np.float64)

    a, b = leaves(got), leaves(expected)
    ratio = float(np.max(np.abs(a - b) / (RUST_ATOL + RUST_RTOL * np.abs(b))))
    assert ratio < 1.0, (spec["name"], "float32 run misses the tolerance", ratio)
    return ratio


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------

def rand(rng, shape, scale):
    """Normal(0, scale²) numbers rounded to 4 decimals (readable specs; the exact values are the
    rounded ones, so nothing is lost)."""
    return np.round(rng.normal(0.0, scale, size=shape), 4)


def dense(rng, n_in, n_out, bias_scale=0.1):
    return {"type": "dense",
            "weights": rand(rng, (n_out, n_in), 1.0 / np.sqrt(n_in)).tolist(),
            "bias": rand(rng, (n_out,), bias_scale).tolist()}


def conv2d(rng, c_in, c_out, k, stride, padding, bias_scale=0.1):
    return {"type": "conv2d",
            "weights": rand(rng, (c_out, c_in, k, k), 1.0 / np.sqrt(c_in * k * k)).tolist(),
            "bias": rand(rng, (c_out,), bias_scale).tolist(),
            "stride": stride, "padding": padding}


ADAM_DEFAULTS = {"type": "adam", "lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}


def case_dense_relu_softmax_adam():
    rng = np.random.default_rng(101)
    return {
        "name": "dense_relu_softmax_adam",
        "description": "Batch of 4 inputs of size 5 -> dense 5->4 -> relu -> dense 4->3 -> "
                       "softmax cross-entropy with integer labels; Adam (lr 0.01, beta1 0.9, "
                       "beta2 0.999, eps 1e-8), 3 steps.",
        "spec": {
            "inputs": rand(rng, (4, 5), 1.0).tolist(),
            "labels": rng.integers(0, 3, size=4).tolist(),
            "layers": [dense(rng, 5, 4), {"type": "relu"}, dense(rng, 4, 3)],
            "loss": "softmax_cross_entropy",
            "optimizer": dict(ADAM_DEFAULTS),
            "steps": 3,
        },
    }


def case_dense_sigmoid_tanh_mse_adam():
    rng = np.random.default_rng(202)
    return {
        "name": "dense_sigmoid_tanh_mse_adam",
        "description": "Batch of 3 inputs of size 4 -> dense 4->3 -> sigmoid -> dense 3->2 -> "
                       "tanh -> mse (mean over batch and outputs) with targets; Adam with "
                       "non-default betas (lr 0.05, beta1 0.8, beta2 0.99, eps 1e-7), 3 steps.",
        "spec": {
            "inputs": rand(rng, (3, 4), 1.0).tolist(),
            "targets": np.round(rng.uniform(-0.8, 0.8, size=(3, 2)), 2).tolist(),
            "layers": [dense(rng, 4, 3), {"type": "sigmoid"},
                       dense(rng, 3, 2), {"type": "tanh"}],
            "loss": "mse",
            "optimizer": {"type": "adam", "lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-7},
            "steps": 3,
        },
    }


# Matt Mazur, "A Step by Step Backpropagation Example" (2015): the published numbers.
MAZUR_TOTAL_ERROR = 0.298371109  # E_total before training
MAZUR_W5_AFTER = 0.35891648  # w5 after one step (our layer 2, weights[0][0])
MAZUR_W1_AFTER = 0.149780716  # w1 after one step (our layer 0, weights[0][0])


def case_dense_half_sse_sgd():
    return {
        "name": "dense_half_sse_sgd",
        "description": "Matt Mazur's 'A Step by Step Backpropagation Example' (2015): 2-2-2 "
                       "sigmoid network, inputs 0.05, 0.10; w1..w4 = .15,.20,.25,.30 (hidden, "
                       "[out][in]), w5..w8 = .40,.45,.50,.55 (output), b1 = .35, b2 = .60; targets "
                       "0.01, 0.99; half_sse; SGD lr 0.5, 3 steps. Published values to check "
                       "against: total error 0.298371109 before training; after one step "
                       "w5 = 0.35891648 and w1 = 0.149780716. Mazur keeps the biases fixed, this "
                       "network updates them too, which changes nothing at step 1 (every step-1 "
                       "gradient is taken at the initial parameters) but does from step 2 on.",
        "spec": {
            "inputs": [[0.05, 0.10]],
            "targets": [[0.01, 0.99]],
            "layers": [
                {"type": "dense", "weights": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35]},
                {"type": "sigmoid"},
                {"type": "dense", "weights": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60]},
                {"type": "sigmoid"},
            ],
            "loss": "half_sse",
            "optimizer": {"type": "sgd", "lr": 0.5},
            "steps": 3,
        },
    }


def check_mazur(expected):
    total_error = expected["loss"][0]
    w5 = expected["params"][0][2]["weights"][0]
    w1 = expected["params"][0][0]["weights"][0]
    print(f"  Mazur: total error {total_error:.9f} (published {MAZUR_TOTAL_ERROR}), "
          f"w5 after one step {w5:.8f} (published {MAZUR_W5_AFTER}), "
          f"w1 after one step {w1:.9f} (published {MAZUR_W1_AFTER})")
    # the published values are rounded to the digits shown
    assert abs(total_error - MAZUR_TOTAL_ERROR) < 5e-10, total_error
    assert abs(w5 - MAZUR_W5_AFTER) < 5e-9, w5
    assert abs(w1 - MAZUR_W1_AFTER) < 5e-10, w1


def case_conv_pool_dense_softmax_adam():
    rng = np.random.default_rng(427)
    return {
        "name": "conv_pool_dense_softmax_adam",
        "description": "Batch of 2 flat inputs, input_shape [1,6,6] -> conv2d 1->2 channels 3x3 "
                       "stride 1 padding 1 -> relu -> maxpool2d 2 (stride 2) -> flatten "
                       "(channel, row, column) -> dense 18->3 -> softmax cross-entropy with "
                       "integer labels; Adam (lr 0.01, beta1 0.9, beta2 0.999, eps 1e-8), 3 steps.",
        "spec": {
            "inputs": np.round(rng.uniform(0.0, 1.0, size=(2, 36)), 4).tolist(),
            "input_shape": [1, 6, 6],
            "labels": rng.integers(0, 3, size=2).tolist(),
            "layers": [conv2d(rng, 1, 2, 3, stride=1, padding=1, bias_scale=0.3),
                       {"type": "relu"},
                       {"type": "maxpool2d", "size": 2, "stride": 2},
                       {"type": "flatten"},
                       dense(rng, 18, 3)],
            "loss": "softmax_cross_entropy",
            "optimizer": dict(ADAM_DEFAULTS),
            "steps": 3,
        },
    }


def case_conv_stride2_target_dist():
    rng = np.random.default_rng(505)
    return {
        "name": "conv_stride2_target_dist",
        "description": "Batch of 2 flat inputs, input_shape [2,5,5] -> conv2d 2->3 channels 3x3 "
                       "stride 2 padding 1 (output 3x3) -> tanh -> flatten -> dense 27->4 -> "
                       "softmax cross-entropy with target distributions (not one-hot; dyadic "
                       "rows that sum to exactly 1); Adam (lr 0.01, beta1 0.9, beta2 0.999, "
                       "eps 1e-8), 3 steps.",
        "spec": {
            "inputs": rand(rng, (2, 50), 1.0).tolist(),
            "input_shape": [2, 5, 5],
            "targets": [[0.5, 0.25, 0.125, 0.125], [0.0625, 0.1875, 0.4375, 0.3125]],
            "layers": [conv2d(rng, 2, 3, 3, stride=2, padding=1),
                       {"type": "tanh"},
                       {"type": "flatten"},
                       dense(rng, 27, 4)],
            "loss": "softmax_cross_entropy",
            "optimizer": dict(ADAM_DEFAULTS),
            "steps": 3,
        },
    }


def case_single_example_softmax_sgd():
    rng = np.random.default_rng(606)
    return {
        "name": "single_example_softmax_sgd",
        "description": "A single example ('input', not a batch) of size 3 -> dense 3->3 -> "
                       "softmax cross-entropy with 'label' 2; SGD lr 0.1, 3 steps. Outputs are "
                       "those of a batch of one.",
        "spec": {
            "input": rand(rng, (3,), 1.0).tolist(),
            "label": 2,
            "layers": [dense(rng, 3, 3)],
            "loss": "softmax_cross_entropy",
            "optimizer": {"type": "sgd", "lr": 0.1},
            "steps": 3,
        },
    }


CASES = [case_dense_relu_softmax_adam, case_dense_sigmoid_tanh_mse_adam, case_dense_half_sse_sgd,
         case_conv_pool_dense_softmax_adam, case_conv_stride2_target_dist,
         case_single_example_softmax_sgd]


def to_json(obj, indent=""):
    """JSON with one level of indentation per nesting, but lists of numbers and objects of plain
    values (`{"type": "relu"}`, an optimizer) on one line.

    Floats go through json.dumps, i.e. repr: the shortest text that reads back as the same
    float64, so no precision is lost."""
    inner = indent + " "
    if isinstance(obj, dict) and any(isinstance(v, (dict, list)) for v in obj.values()):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return "[\n" + ",\n".join(inner + to_json(v, inner) for v in obj) + "\n" + indent + "]"
    return json.dumps(obj)


def main():
    cases = []
    for make_case in CASES:
        case = make_case()
        spec = dict(case["spec"], name=case["name"])  # name only for the checks' messages
        res = run(spec)
        check_naive_forward(spec, res)
        fd = check_finite_differences(res)
        check_optimizer_by_hand(spec, res)
        relu_m, pool_m = check_margins(spec, res)
        expected = record(spec, res)
        f32 = check_f32_reachable(spec, expected)
        print(f"{case['name']}: loss {expected['loss']}")
        margins = "".join(f"; {what} {m:.3g}" for what, m in
                          (("min |relu input|", relu_m), ("min max-pool gap", pool_m))
                          if np.isfinite(m))
        print(f"  finite differences max rel err {fd:.2e}{margins}; "
              f"float32 run uses {f32:.1%} of the Rust tolerance")
        if case["name"] == "dense_half_sse_sgd":
            check_mazur(expected)
        cases.append({"name": case["name"], "description": case["description"],
                      "spec": case["spec"], "expected": expected})

    golden = {
        "source": f"tests/golden/make_golden.py, JAX {jax.__version__}, "
                  f"optax {optax.__version__}, float64",
        "cases": cases,
    }
    with open(OUT_PATH, "w") as fh:
        fh.write(to_json(golden) + "\n")
    print(f"wrote {OUT_PATH}")


if __name__ == "__main__":
    main()
