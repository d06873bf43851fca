// @ts-check
// A worked trace (README "The worked trace") crossing from the worker to the page, and written
// back as JSON, without blocking the page. A trace of a network with a million weights holds
// about ten million numbers: cloned as plain arrays they stop the page's main thread for
// seconds, while transferred as typed arrays they cross at no cost.
//
//   worker:  const { trace, buffers } = typedTrace(JSON.parse(text)); postMessage(trace, buffers)
//   page:    the walk-through (www/walkthrough/) takes the typed arrays as they are
//            await traceJsonParts(trace, { pause })    // JSON text for a download, in pieces
//
// The typed arrays are Float64Arrays holding exactly the doubles JSON.parse read from the core's
// text, so the page computes with the same numbers as anything that parses the core's JSON (the
// command-line walk-through): the same input gives the same Markdown. Small fields (shapes,
// labels, settings, scalars) stay as they are.

/** The per-element fields of a trace's loss. */
const LOSS_ARRAYS = ["per_example", "outputs", "probs", "targets", "grad", "p_predicted", "p_rest"];

/**
 * Calls `fn(holder, key)` for every per-element array of `trace`: the input, each layer's output,
 * output gradient and argmax, each parameter's before, grad, after and optimizer arrays, and the
 * loss's arrays.
 * @param {any} trace
 * @param {(holder: any, key: string) => void} fn
 */
function eachArray(trace, fn) {
  fn(trace, "input");
  if (trace.input_grad != null) fn(trace, "input_grad");
  for (const ly of trace.layers) {
    for (const k of ["output", "grad_output", "argmax"]) if (ly[k] != null) fn(ly, k);
    for (const p of ly.params) {
      for (const k of ["before", "grad", "after"]) fn(p, k);
      for (const k of Object.keys(p.update)) if (typeof p.update[k] === "object" && p.update[k] !== null) fn(p.update, k);
    }
  }
  for (const k of LOSS_ARRAYS) if (trace.loss[k] != null) fn(trace.loss, k);
}

/**
 * Turns the per-element arrays of a parsed trace (changed in place) into Float64Arrays.
 * @param {any} trace
 * @returns {{trace: any, buffers: ArrayBuffer[]}} the trace and the buffers to transfer
 */
export function typedTrace(trace) {
  /** @type {ArrayBuffer[]} */
  const buffers = [];
  eachArray(trace, (o, k) => {
    if (!Array.isArray(o[k])) return;
    const a = Float64Array.from(o[k]);
    o[k] = a;
    buffers.push(a.buffer);
  });
  return { trace, buffers };
}

/** How many numbers are written between two pauses (a few milliseconds of work). */
const PIECE = 200_000;

/** @param {any} v */
const isNumbers = (v) => ArrayBuffer.isView(v) || (Array.isArray(v) && v.length > 0 && typeof v[0] === "number");

/**
 * The trace as compact JSON text, in parts for a Blob, written `PIECE` numbers at a time with
 * `pause()` between pieces. Numbers are written as JavaScript writes doubles, which for the
 * doubles JSON.parse read from the core gives back the core's own digits.
 * @param {any} value a trace (or anything JSON-like holding typed or plain number arrays)
 * @param {{pause?: () => Promise<void>}} [o]
 * @returns {Promise<string[]>}
 */
export async function traceJsonParts(value, { pause = async () => {} } = {}) {
  /** @type {string[]} */
  const parts = [];
  let count = 0;
  /** @param {any} v */
  const write = async (v) => {
    if (isNumbers(v)) {
      parts.push("[");
      for (let from = 0; from < v.length; from += PIECE) {
        const to = Math.min(v.length, from + PIECE);
        const out = new Array(to - from);
        for (let i = from; i < to; i++) out[i - from] = Number.isFinite(v[i]) ? String(v[i]) : "null";
        parts.push(from ? "," : "", out.join(","));
        count += to - from;
        if (count >= PIECE) {
          count = 0;
          await pause();
        }
      }
      parts.push("]");
    } else if (Array.isArray(v)) {
      parts.push("[");
      for (let i = 0; i < v.length; i++) {
        if (i) parts.push(",");
        await write(v[i]);
      }
      parts.push("]");
    } else if (v && typeof v === "object") {
      parts.push("{");
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined || typeof x === "function") continue;
        parts.push(first ? "" : ",", JSON.stringify(k), ":");
        first = false;
        await write(x);
      }
      parts.push("}");
    } else parts.push(JSON.stringify(v) ?? "null");
  };
  await write(value);
  return parts;
}
