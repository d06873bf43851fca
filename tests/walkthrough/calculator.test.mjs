// The calculator standard, enforced: every worked line of the exported Markdown, redone from its
// printed numbers, gives its printed result to the last digit. Over six walk-throughs made by
// `npm run walkthrough` (the page's modules and the page's wasm core): Mazur's 2-2-2 with SGD,
// ReLU + softmax + Adam, conv (stride 2, padding 1) + max-pool + Adam on a batch, tanh + MSE with
// momentum (two steps each for the fixtures), a real test digit through the trained CNN (t > 1),
// and a fresh mlp-64 at t = 1.
//
//   node --test tests/walkthrough/

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { checkFormula, checkMarkdown, evaluatePart, formulas } from "./calculator.mjs";
import { walkthrough } from "../../scripts/walkthrough.mjs";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MNIST = process.env.MNIST_DIR || path.join(ROOT, "www/data");
const at = (p) => path.join(ROOT, p);

test("the calculator itself: a line that does not reproduce fails, one that does passes", () => {
  // The examples of the issue: 1/1.0002 is 0.99980004…, so 0.999797 is wrong and 0.9998 right.
  assert.equal(checkFormula("p_7 = 1/1.0002 = 0.999797").failures.length, 1);
  assert.equal(checkFormula("p_7 = \\frac{1}{1.0002} = 0.9998").failures.length, 0);
  assert.equal(checkFormula("-\\ln 0.999797 = 0.000202827").failures.length, 1, "−ln 0.999797 is 0.000203021");
  assert.equal(checkFormula("(0.999797 - 1) = -0.000202807").failures.length, 1, "0.999797 − 1 is −0.000203");
  assert.equal(
    checkFormula("\\frac{0.298453271 - 0.298288941}{2 \\cdot 0.001} = 0.0821701").failures.length,
    1,
    "the shown numbers give 0.0821650",
  );
  // Each piece of the TeX the walk-through writes.
  const cases = [
    ["\\frac{1}{1 + e^{-0.3775}}", 1 / (1 + Math.exp(-0.3775))],
    ["0.15 \\cdot 0.05 + 0.2 \\cdot 0.1 + 0.35", 0.3775],
    ["\\max(0,\\ -2.5)", 0],
    ["\\tanh(0.5)", Math.tanh(0.5)],
    ["\\ln(1.0002) - (3 - 3)", Math.log(1.0002)],
    ["-0.001 \\cdot \\frac{0.5}{\\sqrt{0.25} + 1 \\times 10^{-8}}", (-0.001 * 0.5) / (0.5 + 1e-8)],
    ["\\frac{0.012}{1 - 0.9^{2}}", 0.012 / 0.19],
    ["0.741365 \\cdot 0.751365\\,(1 - 0.751365)", 0.741365 * 0.751365 * (1 - 0.751365)],
    ["(-0.5)^{2} + \\underbrace{7.9584}_{\\text{5404 more terms, 3296 of them 0}}", 0.25 + 7.9584],
    ["\\frac{1}{2}\\left((0.01 - 0.75)^{2}\\right)", 0.5 * 0.74 ** 2],
    ["2.03 \\times 10^{-5}", 2.03e-5],
  ];
  for (const [tex, want] of cases) assert.ok(Math.abs(evaluatePart(tex).value - want) <= 1e-15 * Math.max(1, Math.abs(want)), tex);
  for (const tex of ["x_{0}", "(0.05,\\ 0.1)", "\\delta_j \\cdot 1", "\\frac{\\partial L}{\\partial z}", "|0.5|"])
    assert.equal(evaluatePart(tex), null, tex);
  assert.deepEqual(evaluatePart("-3.088 \\times 10^{-6}"), { value: -3.088e-6, single: "-3.088e-6" });
  // An aligned sum is one line; display maths and inline maths with an = are both read.
  const aligned = "\\begin{aligned} z &= 0.5 \\cdot 0.5 + 0.25 \\\\ &\\quad + 0.5 \\\\ &= 1 \\end{aligned}";
  assert.deepEqual(checkFormula(aligned), { checked: 1, failures: [] });
  assert.deepEqual(formulas("a $x = 1 + 1 = 2$ b\n\n$$\ny = 2\n$$\n"), ["y = 2", "x = 1 + 1 = 2"]);
});

/**
 * The walk-throughs, with the fewest worked lines each must have: a calculator that silently
 * skipped lines would check fewer (the counts found when this test was written, rounded down).
 */
const WALKTHROUGHS = [
  { name: "Mazur 2-2-2, SGD", args: ["--spec", at("www/presets/mazur-2-2-2-sgd.json")], least: 20 },
  { name: "ReLU + softmax + Adam", args: ["--spec", at("www/presets/relu-softmax-adam.json")], least: 35 },
  {
    name: "conv stride 2 padding 1 + max-pool + Adam, a batch of 2, 2 steps",
    args: ["--spec", at("tests/walkthrough/fixtures/conv-pool-adam.json")],
    least: 80,
  },
  { name: "tanh + MSE, SGD with momentum, 2 steps", args: ["--spec", at("tests/walkthrough/fixtures/tanh-mse-momentum.json")], least: 40 },
  {
    name: "a test digit through the trained CNN (t > 1)",
    args: ["--model-file", at("www/model/default.safetensors"), "--data", MNIST, "--index", "0"],
    least: 50,
  },
  { name: "a fresh mlp-64 at t = 1", args: ["--model", "mlp-64", "--seed", "1", "--data", MNIST, "--index", "0"], least: 35 },
];

for (const w of WALKTHROUGHS) {
  test(`every worked line reproduces from its printed numbers: ${w.name}`, async () => {
    const md = await walkthrough(w.args);
    const { checked, failures } = checkMarkdown(md);
    const report = failures.map((f) => `  ${f.line}\n    the printed numbers give ${f.value}, the line says ${f.printed}`).join("\n");
    assert.equal(failures.length, 0, `${failures.length} of ${checked} worked lines do not reproduce:\n${report}`);
    assert.ok(checked >= w.least, `only ${checked} worked lines found (at least ${w.least} expected): is the calculator skipping lines?`);
    console.log(`# ${w.name}: ${checked} worked lines checked`);
  });
}
