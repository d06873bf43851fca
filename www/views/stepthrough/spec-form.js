// @ts-check
// A form for a tiny network spec (README "The network spec"): the input, dense layers with their
// activations and every weight and bias, the loss and target, the optimizer and its settings.
// The form only edits the JSON document; the core checks it. A field that does not hold a number
// keeps what was typed, goes into the document as typed, and the core's message (which names the
// field's path) is shown on that field: `markFieldError`. Conv and pooling specs, batches and
// networks too big to show as a form are edited as JSON.

import { h, int } from "./dom.js";

const ACTS = ["none", "relu", "sigmoid", "tanh"];
const LOSSES = [
  ["half_sse", "½ Σ (t − o)²  (half squared error)"],
  ["mse", "mean squared error"],
  ["softmax_cross_entropy", "softmax + cross-entropy"],
];
/** How big a network the form shows: every weight is a field, so it stays small. */
export const FORM_LIMITS = { inputs: 8, units: 8, layers: 4 };

/**
 * Why the form cannot edit `spec` (null when it can).
 * @param {any} spec
 */
export function formProblem(spec) {
  if (!spec || typeof spec !== "object" || Array.isArray(spec)) return "the spec is not a JSON object";
  if (!Array.isArray(spec.input)) return "the form edits one `input` (a batch of `inputs` needs the JSON)";
  if (spec.input.some((/** @type {any} */ x) => Array.isArray(x))) return "the form edits a flat `input` list";
  if (!Array.isArray(spec.layers) || !spec.layers.length) return "the spec has no layers";
  let expectDense = true;
  let dense = 0;
  for (const ly of spec.layers) {
    if (ly?.type === "dense") {
      expectDense = false;
      dense += 1;
      if (!Array.isArray(ly.weights) || !Array.isArray(ly.bias) || !ly.weights.every((/** @type {any} */ r) => Array.isArray(r)))
        return `dense layer ${dense} needs \`weights\` (rows of numbers) and \`bias\``;
      if (ly.weights.length > FORM_LIMITS.units)
        return `the form shows up to ${FORM_LIMITS.units} units a layer, and dense layer ${dense} has ${int(ly.weights.length)}`;
    } else if (!expectDense && ACTS.includes(ly?.type)) expectDense = true;
    else
      return `the form edits dense layers, each followed by at most one activation; this spec has "${ly?.type}" where the form cannot place it`;
  }
  if (spec.input.length > FORM_LIMITS.inputs)
    return `the form shows up to ${FORM_LIMITS.inputs} inputs, and this spec has ${int(spec.input.length)}`;
  if (dense > FORM_LIMITS.layers) return `the form shows up to ${FORM_LIMITS.layers} dense layers, and this spec has ${dense}`;
  return null;
}

/**
 * The spec as form state: layers are {weights, bias, activation}. What the form has no field for
 * (name, seed, steps, the optimizer's state after steps taken) is kept and written back.
 * @param {any} spec
 */
function toModel(spec) {
  /** @type {{weights: any[][], bias: any[], activation: string}[]} */
  const layers = [];
  for (const ly of spec.layers) {
    if (ly.type === "dense")
      layers.push({ weights: ly.weights.map((/** @type {any[]} */ r) => [...r]), bias: [...ly.bias], activation: "none" });
    else layers[layers.length - 1].activation = ly.type;
  }
  const { type = "adam", lr, momentum, beta1, beta2, eps, ...state } = spec.optimizer || {};
  const { input, layers: _l, loss, target, label, optimizer: _o, ...rest } = spec;
  return {
    rest,
    input: [...input],
    layers,
    loss: loss || "half_sse",
    target: Array.isArray(target) ? [...target] : null,
    label: Number.isInteger(label) ? label : null,
    optimizer: {
      type,
      lr: lr ?? (type === "sgd" ? 0.5 : 0.01),
      momentum: momentum ?? 0,
      beta1: beta1 ?? 0.9,
      beta2: beta2 ?? 0.999,
      eps: eps ?? 1e-8,
    },
    state,
    stateFor: shapeKey(layers, type),
  };
}

/** The shapes the optimizer's state belongs to. @param {{weights: any[][]}[]} layers @param {string} type */
const shapeKey = (layers, type) => `${type}:${layers.map((ly) => `${ly.weights.length}x${ly.weights[0]?.length ?? 0}`).join(",")}`;

/** Form state back to a spec document (fields in the order README documents them). @param {ReturnType<typeof toModel>} m */
function fromModel(m) {
  const { name, ...rest } = m.rest;
  /** @type {any} */
  const spec = {};
  if (name !== undefined) spec.name = name;
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
  // The state of steps already taken goes on while it still fits the network.
  if (shapeKey(m.layers, o.type) === m.stateFor) Object.assign(spec.optimizer, m.state);
  Object.assign(spec, rest);
  return spec;
}

/** A starting value for a new weight: small, varied, reproducible. @param {number} r @param {number} c */
const fresh = (r, c) => (((r * 7 + c * 3 + 2) % 9) - 4) / 10;

/** @param {{weights: any[][], bias: any[]}} ly @param {number} rows @param {number} cols */
function resize(ly, rows, cols) {
  ly.weights = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => (ly.weights[r] && ly.weights[r][c] !== undefined ? ly.weights[r][c] : fresh(r, c))),
  );
  ly.bias = Array.from({ length: rows }, (_, r) => (ly.bias[r] !== undefined ? ly.bias[r] : 0.1));
}

/** Keeps every layer's width consistent with the one before it, and the target with the output. @param {ReturnType<typeof toModel>} m */
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

/**
 * What a field holds: the number typed, or the text itself when it is not one (the core then
 * says what is wrong, naming the field).
 * @param {string} text
 */
const fieldValue = (text) => {
  const t = text.trim();
  return t !== "" && Number.isFinite(Number(t)) ? Number(t) : t;
};

/**
 * Renders the form for `spec` into `root`; `onChange(spec)` gets the new document after each edit.
 * Returns false (and renders why instead) when the form cannot edit this spec.
 * @param {HTMLElement} root
 * @param {any} spec
 * @param {(spec: any) => void} onChange
 */
export function renderForm(root, spec, onChange) {
  const problem = formProblem(spec);
  if (problem) {
    root.replaceChildren(h("p", { class: "hint st-form-problem" }, `The form cannot show this spec: ${problem}. Edit it as JSON.`));
    return false;
  }
  const m = toModel(spec);
  let uid = 0;
  const id = (/** @type {string} */ s) => `st-f-${s}-${++uid}`;
  const emit = () => onChange(fromModel(m));
  const rebuild = () => {
    reconcile(m);
    draw();
    emit();
  };
  const f = fields(id, emit, rebuild);

  function draw() {
    root.replaceChildren(
      inputGroup(m, f),
      ...m.layers.map((ly, li) => layerGroup(m, li, f)),
      layerButtons(m, rebuild),
      lossGroup(m, f),
      optimizerGroup(m, f),
    );
  }

  reconcile(m);
  draw();
  return true;
}

/** The form's building blocks, bound to one form. @param {(s: string) => string} id @param {() => void} emit @param {() => void} rebuild */
function fields(id, emit, rebuild) {
  /**
   * A number field; `path` is where its value sits in the spec (the core's error paths).
   * @param {any} value @param {string} label @param {string} path @param {(x: any) => void} set
   */
  const numInput = (value, label, path, set) => {
    const errId = id("err");
    const el = /** @type {HTMLInputElement} */ (
      h("input", {
        type: "text",
        inputmode: "decimal",
        autocomplete: "off",
        spellcheck: "false",
        value: value === null || value === undefined ? "" : String(value),
        "aria-label": label,
        "aria-describedby": errId,
        class: "st-f-num",
        dataset: { path },
      })
    );
    el.addEventListener("change", () => {
      set(fieldValue(el.value));
      emit();
    });
    return h("span", { class: "st-f-field" }, el, h("span", { class: "st-f-error", id: errId, "aria-live": "polite" }));
  };
  /** @param {string} label @param {number} value @param {number} min @param {number} max @param {(n: number) => void} set */
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
  /** @param {string} key @param {string} label @param {any} value @param {string} path @param {(x: any) => void} set */
  const setting = (key, label, value, path, set) => {
    const field = numInput(value, label, path, set);
    const input = /** @type {HTMLInputElement} */ (field.firstChild);
    input.id = id(key);
    return h("div", { class: "field" }, h("label", { for: input.id }, label), field);
  };
  /** @param {string} value @param {[string, string][]} options @param {(v: string) => void} set */
  const select = (value, options, set) => {
    const el = /** @type {HTMLSelectElement} */ (
      h(
        "select",
        { id: id("select") },
        options.map(([v, t]) => h("option", { value: v, selected: v === value }, t)),
      )
    );
    el.addEventListener("change", () => set(el.value));
    return el;
  };
  return { numInput, stepper, setting, select, id, emit, rebuild };
}

/** @typedef {ReturnType<typeof fields>} Fields */

/** @param {ReturnType<typeof toModel>} m @param {Fields} f */
function inputGroup(m, f) {
  return h(
    "fieldset",
    { class: "st-f-group" },
    h("legend", {}, "Input x"),
    f.stepper("inputs", m.input.length, 1, FORM_LIMITS.inputs, (n) => (m.input = Array.from({ length: n }, (_, k) => m.input[k] ?? 0.5))),
    h(
      "div",
      { class: "st-f-row" },
      m.input.map((v, k) => f.numInput(v, `input ${k}`, `input[${k}]`, (x) => (m.input[k] = x))),
    ),
  );
}

/** Dense layer `li`: its width, its activation, and its weights and biases as a table. @param {ReturnType<typeof toModel>} m @param {number} li @param {Fields} f */
function layerGroup(m, li, f) {
  const ly = m.layers[li];
  const inputs = li === 0 ? m.input.length : m.layers[li - 1].weights.length;
  // Where this layer sits in the spec's list of layers (activations count too).
  const at = m.layers.slice(0, li).reduce((n, l) => n + (l.activation === "none" ? 1 : 2), 0);
  const grid = h(
    "table",
    { class: "st-f-matrix", "aria-label": `Weights and biases of dense layer ${li + 1}` },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("td", {}),
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
              f.numInput(w, `layer ${li + 1} weight ${j},${k}`, `layers[${at}].weights[${j}][${k}]`, (x) => (ly.weights[j][k] = x)),
            ),
          ),
          h(
            "td",
            {},
            f.numInput(ly.bias[j], `layer ${li + 1} bias ${j}`, `layers[${at}].bias[${j}]`, (x) => (ly.bias[j] = x)),
          ),
        ),
      ),
    ),
  );
  const actId = f.id("act");
  const act = f.select(
    ly.activation,
    ACTS.map((a) => [a, a === "none" ? "none (linear)" : a]),
    (v) => {
      ly.activation = v;
      f.emit();
    },
  );
  act.id = actId;
  return h(
    "fieldset",
    { class: "st-f-group" },
    h("legend", {}, `Dense layer ${li + 1}`),
    h(
      "div",
      { class: "st-f-line" },
      f.stepper(
        "units",
        ly.weights.length,
        1,
        FORM_LIMITS.units,
        (n) => (ly.weights = Array.from({ length: n }, (_, j) => ly.weights[j] || [])),
      ),
      h("label", { for: actId }, "then"),
      act,
    ),
    h("p", { class: "hint st-f-note" }, "Weights W[j][k]: one row per unit j, one column per input k; then the bias."),
    h(
      "div",
      { class: "st-f-scroll", tabindex: "0", role: "region", "aria-label": `Weights of dense layer ${li + 1} (scrolls sideways)` },
      grid,
    ),
  );
}

/** @param {ReturnType<typeof toModel>} m @param {() => void} rebuild */
function layerButtons(m, rebuild) {
  return h(
    "div",
    { class: "buttons" },
    h(
      "button",
      {
        type: "button",
        class: "btn btn-small",
        disabled: m.layers.length >= FORM_LIMITS.layers,
        onclick: () => (m.layers.push({ weights: [[], []], bias: [], activation: "sigmoid" }), rebuild()),
      },
      "Add a layer",
    ),
    h(
      "button",
      { type: "button", class: "btn btn-small", disabled: m.layers.length <= 1, onclick: () => (m.layers.pop(), rebuild()) },
      "Remove the last layer",
    ),
  );
}

/** @param {ReturnType<typeof toModel>} m @param {Fields} f */
function lossGroup(m, f) {
  const loss = f.select(m.loss, /** @type {[string, string][]} */ (LOSSES), (v) => {
    m.loss = v;
    if (m.loss === "softmax_cross_entropy" && m.label === null) m.label = 0;
    f.rebuild();
  });
  const K = m.layers[m.layers.length - 1].weights.length;
  let target;
  if (m.loss === "softmax_cross_entropy") {
    const sel = f.select(
      String(m.label),
      Array.from({ length: K }, (_, k) => [String(k), `class ${k}`]),
      (v) => {
        m.label = Number(v);
        f.emit();
      },
    );
    target = h("div", { class: "field" }, h("label", { for: sel.id }, "The right class (label)"), sel);
  } else {
    target = h(
      "div",
      { class: "field wide", role: "group", "aria-label": "Target t" },
      h("span", { class: "st-f-label" }, "Target t"),
      h(
        "div",
        { class: "st-f-row" },
        m.target.map((v, k) => f.numInput(v, `target ${k}`, `target[${k}]`, (x) => (m.target[k] = x))),
      ),
    );
  }
  return h(
    "fieldset",
    { class: "st-f-group" },
    h("legend", {}, "Loss"),
    h("div", { class: "fields" }, h("div", { class: "field" }, h("label", { for: loss.id }, "Loss"), loss), target),
  );
}

/** @param {ReturnType<typeof toModel>} m @param {Fields} f */
function optimizerGroup(m, f) {
  const o = m.optimizer;
  const type = f.select(
    o.type,
    [
      ["sgd", "SGD"],
      ["adam", "Adam"],
    ],
    (v) => {
      o.type = v;
      f.rebuild();
    },
  );
  const setting = (/** @type {"lr"|"momentum"|"beta1"|"beta2"|"eps"} */ key, /** @type {string} */ label) =>
    f.setting(key, label, o[key], `optimizer.${key}`, (x) => (o[key] = x));
  const settings =
    o.type === "sgd"
      ? [setting("lr", "learning rate η"), setting("momentum", "momentum μ")]
      : [setting("lr", "learning rate α"), setting("beta1", "β1"), setting("beta2", "β2"), setting("eps", "ε")];
  return h(
    "fieldset",
    { class: "st-f-group" },
    h("legend", {}, "Optimizer"),
    h("div", { class: "fields" }, h("div", { class: "field" }, h("label", { for: type.id }, "Optimizer"), type), settings),
  );
}

/**
 * Shows the core's message on the field it names ("layers[0].weights[1][0]: expected a number,
 * found the string "abc""), and clears the others. Returns whether a field was marked.
 * @param {HTMLElement} root
 * @param {string | null} message the core's message, or null when the spec is accepted
 */
export function markFieldError(root, message) {
  const path = message ? /^([\w.[\]]+): /.exec(message)?.[1] : null;
  let marked = false;
  for (const el of /** @type {NodeListOf<HTMLInputElement>} */ (root.querySelectorAll("input[data-path]"))) {
    const hit = !!path && el.dataset.path === path;
    el.setAttribute("aria-invalid", String(hit));
    const err = document.getElementById(el.getAttribute("aria-describedby") || "");
    if (err) err.textContent = hit ? message.slice(path.length + 2) : "";
    marked ||= hit;
  }
  return marked;
}
