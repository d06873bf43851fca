// The walk-through's formulas and words, on traces made by the CLI (`backprop-lab trace`): every
// formula typesets; no TeX leaks into plain text; one minus sign; no float noise; the formulas
// learners stumble on are right (sigmoid and tanh backward, softmax + cross-entropy's p − y, Adam's
// update), and the why is said where it applies (the batch mean, saturation, dead units, Adam at
// t = 1 and against the gradient, biases updated by SGD, the gradient check's tolerance).
//
//   node --test tests/walkthrough/

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import katex from "katex";

import { analyse, defaultPicks, pickUnit } from "../../www/walkthrough/steps.js";
import { gradcheckBlocks } from "../../www/walkthrough/gradcheck.js";
import { adamBlocks, adamNumbers } from "../../www/walkthrough/optim/adam.js";
import { toMarkdown } from "../../www/walkthrough/markdown.js";
import { weightName } from "../../www/walkthrough/trace.js";
import { evaluatePart } from "./calculator.mjs";
import { walkthrough } from "../../scripts/walkthrough.mjs";
import { MNIST, at, specTraces, stepsOf, walkTraces } from "./walks.mjs";

const traces = walkTraces();

/** Every piece of plain text of a walk-through, and every TeX formula (inline ones included). */
function pieces(steps) {
  const texts = [];
  const maths = [];
  for (const st of steps) {
    texts.push(st.title, st.caption, st.short, st.hint || "");
    for (const b of st.blocks) {
      if (b.kind === "eq") (maths.push(b.symbolic, b.numeric), texts.push(b.caption || ""));
      if (b.kind === "text" || b.kind === "check") texts.push(b.text);
      if (b.kind === "values") texts.push(...b.items.map((it) => it.label));
      if (["table", "grid", "units", "bars"].includes(b.kind)) texts.push(b.title, ...(b.columns || []));
    }
  }
  for (const t of texts) for (const m of t.matchAll(/\$([^$]+)\$/g)) maths.push(m[1]);
  return { texts: texts.map((t) => t.replace(/\$[^$]+\$/g, "")), maths: maths.filter(Boolean) };
}

test("every formula typesets, no TeX leaks into plain text, one minus sign, no float noise", async () => {
  for (const [name, trace] of Object.entries(traces)) {
    const { steps } = stepsOf(trace);
    const { texts, maths } = pieces(steps);
    for (const m of maths) assert.doesNotThrow(() => katex.renderToString(m, { throwOnError: true, displayMode: true }), `${name}: ${m}`);
    for (const t of texts) {
      assert.doesNotMatch(t, /\\[a-zA-Z]|\^\{|_\{/, `${name}: raw TeX outside maths: ${t}`);
      assert.doesNotMatch(t, /(^|[\s(=])-\d|\de-\d/, `${name}: an ASCII minus where the page writes −: ${t}`);
    }
    for (const m of maths) assert.ok(!m.includes("−"), `${name}: TeX writes "-" for minus: ${m}`);
  }
  for (const args of [
    ["--spec", at("www/presets/mazur-2-2-2-sgd.json")],
    ["--model-file", at("www/model/default.safetensors"), "--data", MNIST, "--index", "0"],
  ]) {
    const md = await walkthrough(args);
    assert.ok(!md.includes("−"), "the Markdown uses - throughout");
    assert.doesNotMatch(md, /\d\.?\d*(0{7}|9{7})\d/, "no float noise such as 0.0010000000474974513");
    assert.doesNotMatch(md, /not run/i, "every gradient check is run");
  }
});

test("layers are numbered by their index everywhere: titles, W^[i], b^[i], δ^[i]", () => {
  for (const trace of Object.values(traces)) {
    const { steps } = stepsOf(trace);
    for (const st of steps.filter((s) => s.layer !== undefined)) {
      if (st.phase !== "update") assert.match(st.title, new RegExp(`^(Back through )?Layer ${st.layer} \\(`), st.title);
      const tex = st.blocks.flatMap((b) => (b.kind === "eq" ? [b.symbolic, b.numeric] : []));
      for (const t of tex) for (const m of t.matchAll(/(?:W|b)\^\{\[(\d+)\]\}/g)) assert.equal(Number(m[1]), st.layer, `${st.id}: ${t}`);
    }
  }
});

test("sigmoid backward: δ_j = ∂L/∂a_j · σ′(z_j) = ∂L/∂a_j · a_j(1 − a_j), with the trace's numbers", () => {
  const { T, steps } = stepsOf(traces.mazur);
  const st = steps.find((s) => s.id === "bwd-3");
  const eq = st.blocks.find((b) => b.kind === "eq");
  assert.equal(
    eq.symbolic,
    "\\delta^{[2]}_j = \\frac{\\partial L}{\\partial z^{[2]}_j} = \\frac{\\partial L}{\\partial a^{[3]}_j} \\cdot \\sigma'(z^{[2]}_j) = \\frac{\\partial L}{\\partial a^{[3]}_j} \\cdot a^{[3]}_j(1 - a^{[3]}_j)",
  );
  // The numbers: ∂L/∂a₀ = o₀ − t₀ (Mazur: 0.741365), a₀ = 0.751365; δ = 0.138499 (Mazur: 0.138498562).
  const [, rhs] = eq.numeric.split(" = ");
  const m = rhs.match(/^([\d.]+) \\cdot ([\d.]+)\\,\(1 - ([\d.]+)\)$/);
  assert.ok(m, eq.numeric);
  assert.ok(Math.abs(Number(m[1]) - T.grad(4, 0)[0]) < 1e-6 && Math.abs(Number(m[2]) - T.value(4, 0)[0]) < 1e-6 && m[2] === m[3]);
  assert.ok(Math.abs(evaluatePart(rhs).value - 0.138498562) < 1e-6);
});

test("tanh backward: ∂L/∂z = ∂L/∂a · (1 − a²)", () => {
  const { T, P, steps } = stepsOf(traces.tanh);
  const eq = steps.find((s) => s.id === "bwd-1").blocks.find((b) => b.kind === "eq");
  assert.equal(
    eq.symbolic,
    "\\delta^{[0]}_j = \\frac{\\partial L}{\\partial z^{[0]}_j} = \\frac{\\partial L}{\\partial a^{[1]}_j} \\cdot (1 - (a^{[1]}_j)^2)",
  );
  const j = P.el[2];
  const [, rhs] = eq.numeric.split(" = ");
  const a = T.value(2, 0)[j];
  const g = T.grad(2, 0)[j];
  assert.ok(Math.abs(evaluatePart(rhs).value - g * (1 - a * a)) < 1e-6 * Math.abs(g) + 1e-9, eq.numeric);
});

test("softmax + cross-entropy: the Jacobian p_y(δ_yj − p_j) times −1/p_y, then the shortcut p − y, with the numbers", () => {
  const { T, steps } = stepsOf(traces.relu, (T) => {
    const P = defaultPicks(T);
    return pickUnit(T, P, T.L - 1, 0); // class 0, not the label 2: δ_yj = 0
  });
  const st = steps.find((s) => s.id === "dout");
  const eqs = st.blocks.filter((b) => b.kind === "eq");
  const p = T.loss.probs;
  assert.match(eqs[0].symbolic, /= -\\frac\{1\}\{p_\{2\}\}$/);
  assert.match(eqs[1].symbolic, /= p_\{2\}\(\\delta_\{20\} - p_\{0\}\)$/);
  assert.match(eqs[2].symbolic, /= p_\{0\} - \\delta_\{20\}$/);
  const value = (eq) => evaluatePart(eq.numeric.split(" = ").at(-2)).value;
  assert.ok(Math.abs(value(eqs[0]) + 1 / p[2]) < 1e-5 / p[2], "∂L/∂p_y = −1/p_y");
  assert.ok(Math.abs(value(eqs[1]) + p[2] * p[0]) < 1e-6, "∂p_y/∂z_0 = p_y(0 − p_0)");
  assert.ok(Math.abs(value(eqs[2]) - p[0]) < 1e-6, "their product is p_0 − 0");
  assert.equal(eqs[3].symbolic, "\\frac{\\partial L}{\\partial z^{[2]}_k} = (p_k - y_k)");
  assert.ok(Math.abs(value(eqs[3]) - T.loss.grad[0]) < 1e-6, "the shortcut gives the core's gradient (to the 6 digits shown)");
});

test("the batch: its gradient is the mean of the examples' own, said with the numbers", () => {
  const { T, P, steps } = stepsOf(traces.conv);
  assert.equal(T.N, 2);
  const st = steps.find((s) => s.id === "bwd-4");
  const text = st.blocks.map((b) => b.caption || b.text || "").join(" ");
  assert.match(text, /already carries the mean's \$1\/2\$/);
  const own = st.blocks.find((b) => b.kind === "eq" && b.symbolic.includes("L^{(0)}"));
  const j = P.el[5];
  const k = P.el[4];
  assert.ok(Math.abs(evaluatePart(own.numeric.split(" = ")[1]).value - 2 * T.grad(5, 0)[j] * T.value(4, 0)[k]) < 1e-6, own.numeric);
  assert.match(
    steps
      .find((s) => s.id === "loss")
      .blocks.map((b) => b.caption || "")
      .join(" "),
    /mean of its 2 examples' losses/,
  );
});

test("conv: the formula has the stride and padding; the table of non-zero terms holds only non-zero terms", () => {
  const { steps } = stepsOf(traces.conv);
  const fwd = steps.find((s) => s.id === "fwd-0").blocks.find((b) => b.kind === "eq");
  assert.match(fwd.symbolic, /x_\{c,\\,2\\,p\+u-1,\\,2\\,q\+v-1\}/);
  const bwd = steps.find((s) => s.id === "bwd-0");
  assert.equal(
    bwd.blocks.find((b) => b.kind === "eq").symbolic,
    "\\frac{\\partial L}{\\partial W^{[0]}_{o,c,u,v}} = \\sum_{n,p,q} \\delta^{[0](n)}_{o,p,q}\\; x^{(n)}_{c,\\,2\\,p+u-1,\\,2\\,q+v-1}",
  );
  const table = bwd.blocks.find((b) => b.kind === "table" && /non-zero/.test(b.title));
  const rows = table.rows();
  assert.equal(rows.length, table.count);
  assert.ok(rows.length > 0 && rows.every((r) => r.at(-1).v !== 0));
  const { steps: cnn } = stepsOf(traces.cnn);
  assert.match(
    cnn.find((s) => s.id === "fwd-0").blocks.find((b) => b.kind === "eq").symbolic,
    /x_\{c,\\,p\+u,\\,q\+v\}/,
    "stride 1, no padding",
  );
});

test("saturated sigmoids and dead ReLUs are flagged where they happen", () => {
  const spec = {
    input: [1, -1],
    target: [1],
    layers: [
      {
        type: "dense",
        weights: [
          [4, -4],
          [-3, 1],
        ],
        bias: [0, 0],
      },
      { type: "relu" },
      { type: "dense", weights: [[0.5, 0.5]], bias: [0] },
      { type: "sigmoid" },
    ],
    loss: "mse",
    optimizer: { type: "sgd", lr: 0.1 },
  };
  const trace = specTraces(spec)[0];
  // Unit 1 of the ReLU is off (z = −4); the sigmoid's z = 4 gives a(1 − a) = 0.0177.
  const { steps } = stepsOf(trace, (T) => pickUnit(T, defaultPicks(T), 1, 1));
  const relu = steps
    .find((s) => s.id === "bwd-1")
    .blocks.map((b) => b.text || "")
    .join(" ");
  assert.match(relu, /The unit was off \(z = −4 ≤ 0\): its slope is 0, so it passes 0 back/);
  assert.match(relu, /1 of the 2 units of this layer are off/);
  const sig = steps
    .find((s) => s.id === "bwd-3")
    .blocks.map((b) => b.text || "")
    .join(" ");
  assert.match(sig, /Saturated: a is close to 1, so σ′\(z\) = a\(1 − a\) = 0\.0176/);
});

test("Adam: about α at t = 1 whatever the gradient; a step against this example's gradient is explained", () => {
  const { steps } = stepsOf(traces.fresh);
  const first = steps
    .find((s) => s.id === "upd-2")
    .blocks.map((b) => b.text || "")
    .join(" ");
  assert.match(first, /first step \(t = 1\).*Every weight moves by about α = 0\.001, whatever the size of its gradient/);
  // The trained CNN (t = 939): one weight whose step goes against its gradient, and one that does not.
  const T = analyse(traces.cnn);
  const W = T.layers[6].params.weight;
  const against = W.grad.findIndex((g, i) => g !== 0 && Math.sign(W.update.step[i]) === Math.sign(g));
  const along = W.grad.findIndex((g, i) => g !== 0 && Math.sign(W.update.step[i]) === -Math.sign(g));
  assert.ok(against >= 0 && along >= 0);
  const words = (i) =>
    adamBlocks(T, "\\theta", adamNumbers(T, W, i))
      .map((b) => b.text || "")
      .join(" ");
  assert.match(words(against), /This step goes against this example's gradient.*m̂ = .* has the other sign/);
  assert.doesNotMatch(words(along), /against/);
  // The update line is −α m̂/(√v̂ + ε) with the trace's numbers.
  const step = adamBlocks(T, "\\theta", adamNumbers(T, W, along)).find((b) => b.kind === "eq" && b.symbolic.startsWith("\\Delta\\theta"));
  const u = W.update;
  assert.ok(
    Math.abs(evaluatePart(step.numeric.split(" = ")[1]).value - (-0.001 * u.m_hat[along]) / (Math.sqrt(u.v_hat[along]) + 1e-8)) <
      1e-6 * 0.001,
  );
});

test("SGD walk-throughs say that the biases are updated too (unlike Mazur's published example); Adam ones do not need to", () => {
  const say = (trace) =>
    stepsOf(trace)
      .steps.filter((s) => s.phase === "update")
      .flatMap((s) => s.blocks)
      .map((b) => b.text || "")
      .join(" ");
  assert.match(say(traces.mazur), /Every bias is updated too.*\$b\^\{\[2\]\}_\{0\}\$ goes from 0\.6 to 0\.530751.*Mazur/);
  assert.match(say(traces.tanh), /Every bias is updated too/);
  assert.doesNotMatch(say(traces.relu), /Every bias is updated too/);
});

test("the gradient check shows the core's numbers and the core's verdict, with its tolerance", async () => {
  const core = await import("../../www/pkg/nosimd/backprop_lab.js");
  core.initSync({ module: fs.readFileSync(at("www/pkg/nosimd/backprop_lab_bg.wasm")) });
  const lab = new core.SpecLab(fs.readFileSync(at("www/presets/mazur-2-2-2-sgd.json"), "utf8"));
  const r = lab.gradientCheck(2, "weight", 0);
  const b = { kind: "gradcheck", layer: 2, param: "weight", index: 0, analytic: r.analytic, label: "$w_5$" };
  const blocks = gradcheckBlocks(b, r);
  const check = blocks.find((x) => x.kind === "check");
  assert.equal(check.ok, r.agrees);
  assert.equal(r.agrees, true);
  // The words follow the core's verdict, not a verdict of their own.
  assert.equal(gradcheckBlocks(b, { ...r, agrees: false }).find((x) => x.kind === "check").ok, false);
  const text = blocks.map((x) => `${x.caption || ""} ${x.text || ""}`).join(" ");
  assert.match(text, /at most 1 % of the larger of the two, plus 3 times the rounding noise/);
  const eqs = blocks.filter((x) => x.kind === "eq");
  // The step really taken. h = 2⁻⁷, so θ = 0.4 ± h are exact f32s and the step is 2h exactly...
  const stepLine = (blocks) => blocks.filter((x) => x.kind === "eq").find((e) => e.symbolic === "(\\theta + h) - (\\theta - h)");
  assert.equal(r.h, 0.0078125);
  assert.equal(r.step, 2 * r.h);
  assert.equal(stepLine(blocks).numeric.split(" = ").at(-1), "0.015625");
  assert.match(stepLine(blocks).caption, /exactly 2h/);
  // ...but θ just below 0.25 = 2⁻² (0.24999999 is the f32 0.25 − 2⁻²⁶) loses its last bit when
  // θ + h crosses 0.25: the step is 2h − 2⁻²⁶, printed with the digits that show it.
  const doc = JSON.parse(fs.readFileSync(at("www/presets/mazur-2-2-2-sgd.json"), "utf8"));
  doc.layers[2].weights[0][0] = 0.24999999;
  const lab2 = new core.SpecLab(JSON.stringify(doc));
  const r2 = lab2.gradientCheck(2, "weight", 0);
  lab2.free();
  assert.equal(r2.step, Math.fround(Math.fround(0.24999999) + 0.0078125) - Math.fround(Math.fround(0.24999999) - 0.0078125));
  assert.notEqual(r2.step, 0.015625);
  const line2 = stepLine(gradcheckBlocks({ ...b, analytic: r2.analytic }, r2));
  assert.match(line2.caption, /rounded to f32 .*not within the same power of two/);
  const taken = line2.numeric.split(" = ").at(-1);
  assert.notEqual(Number(taken), 0.015625, `${line2.numeric}: the printed step is not 2h`);
  const md = toMarkdown([{ id: "x", title: "x", caption: "", blocks: [b] }], { title: "x" }, new Map([["2/weight/0", r]]));
  assert.match(md, /\\frac\{0\.29\d+ - 0\.29\d+\}\{0\.015625\}/);
  lab.free();
});

test("weight names follow the picks", () => {
  const T = analyse(traces.conv);
  const P = defaultPicks(T);
  assert.match(weightName(T, 0, P).name, /^W\^\{\[0\]\}_\{\d,0,\d,\d\}$/);
  assert.match(weightName(T, 4, P).name, /^W\^\{\[4\]\}_\{\d,\d\}$/);
});
