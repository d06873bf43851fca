// Training on both cores: on a cross-origin isolated page (scripts/serve.mjs sends COOP/COEP) the
// training worker hands every other shard of each batch to a second instance of the core
// (www/lib/cores.js, www/core-worker.js); without isolation it trains on one core and says why.
// The same seed gives the same model file, byte for byte, either way.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, openPage, requireBuilt, publishedVocabulary } from "./harness.mjs";
import { TWO_CORES } from "../../www/lib/cores.js";

// Batch 100: shards of 32, 32, 32 and 4 examples, the second and fourth on the second core.
const SETTINGS = { model: "mlp-64", optimizer: { type: "adam", lr: 0.001 }, batch: 100, seed: 7 };

let browser, WORDS;

before(async () => {
  requireBuilt({ model: false });
  // The core's words for the cores (src/vocabulary.rs CORES), as the page has them.
  WORDS = (await publishedVocabulary()).cores;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** One epoch on a page served with or without COOP/COEP: the model file and what the page said. */
async function oneEpoch(isolated) {
  const server = await startServer({ isolated });
  const p = await openPage(browser, `${server.url}/__test__/runtime.html`);
  try {
    await p.page.waitForFunction(() => window.client);
    const isolatedPage = await p.page.evaluate(() => self.crossOriginIsolated);
    await p.page.evaluate((settings) => client.request("init", { settings }), SETTINGS);
    await p.page.evaluate(() => client.request("loadData", { base: "/data" }));
    // The second core answers once it holds the training set.
    for (let i = 0; isolated && (await p.page.evaluate(() => client.request("describe"))).cores.count !== 2; i++) {
      assert.ok(i < 600, "the second core starts within a minute");
      await p.page.waitForTimeout(100);
    }
    await p.page.evaluate(() => client.request("train", { epochs: 1 }));
    await p.page.waitForFunction(() => events.some((e) => e.type === "state" && e.state === "done"), null, {
      timeout: 180_000,
      polling: 100,
    });
    const said = await p.page.evaluate(() => events.filter((e) => e.type === "progress").map((e) => e.cores));
    const losses = await p.page.evaluate(() => events.filter((e) => e.type === "progress").flatMap((e) => Array.from(e.losses)));
    const bytes = await p.page.evaluate(async () => Array.from(await client.request("saveModel", { info: {} })));
    const { step: steps, secondCoreHeapBytes, data } = await p.page.evaluate(() => client.request("describe"));
    assert.deepEqual(p.consoleErrors, []);
    return { isolatedPage, said, bytes, steps, losses, secondCoreHeapBytes, trainPixels: data.train * 784 };
  } finally {
    await p.close();
    await server.close();
  }
}

const off = !TWO_CORES && "two cores are switched off (www/lib/cores.js TWO_CORES)";

test("two cores and one core train the same model file from the same seed, and the page says which", { skip: off }, async () => {
  const two = await oneEpoch(true);
  const one = await oneEpoch(false);
  assert.equal(two.isolatedPage, true, "scripts/serve.mjs makes the page cross-origin isolated");
  assert.equal(one.isolatedPage, false);
  assert.ok(two.said.length > 0 && one.said.length > 0, "progress events");
  assert.deepEqual(new Set(two.said.map((c) => c.count)), new Set([2]), "every chunk ran on two cores");
  assert.deepEqual(new Set(one.said.map((c) => c.count)), new Set([1]));
  assert.equal(two.said[0].text, WORDS.two);
  assert.equal(one.said[0].text, WORDS.one_not_isolated);
  assert.ok(two.steps > 100, `${two.steps} steps`);
  // The second core's memory is reported: it holds the training set, a byte a pixel.
  assert.ok(two.secondCoreHeapBytes > two.trainPixels, `the second core's heap: ${two.secondCoreHeapBytes} bytes`);
  assert.equal(one.secondCoreHeapBytes, 0);
  assert.equal(two.steps, one.steps);
  // A model file is safetensors: an 8-byte length, a JSON header (its keys in no fixed order),
  // then the tensors' bytes (weights, then Adam's moments).
  const [a, b] = [two, one].map((r) => modelFile(r.bytes));
  assert.deepEqual(a.header, b.header, "the same header (names, shapes, optimizer step, checksum)");
  assert.ok(a.data.length > 4 * 50_000, `${a.data.length} bytes of tensors`);
  assert.ok(Buffer.compare(a.data, b.data) === 0, "the same tensors, bit for bit");
  assert.deepEqual(two.losses, one.losses, "the same loss at every step");
});

/** @param {number[]} bytes */
function modelFile(bytes) {
  const buf = Buffer.from(bytes);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  for (const k of ["info", "optimizer", "architecture"]) header.__metadata__[k] = JSON.parse(header.__metadata__[k]);
  return { header, data: buf.subarray(8 + n) };
}
