// The last backward step (backprop reaches the pixels), the network's answer in the core's words,
// the walk-through's modules fed the page's typed arrays, and the Markdown's headings, on traces
// made by the CLI (`backprop-lab trace`).
//
//   node --test tests/walkthrough/

import { test } from "node:test";
import assert from "node:assert/strict";

import { toMarkdown } from "../../www/walkthrough/markdown.js";
import { digitMeta, drawingMeta, saysText, specMeta } from "../../www/walkthrough/meta.js";
import { lastUnit, probabilityText } from "../../www/walkthrough/numbers.js";
import { typedTrace } from "../../www/lib/trace-arrays.js";
import { checkFormula, evaluatePart } from "./calculator.mjs";
import { walkthrough } from "../../scripts/walkthrough.mjs";
import { MNIST, at, specTraces, stepsOf, walkTraces } from "./walks.mjs";

const traces = walkTraces();

test("backprop reaches the pixels: ∂L/∂x is the last backward step, worked out with the core's numbers", () => {
  for (const [name, trace] of Object.entries(traces)) {
    const { T, P, steps } = stepsOf(trace);
    const ids = steps.map((s) => s.id);
    const k = ids.indexOf("bwd-input");
    assert.ok(k > 0, `${name}: no input-gradient step`);
    // After layer 0's backward step, before the first update.
    assert.equal(ids[k - 1], "bwd-0", name);
    assert.ok(
      ids.slice(k + 1).every((id) => id.startsWith("upd-")),
      `${name}: ${ids.join(" ")}`,
    );
    const st = steps[k];
    const g = trace.input_grad.slice(P.n * T.sizes[0], (P.n + 1) * T.sizes[0]);
    const item = st.blocks.find((b) => b.kind === "values").items.find((it) => it.key === "input-grad");
    const idx = st.blocks.find((b) => b.kind === "table").highlightRow;
    assert.equal(item.value, g[idx], name);
    // The worked line: the right formula for the first layer, and a result the calculator gets.
    const eq = st.blocks.find((b) => b.kind === "eq" && b.symbolic);
    const first = T.layers[0].kind;
    if (first === "dense") assert.equal(eq.symbolic, "\\frac{\\partial L}{\\partial x_k} = \\sum_j W^{[0]}_{j,k}\\, \\delta^{[0]}_j", name);
    else
      assert.match(
        eq.symbolic,
        /^\\frac\{\\partial L\}\{\\partial x_\{c,r,s\}\} = \\sum_\{o,u,v .*W\^\{\[0\]\}_\{o,c,u,v\}\\, \\delta\^\{\[0\]\}_\{o,p,q\}$/,
        name,
      );
    const { checked, failures } = checkFormula(eq.numeric);
    assert.equal(checked, 1, `${name}: ${eq.numeric}`);
    assert.deepEqual(failures, [], name);
    // The printed result is the core's number.
    const printed = eq.numeric
      .replace(/\s*\\end\{aligned\}$/, "")
      .split(/&?= /)
      .pop()
      .trim();
    const { value, single } = evaluatePart(printed);
    // The core's number, rounded to the printed digits.
    assert.ok(Math.abs(value - g[idx]) <= 0.5 * lastUnit(single) * (1 + 1e-9), `${name}: ${printed} vs ${g[idx]}`);
    // A 28×28 signed picture for images; the Draw view's heat map named, and how it differs.
    const grid = st.blocks.find((b) => b.kind === "grid");
    if (T.sizes[0] === 784) {
      assert.ok(grid && grid.h === 28 && grid.w === 28 && grid.palette === "diverging", name);
      assert.deepEqual(Array.from(grid.values), Array.from(g));
    } else assert.equal(grid, undefined, name);
    const words = st.blocks
      .filter((b) => b.kind === "text")
      .map((b) => b.text)
      .join(" ");
    assert.match(words, /Draw view's heat map/);
    assert.match(words, /logit/);
    assert.match(words, /not the loss/);
  }
});

test("the conv line sums exactly the filter cells that land on the pixel (stride 2, padding 1)", () => {
  // Recomputed here from the trace's weights and deltas: Σ over (o, u, v) with 2p + u − 1 = r.
  const { T, steps } = stepsOf(traces.conv);
  const st = steps.find((s) => s.id === "bwd-input");
  const idx = st.blocks.find((b) => b.kind === "table").highlightRow;
  const ly = T.layers[0];
  const { in_channels: C, out_channels: O, kernel: K, stride: s, padding: pad } = ly.spec;
  const [, H, W] = ly.inShape;
  const [, OH, OW] = ly.outShape;
  const [c, r, col] = [Math.floor(idx / (H * W)), Math.floor((idx % (H * W)) / W), idx % W];
  const d = T.grad(1, 0);
  let sum = 0;
  let n = 0;
  for (let o = 0; o < O; o++)
    for (let p = 0; p < OH; p++)
      for (let q = 0; q < OW; q++)
        for (let u = 0; u < K; u++)
          for (let v = 0; v < K; v++)
            if (s * p + u - pad === r && s * q + v - pad === col) {
              sum += ly.params.weight.before[((o * C + c) * K + u) * K + v] * d[(o * OH + p) * OW + q];
              n++;
            }
  assert.ok(n > 0);
  assert.match(st.blocks.find((b) => b.kind === "eq").caption, new RegExp(`\\(${n} of them here`));
  assert.ok(Math.abs(sum - T.inputGrad(0)[idx]) < 1e-6, `${sum} vs ${T.inputGrad(0)[idx]}`);
});

test("the Markdown export has the step too, and its first section does not repeat the H1", async () => {
  const md = await walkthrough(["--model-file", at("www/model/default.safetensors"), "--data", MNIST, "--index", "0"]);
  assert.match(md, /^## \d+\. Backprop reaches the pixels: /m);
  assert.match(md, /Draw view's heat map/);
  const h1 = md.match(/^# (.*)$/m)[1];
  assert.equal(h1, "Test digit 0 (a 7)");
  assert.ok(!md.split("\n").some((l) => l.startsWith("## ") && l.endsWith(h1)), "a section repeats the H1");
  assert.match(md, /^## 1\. The example$/m);
});

test("the network's answer is the core's, and a probability is never shown as 1 unless it is", () => {
  // The core's f64 probability and 1 − p: 1 − 3.2e−8 is not 1.
  assert.equal(probabilityText(1 - 3.2e-8, 3.2e-8), "1 − 3.2e−8");
  assert.equal(probabilityText(0.99987, 0.00013), "0.99987");
  assert.equal(probabilityText(0.973, 0.027), "0.973");
  assert.equal(probabilityText(1, 0), "1");
  assert.equal(probabilityText(4.1e-9, 1 - 4.1e-9), "4.1e−9");
  // A network sure of class 0: its f32 probability is exactly 1, its 1 − p is 2e^−30.
  const [sure] = specTraces({
    input: [1],
    layers: [{ type: "dense", weights: [[30], [0], [0]], bias: [0, 0, 0] }],
    label: 2,
    loss: "softmax_cross_entropy",
    optimizer: { type: "sgd", lr: 0.1 },
  });
  assert.equal(sure.loss.probs[0], 1);
  assert.deepEqual(sure.loss.predicted, [0]);
  const said = saysText(sure);
  assert.match(said, /^The network says 0 with probability 1 − 1\.9e−13\.$/);
  const { steps } = stepsOf(sure);
  assert.match(steps.find((s) => s.id === "softmax").caption, /most probable class: 0, with probability 1 − 1\.9e−13/);
  // The real digit: the class and probability the trace names.
  const cnn = traces.cnn;
  assert.equal(cnn.loss.predicted[0], 7);
  assert.match(saysText(cnn), /^The network says 7 with probability (0\.9\d+|1 − [\d.]+e−\d+)\.$/);
  assert.ok(Math.abs(cnn.loss.p_predicted[0] + cnn.loss.p_rest[0] - 1) < 1e-15);
});

test("a drawn digit's walk-through has its own title and subtitle", () => {
  const trace = traces.cnn;
  const m = drawingMeta({ label: 3, fresh: null, trace, model: "cnn" });
  assert.equal(m.title, "Your drawing, taken to be a 3");
  assert.match(
    m.subtitle,
    /^One training step on a drawn digit, with label 3, of a copy of the current model \(cnn\), after [\d,]+ training steps, with its Adam/,
  );
  assert.notEqual(m.title, digitMeta({ index: 0, label: 3, fresh: null, trace }).title);
});

test("the walk-through takes the page's typed arrays as they come: the same steps, the same Markdown", () => {
  for (const [name, trace] of Object.entries(traces)) {
    const plain = structuredClone(trace);
    const { trace: typed } = typedTrace(structuredClone(trace));
    assert.ok(ArrayBuffer.isView(typed.layers[0].params[0].grad) && ArrayBuffer.isView(typed.input_grad), name);
    const a = stepsOf(plain);
    const b = stepsOf(typed);
    const meta = name === "cnn" ? digitMeta({ index: 0, label: 7, fresh: null, trace }) : specMeta({ name, trace });
    assert.equal(toMarkdown(b.steps, meta), toMarkdown(a.steps, meta), name);
    // Everything a view draws: tables' rows, grids, bars, units.
    const norm = (v) => JSON.stringify(v, (_, x) => (ArrayBuffer.isView(x) ? Array.from(/** @type {any} */ (x)) : x));
    for (let s = 0; s < a.steps.length; s++)
      for (let k = 0; k < a.steps[s].blocks.length; k++) {
        const [x, y] = [a.steps[s].blocks[k], b.steps[s].blocks[k]];
        assert.equal(
          norm(y.kind === "table" ? y.rows() : y),
          norm(x.kind === "table" ? x.rows() : x),
          `${name} ${a.steps[s].id} ${x.kind}`,
        );
      }
  }
});
