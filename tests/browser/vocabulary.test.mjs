// The page's copy of the core's vocabulary: www/pkg/vocabulary.js is what the wasm's
// vocabulary() returns now, and the page's limit checks (www/lib/vocabulary.js withinLimit, used
// by the settings form and the URL) accept exactly what the core's checks accept. Runs the wasm
// build in Node; no browser needed.

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { requireBuilt, publishedVocabulary, ROOT } from "./harness.mjs";

requireBuilt({ data: false, model: false });
const glue = await import(pathToFileURL(path.join(ROOT, "www/pkg/nosimd/backprop_lab.js")).href);
glue.initSync({ module: fs.readFileSync(path.join(ROOT, "www/pkg/nosimd/backprop_lab_bg.wasm")) });
const published = await publishedVocabulary();
const { withinLimit } = await import(pathToFileURL(path.join(ROOT, "www/lib/vocabulary.js")).href);

test("the page's vocabulary is the wasm's", () => {
  assert.deepEqual(published, glue.vocabulary());
});

test("every limit accepts on the page exactly what the core accepts", () => {
  const core = (name, v) => {
    try {
      glue.checkLimit(name, v);
      return true;
    } catch {
      return false;
    }
  };
  for (const [name, limit] of Object.entries(published.limits)) {
    const { min, max } = limit;
    const steps = [1, 0.5, 1e-6, 1e-12];
    const probes = [min, NaN, Infinity, -Infinity, ...steps.flatMap((d) => [min - d, min + d])];
    if (max != null) probes.push(max, ...steps.flatMap((d) => [max - d, max + d]));
    for (const v of probes) assert.equal(withinLimit(limit, v), core(name, v), `${name}: ${v}`);
  }
});

test("a value out of a limit gets the core's words", () => {
  assert.throws(() => glue.checkLimit("epochs", 0), { message: "epochs: expected a whole number from 1 to 100, found 0" });
  assert.throws(() => glue.checkLimit("speed", 0), { message: "speed: expected a positive number, found 0" });
  assert.throws(() => glue.checkLimit("colour", 1), { message: "no limit named colour" });
});
