// @ts-check
// The second core: a second instance of the wasm core in its own worker (www/core-worker.js) that
// computes every other shard of each training batch (src/parallel.rs, `ShardHelper`). The two
// workers meet in a SharedArrayBuffer and wait for each other with Atomics.wait/notify (inside
// workers only, never on the page's thread). The training worker's core adds the shards'
// gradients in shard order, so one core and two give the same bits; it runs the optimizer and
// sends the weights with each step's first shard.
//
// Shared memory needs a cross-origin isolated page (COOP/COEP headers: scripts/serve.mjs sends
// them; a plain static host does not): without it training stays on one core.

/**
 * Two cores are used when the page allows it. Off (a switch for measuring or for a host that
 * misbehaves): training always runs on one core, the page says nothing about cores, and
 * tests/browser/cores.test.mjs is skipped.
 */
export const TWO_CORES = true;

/** The shared memory: a header of 32 int32 words (the loss as a float64 at byte 64), then data. */
const HEADER_BYTES = 128;
const STATE = 0;
const WEIGHTS = 1; // weights sent with this shard (0: the last ones)
const EXAMPLES = 2;
const BATCH = 3;
const DROPOUT = 4;
const ARCH_BYTES = 5;
const CORRECT = 6;
const GRADIENT = 7;
const PARAMS = 8; // the network's parameter count (where the gradient lies)
const DATA = 9; // how many training sets were sent: the other side serves only the latest
const HEAP = 10; // the other side's wasm memory, in 64 KiB pages (as of its last answer)
const LOSS_AT = 64;

/** States of the header's first word. */
export const IDLE = 0;
export const SHARD = 1;
export const CONFIGURE = 2;
export const DONE = 3;
export const FAILED = 4;
export const RELEASE = 5;

/** How long the training worker waits for a shard before it gives the second core up. */
const WAIT_MS = 20000;

/**
 * Where each array lies in the shared memory (bytes), from the header.
 * @param {Int32Array} h
 */
export function layout(h) {
  const params = h[PARAMS];
  const weights = HEADER_BYTES;
  const gradient = weights + 4 * params;
  const examples = gradient + 4 * params;
  const dropout = examples + 4 * h[EXAMPLES];
  const arch = dropout + 4 * h[DROPOUT];
  return { weights, gradient, examples, dropout, arch, end: arch + h[ARCH_BYTES] };
}

/** Header word names, for core-worker.js. */
export const H = { STATE, WEIGHTS, EXAMPLES, BATCH, DROPOUT, ARCH_BYTES, CORRECT, GRADIENT, PARAMS, DATA, HEAP, LOSS_AT };

/** The training worker's side: what src/wasm.rs imports as `Cores`. */
export class Cores {
  /**
   * The second core, or null when the page is not cross-origin isolated (or two cores are off).
   * @param {string} variant the wasm build the training worker runs ("simd" | "nosimd"): the same
   *   build on both sides, so that both compute the same bits
   */
  static start(variant) {
    if (!TWO_CORES || !self.crossOriginIsolated || typeof SharedArrayBuffer !== "function") return null;
    try {
      return new Cores(variant);
    } catch {
      return null;
    }
  }

  /** @param {string} variant */
  constructor(variant) {
    // Growable in place: the other side sees the new length without a message.
    /** @type {SharedArrayBuffer & {grow(bytes: number): void, maxByteLength: number}} */
    this.sab = new /** @type {any} */ (SharedArrayBuffer)(1 << 20, { maxByteLength: 1 << 30 });
    this.h = new Int32Array(this.sab, 0, HEADER_BYTES / 4);
    this.ready = false;
    this.broken = false;
    /** @type {string | null} the architecture the other side has */
    this.arch = null;
    this.worker = new Worker(new URL("../core-worker.js", import.meta.url), { type: "module" });
    this.worker.onmessage = (e) => {
      if (e.data?.type === "ready" && e.data.data === Atomics.load(this.h, DATA)) this.ready = !this.broken;
      if (e.data?.type === "failed") this.fail();
    };
    this.worker.onerror = () => this.fail();
    this.worker.postMessage({ type: "start", variant, sab: this.sab });
  }

  /** The second core's wasm memory in bytes (0 when it is not running). */
  get heapBytes() {
    return this.ready ? Atomics.load(this.h, HEAP) * 65536 : 0;
  }

  /** How many cores training runs on now. */
  get count() {
    return this.ready ? 2 : 1;
  }

  fail() {
    this.broken = true;
    this.ready = false;
  }

  /**
   * The training set for the other side (copies; it answers "ready" once it holds them).
   * @param {Uint8Array} images @param {Uint8Array} labels
   */
  setData(images, labels) {
    if (this.broken) return;
    this.ready = false;
    this.arch = null;
    // A serving loop lets go of the shared memory and takes the message.
    const data = Atomics.add(this.h, DATA, 1) + 1;
    Atomics.store(this.h, STATE, RELEASE);
    Atomics.notify(this.h, STATE);
    this.worker.postMessage({ type: "data", images, labels, data });
  }

  /** @param {number} bytes */
  fits(bytes) {
    if (bytes <= this.sab.byteLength) return true;
    if (bytes > this.sab.maxByteLength) return false;
    this.sab.grow(Math.min(this.sab.maxByteLength, Math.max(bytes, 2 * this.sab.byteLength)));
    return true;
  }

  /** Waits for the other side's answer; false (and the second core given up) when it failed. */
  wait() {
    for (;;) {
      const s = Atomics.load(this.h, STATE);
      if (s === DONE) return true;
      if (s !== SHARD && s !== CONFIGURE) break;
      if (Atomics.wait(this.h, STATE, s, WAIT_MS) === "timed-out") break;
    }
    this.fail();
    return false;
  }

  /** @param {string} arch the network's architecture (JSON) */
  configure(arch) {
    if (!this.ready) return false;
    if (arch === this.arch) return true;
    const bytes = new TextEncoder().encode(arch);
    this.h[PARAMS] = 0;
    this.h[EXAMPLES] = 0;
    this.h[DROPOUT] = 0;
    this.h[ARCH_BYTES] = bytes.length;
    const at = layout(this.h);
    if (!this.fits(at.end)) return false;
    new Uint8Array(this.sab, at.arch, bytes.length).set(bytes);
    Atomics.store(this.h, STATE, CONFIGURE);
    Atomics.notify(this.h, STATE);
    if (!this.wait()) return false;
    Atomics.store(this.h, STATE, IDLE);
    this.arch = arch;
    return true;
  }

  /**
   * A shard for the other side (src/parallel.rs `ShardHelper::start`).
   * @param {Float32Array} weights @param {Uint32Array} examples @param {number} batch @param {Uint32Array} dropout
   */
  start(weights, examples, batch, dropout) {
    if (!this.ready || Atomics.load(this.h, STATE) !== IDLE) return false;
    if (weights.length > 0) this.h[PARAMS] = weights.length;
    this.h[WEIGHTS] = weights.length;
    this.h[EXAMPLES] = examples.length;
    this.h[BATCH] = batch;
    this.h[DROPOUT] = dropout.length;
    this.h[ARCH_BYTES] = 0;
    const at = layout(this.h);
    if (!this.fits(at.end)) return false;
    if (weights.length > 0) new Float32Array(this.sab, at.weights, weights.length).set(weights);
    new Uint32Array(this.sab, at.examples, examples.length).set(examples);
    new Uint32Array(this.sab, at.dropout, dropout.length).set(dropout);
    Atomics.store(this.h, STATE, SHARD);
    Atomics.notify(this.h, STATE);
    return true;
  }

  /** The started shard's `[loss share, right answers]`, or undefined when it failed. */
  finish() {
    if (!this.wait()) return undefined;
    Atomics.store(this.h, STATE, IDLE);
    return [new Float64Array(this.sab, LOSS_AT, 1)[0], this.h[CORRECT]];
  }

  /** The finished shard's gradient (a view of the shared memory). */
  gradient() {
    return new Float32Array(this.sab, layout(this.h).gradient, this.h[GRADIENT]);
  }
}

/** @type {{two: string, one: string, one_not_isolated: string} | null} */
let words = null;

/**
 * How many cores training runs on, with the page's words for it (src/vocabulary.rs `CORES`); null
 * when two cores are switched off.
 * @param {Cores | null} cores
 * @param {() => {two: string, one: string, one_not_isolated: string}} vocabulary the core's words
 */
export function coresNote(cores, vocabulary) {
  if (!TWO_CORES) return null;
  words ??= vocabulary();
  if (cores?.ready) return { count: 2, text: words.two };
  return { count: 1, text: self.crossOriginIsolated ? words.one : words.one_not_isolated };
}
