// A form for a tiny network spec (README "The network spec"): the input, dense layers with their
// activations and every weight and bias, the loss and target, the optimizer and its settings.
// The form only edits the JSON document; the core checks it (a bad value comes back as the
// core's message naming the field). Conv and pooling specs are edited as JSON.

import { h } from "./step-format.js";

const ACTS = ["none", "relu", "sigmoid", "tanh"];
const LOSSES = [
  ["half_sse", "½ Σ (t − o)²  (half squared error)"],
  ["mse", "mean squared error"],
  ["softmax_cross_entropy", "softmax + cross-entropy"],
];

/** Why the form cannot edit `spec` (null when it can). */
export function formProblem(spec) {
  if (!spec || typeof spec !== "object") return "the spec is not a JSON object";
  if (!Array.isArray(spec.input)) return "the form edits one `input` (a batch of `inputs` needs the JSON)";
  if (!Array.isArray(spec.layers) || !spec.layers.length) return "the spec has no layers";
  let expectDense = true;
  for (const ly of spec.layers) {
    if (ly.type === "dense") expectDense = false;
    else if (!expectDense && ACTS.includes(ly.type)) expectDense = true;
    else
      return `the form edits dense layers, each followed by at most one activation; this spec has "${ly.type}" where the form cannot place it`;
  }
  return null;
}

/** The spec as form state: layers are {weights, bias, activation}. */
function toModel(spec) {
  const layers = [];
  for (const ly of spec.layers) {
    if (ly.type === "dense") layers.push({ weights: ly.weights.map((r) => [...r]), bias: [...ly.bias], activation: "none" });
    else layers[layers.length - 1].activation = ly.type;
  }
  const opt = spec.optimizer || { type: "adam" };
  return {
    name: spec.name,
    input: [...spec.input],
    layers,
    loss: spec.loss || "half_sse",
    target: Array.isArray(spec.target) ? [...spec.target] : null,
    label: Number.isInteger(spec.label) ? spec.label : null,
    optimizer: { lr: opt.type === "sgd" ? 0.5 : 0.01, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, ...opt },
    steps: spec.steps,
  };
}

/** Form state back to a spec document (fields in the order README documents them). */
function fromModel(m) {
  const spec = {};
  if (m.name) spec.name = m.name;
  spec.input = m.input;
  if (m.loss === "softmax_cross_entropy" && m.label !== null) spec.label = m.label;
  else spec.target = m.target;
  spec.layers = [];
  for (const ly of m.layers) {
    spec.layers.push({ type: "dense", weights: ly.weights, bias: ly.bias });
    if (ly.activation !== "none") spec.layers.push({ type: ly.activation });
  }
  spec.loss = m.loss;
  const o = m.optimizer;
  spec.optimizer =
    o.type === "sgd"
      ? { type: "sgd", lr: o.lr, ...(o.momentum ? { momentum: o.momentum } : {}) }
      : { type: "adam", lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps };
  if (m.steps) spec.steps = m.steps;
  return spec;
}

/** A starting value for a new weight: small, varied, reproducible. */
const fresh = (r, c) => (((r * 7 + c * 3 + 2) % 9) - 4) / 10;

function resize(ly, rows, cols) {
  ly.weights = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => (ly.weights[r] && ly.weights[r][c] !== undefined ? ly.weights[r][c] : fresh(r, c))),
  );
  ly.bias = Array.from({ length: rows }, (_, r) => (ly.bias[r] !== undefined ? ly.bias[r] : 0.1));
}

/** Keeps every layer's width consistent with the one before it, and the target with the output. */
function reconcile(m) {
  let inputs = m.input.length;
  for (const ly of m.layers) {
    resize(ly, ly.weights.length, inputs);
    inputs = ly.weights.length;
  }
  const K = inputs;
  if (m.loss === "softmax_cross_entropy") {
    if (m.label === null || m.label >= K) m.label = Math.min(K - 1, m.label ?? 0);
  } else {
    m.target = Array.from({ length: K }, (_, k) => (m.target && m.target[k] !== undefined ? m.target[k] : 0.5));
  }
}

const numberValue = (el) => (el.value.trim() === "" || !Number.isFinite(Number(el.value)) ? null : Number(el.value));

/**
 * Renders the form for `spec` into `root`; `onChange(spec)` gets the new document after each edit.
 * Returns false (and renders nothing) when the form cannot edit this spec.
 */
export function renderForm(root, spec, onChange) {
  const problem = formProblem(spec);
  if (problem) {
    root.replaceChildren(h("p", { class: "hint" }, `The form cannot show this spec: ${problem}. Edit it as JSON.`));
    return false;
  }
  const m = toModel(spec);
  let uid = 0;
  const id = (s) => `st-f-${s}-${++uid}`;

  const emit = () => onChange(fromModel(m));
  const rebuild = () => {
    reconcile(m);
    draw();
    emit();
  };

  const numInput = (value, label, set) => {
    const el = h("input", {
      type: "number",
      step: "any",
      value: value === null ? "" : String(value),
      "aria-label": label,
      class: "st-f-num",
    });
    el.addEventListener("change", () => {
      set(numberValue(el));
      emit();
    });
    return el;
  };

  const stepper = (label, value, min, max, set) =>
    h(
      "span",
      { class: "st-f-stepper" },
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          "aria-label": `fewer ${label}`,
          disabled: value <= min,
          onclick: () => (set(value - 1), rebuild()),
        },
        "−",
      ),
      h("span", { class: "st-f-count" }, `${value} ${label}`),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small",
          "aria-label": `more ${label}`,
          disabled: value >= max,
          onclick: () => (set(value + 1), rebuild()),
        },
        "+",
      ),
    );

  function draw() {
    const parts = [];
    // Input
    parts.push(
      h(
        "fieldset",
        { class: "st-f-group" },
        h("legend", {}, "Input x"),
        stepper("inputs", m.input.length, 1, 8, (n) => (m.input = Array.from({ length: n }, (_, k) => m.input[k] ?? 0.5))),
        h(
          "div",
          { class: "st-f-row" },
          m.input.map((v, k) => numInput(v, `input ${k}`, (x) => (m.input[k] = x))),
        ),
      ),
    );
    // Layers
    m.layers.forEach((ly, li) => {
      const inputs = li === 0 ? m.input.length : m.layers[li - 1].weights.length;
      const actId = id("act");
      const grid = h(
        "table",
        { class: "st-f-matrix", "aria-label": `Weights and biases of dense layer ${li + 1}` },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, ""),
            Array.from({ length: inputs }, (_, k) => h("th", { scope: "col" }, `k=${k}`)),
            h("th", { scope: "col" }, "bias"),
          ),
        ),
        h(
          "tbody",
          {},
          ly.weights.map((row, j) =>
            h(
              "tr",
              {},
              h("th", { scope: "row" }, `j=${j}`),
              row.map((w, k) =>
                h(
                  "td",
                  {},
                  numInput(w, `layer ${li + 1} weight ${j},${k}`, (x) => (ly.weights[j][k] = x)),
                ),
              ),
              h(
                "td",
                {},
                numInput(ly.bias[j], `layer ${li + 1} bias ${j}`, (x) => (ly.bias[j] = x)),
              ),
            ),
          ),
        ),
      );
      const act = h(
        "select",
        { id: actId },
        ACTS.map((a) => h("option", { value: a, selected: a === ly.activation }, a === "none" ? "none (linear)" : a)),
      );
      act.addEventListener("change", () => {
        ly.activation = act.value;
        emit();
      });
      parts.push(
        h(
          "fieldset",
          { class: "st-f-group" },
          h("legend", {}, `Dense layer ${li + 1}`),
          h(
            "div",
            { class: "st-f-line" },
            stepper("units", ly.weights.length, 1, 8, (n) => (ly.weights = Array.from({ length: n }, (_, j) => ly.weights[j] || []))),
            h("label", { for: actId }, "then"),
            act,
          ),
          h("p", { class: "hint st-f-note" }, "Weights W[j][k]: one row per unit j, one column per input k; then the bias."),
          h("div", { class: "st-f-scroll" }, grid),
        ),
      );
    });
    parts.push(
      h(
        "div",
        { class: "buttons" },
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            disabled: m.layers.length >= 4,
            onclick: () => (m.layers.push({ weights: [[], []], bias: [], activation: "sigmoid" }), rebuild()),
          },
          "Add a layer",
        ),
        h(
          "button",
          { type: "button", class: "btn btn-small", disabled: m.layers.length <= 1, onclick: () => (m.layers.pop(), rebuild()) },
          "Remove the last layer",
        ),
      ),
    );
    // Loss and target
    const lossId = id("loss");
    const loss = h(
      "select",
      { id: lossId },
      LOSSES.map(([v, t]) => h("option", { value: v, selected: v === m.loss }, t)),
    );
    loss.addEventListener("change", () => {
      m.loss = loss.value;
      if (m.loss === "softmax_cross_entropy" && m.label === null) m.label = 0;
      rebuild();
    });
    const K = m.layers[m.layers.length - 1].weights.length;
    let target;
    if (m.loss === "softmax_cross_entropy") {
      const labId = id("label");
      const sel = h(
        "select",
        { id: labId },
        Array.from({ length: K }, (_, k) => h("option", { value: k, selected: k === m.label }, `class ${k}`)),
      );
      sel.addEventListener("change", () => {
        m.label = Number(sel.value);
        emit();
      });
      target = h("div", { class: "field" }, h("label", { for: labId }, "The right class (label)"), sel);
    } else {
      target = h(
        "div",
        { class: "field wide" },
        h("span", { class: "st-f-label" }, "Target t"),
        h(
          "div",
          { class: "st-f-row" },
          m.target.map((v, k) => numInput(v, `target ${k}`, (x) => (m.target[k] = x))),
        ),
      );
    }
    parts.push(
      h(
        "fieldset",
        { class: "st-f-group" },
        h("legend", {}, "Loss"),
        h("div", { class: "fields" }, h("div", { class: "field" }, h("label", { for: lossId }, "Loss"), loss), target),
      ),
    );
    // Optimizer
    const o = m.optimizer;
    const typeId = id("opt");
    const type = h(
      "select",
      { id: typeId },
      h("option", { value: "sgd", selected: o.type === "sgd" }, "SGD"),
      h("option", { value: "adam", selected: o.type === "adam" }, "Adam"),
    );
    type.addEventListener("change", () => {
      o.type = type.value;
      rebuild();
    });
    const setting = (key, label) => {
      const fid = id(key);
      const el = numInput(o[key], label, (x) => (o[key] = x));
      el.id = fid;
      return h("div", { class: "field" }, h("label", { for: fid }, label), el);
    };
    const settings =
      o.type === "sgd"
        ? [setting("lr", "learning rate η"), setting("momentum", "momentum μ")]
        : [setting("lr", "learning rate α"), setting("beta1", "β1"), setting("beta2", "β2"), setting("eps", "ε")];
    parts.push(
      h(
        "fieldset",
        { class: "st-f-group" },
        h("legend", {}, "Optimizer"),
        h("div", { class: "fields" }, h("div", { class: "field" }, h("label", { for: typeId }, "Optimizer"), type), settings),
      ),
    );
    root.replaceChildren(...parts);
  }

  reconcile(m);
  draw();
  return true;
}
