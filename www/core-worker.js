// @ts-check
// The second core's worker: a second instance of the wasm core (`ShardCore`, src/wasm.rs) with the
// training set, computing the shards the training worker hands it through shared memory
// (www/lib/cores.js). It blocks in Atomics.wait between shards, as a worker may.

import { H, layout, IDLE, SHARD, CONFIGURE, DONE, FAILED, RELEASE } from "./lib/cores.js";

/** @type {import("./pkg/simd/backprop_lab.js").ShardCore | null} */
let core = null;
/** @type {SharedArrayBuffer | null} */
let sab = null;
/** @type {WebAssembly.Memory | null} the core's memory, whose size the training worker reports */
let memory = null;

/** Serves shards until the training worker lets go (RELEASE). */
function serve() {
  if (!sab || !core) return;
  const h = new Int32Array(sab, 0, 32);
  for (;;) {
    const s = Atomics.load(h, H.STATE);
    if (s === RELEASE) return;
    if (s === SHARD || s === CONFIGURE) {
      let ok = true;
      try {
        work(h, s);
      } catch (e) {
        console.error("the second core failed:", e);
        ok = false;
      }
      if (memory) Atomics.store(h, H.HEAP, memory.buffer.byteLength / 65536);
      Atomics.store(h, H.STATE, ok ? DONE : FAILED);
      Atomics.notify(h, H.STATE);
      if (!ok) {
        self.postMessage({ type: "failed" });
        return;
      }
      continue;
    }
    Atomics.wait(h, H.STATE, s);
  }
}

/** @param {Int32Array} h @param {number} what */
function work(h, what) {
  const c = /** @type {import("./pkg/simd/backprop_lab.js").ShardCore} */ (core);
  const buf = /** @type {SharedArrayBuffer} */ (sab);
  const at = layout(h);
  if (what === CONFIGURE) {
    c.configure(new TextDecoder().decode(new Uint8Array(buf, at.arch, h[H.ARCH_BYTES]).slice()));
    return;
  }
  // Each array is copied once, from the shared memory into the core's or back: the weights
  // straight into the core's buffer, the gradient straight from a view of it.
  const weights = h[H.WEIGHTS];
  if (weights > 0) c.weightsBuffer(weights).set(new Float32Array(buf, at.weights, weights));
  const r = c.run(
    weights > 0,
    new Uint32Array(buf, at.examples, h[H.EXAMPLES]),
    h[H.BATCH],
    new Uint32Array(buf, at.dropout, h[H.DROPOUT]),
  );
  const g = c.gradient();
  new Float32Array(buf, at.gradient, g.length).set(g);
  h[H.GRADIENT] = g.length;
  h[H.CORRECT] = r[1];
  new Float64Array(buf, H.LOSS_AT, 1)[0] = r[0];
}

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.type === "start") {
      sab = msg.sab;
      const mod = await import(new URL(`./pkg/${msg.variant}/backprop_lab.js`, import.meta.url).href);
      memory = (await mod.default()).memory;
      core = new mod.ShardCore();
    } else if (msg.type === "data") {
      // "start" may still be loading the core.
      while (!core) await new Promise((r) => setTimeout(r, 10));
      core.setData(msg.images, msg.labels);
      const h = new Int32Array(/** @type {SharedArrayBuffer} */ (sab), 0, 32);
      // A newer training set is on its way: serve that one.
      if (Atomics.load(h, H.DATA) !== msg.data) return;
      if (memory) Atomics.store(h, H.HEAP, memory.buffer.byteLength / 65536);
      Atomics.store(h, H.STATE, IDLE);
      self.postMessage({ type: "ready", data: msg.data });
      serve();
    }
  } catch (err) {
    console.error("the second core could not start:", err);
    self.postMessage({ type: "failed" });
  }
};
