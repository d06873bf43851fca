// @ts-check
// The Draw view's requests, answered in the worker (worker.js mounts them beside its own): a
// drawing read with its saliency map, a test digit as pen positions, the user's own digits
// (accuracy, IDX export and import) and fine-tuning on them. Every number comes from the core
// (src/drawing.rs, src/finetune.rs); this file converts and times, nothing else.
//
// Fine-tuning is driven by the page: `fineTuneStart`, then `fineTuneAdvance` again and again,
// each doing about a training chunk's work (`chunkMs`: worker.js's CHUNK_MS), so the worker
// answers predictions in between and the page shows progress after each reply.

/**
 * @typedef {import("../protocol.js").Requests} Requests
 * @typedef {import("../protocol.js").Replies} Replies
 * @typedef {import("../pkg/simd/backprop_lab.js").Playground} Playground
 * @typedef {{
 *   pg: () => Playground,
 *   wasm: () => typeof import("../pkg/simd/backprop_lab.js"),
 *   call: <T>(fn: () => T) => T,
 *   busy: () => string | null,
 *   modelChanged: () => import("../protocol.js").Describe,
 *   chunkMs: number,
 * }} Context
 */

/** @param {Uint8Array | ArrayBuffer | number[]} b */
const u8 = (b) => (b instanceof Uint8Array ? b : new Uint8Array(/** @type {ArrayBuffer} */ (b)));

/** @param {Context} ctx */
export function drawHandlers({ pg, wasm, call, busy, modelChanged, chunkMs }) {
  // The measured cost of a step and of a test digit, to size the next request's work.
  const cost = { msPerStep: 0, msPerExample: 0, phase: "before" };

  /** @param {Requests["fineTuneAdvance"]} _msg */
  function advance(_msg) {
    const why = busy();
    if (why) {
      call(() => pg().fineTuneCancel());
      throw new Error(`fine-tuning stopped: ${why}`);
    }
    const steps = cost.msPerStep > 0 ? Math.max(1, Math.round(chunkMs / cost.msPerStep)) : 1;
    const examples = cost.msPerExample > 0 ? Math.max(10, Math.round(chunkMs / cost.msPerExample)) : 50;
    const t0 = performance.now();
    const r = call(() => pg().fineTuneAdvance(steps, examples));
    const ms = performance.now() - t0;
    // The work was that of the phase the run was in before this call.
    if (cost.phase === "training") cost.msPerStep = ms / steps;
    else cost.msPerExample = ms / examples;
    cost.phase = r.phase;
    if (r.evaluation) return { ...r, describe: modelChanged() };
    return r;
  }

  return {
    /** @param {Requests["predictDrawing"]} msg @returns {Replies["predictDrawing"]} */
    predictDrawing: ({ rgba, width, height, explain = false, class: cls = null }) =>
      call(() =>
        pg().predictDrawing(new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height, explain, cls ?? undefined),
      ),
    /** @param {Requests["testDigitOnPad"]} msg @returns {Replies["testDigitOnPad"]} */
    testDigitOnPad: ({ index }) => call(() => pg().testDigitOnPad(index)),
    /** @param {Requests["evaluateOwn"]} msg @returns {Replies["evaluateOwn"]} */
    evaluateOwn: ({ pixels, labels }) => call(() => pg().evaluateOwn(u8(pixels), u8(labels))),
    /** @param {Requests["ownSetToIdx"]} msg @returns {Replies["ownSetToIdx"]} */
    ownSetToIdx: ({ pixels, labels }) => call(() => wasm().ownSetToIdx(u8(pixels), u8(labels))),
    /** @param {Requests["ownSetFromIdx"]} msg @returns {Promise<Replies["ownSetFromIdx"]>} */
    ownSetFromIdx: async ({ images, labels }) => {
      const [a, b] = await Promise.all([images, labels].map(async (f) => new Uint8Array(await f.arrayBuffer())));
      return call(() => wasm().ownSetFromIdx(a, b));
    },
    /** @param {Requests["fineTuneStart"]} msg @returns {Replies["fineTuneStart"]} */
    fineTuneStart: ({ pixels, labels, config = {} }) => {
      const why = busy();
      if (why) throw new Error(why);
      const r = call(() => pg().fineTuneStart(u8(pixels), u8(labels), config));
      Object.assign(cost, { msPerStep: 0, msPerExample: 0, phase: r.phase });
      return r;
    },
    fineTuneAdvance: advance,
    /** @returns {Replies["fineTuneCancel"]} */
    fineTuneCancel: () => {
      call(() => pg().fineTuneCancel());
      return null;
    },
  };
}
