// @ts-check
// The anchor of the browser benchmark: TensorFlow.js 4.22 with its wasm backend (the SIMD build,
// one thread) training the benchmark's two models as the page trains ours: in a worker, on the
// data in www/data, batch 64, Adam (lr 0.001, β1 0.9, β2 0.999, ε 1e-8), a seeded shuffle per
// epoch, softmax cross-entropy on the logits; the test set is evaluated after each epoch, timed
// apart. scripts/bench.mjs serves TF.js from node_modules (it is never part of the page).
//
// The wasm backend has no Conv2DBackpropFilter kernel (the gradient of a convolution's filter), so
// it cannot train a CNN as shipped; conv2DBackpropFilter below adds one, built from kernels it has.
//
// Request: {model: "mlp-128" | "cnn", epochs, base, limit?} (limit: train on the first `limit`
// examples only, for a quick check). Replies: {type: "progress", ...},
// then {type: "done", result} or {type: "error", message}.

/** @type {any} */
const scope = self;
scope.importScripts(
  "/__bench__/tfjs/tfjs-core/dist/tf-core.min.js",
  "/__bench__/tfjs/tfjs-layers/dist/tf-layers.min.js",
  "/__bench__/tfjs/tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
);
/** @type {any} */
const tf = scope.tf;

const BATCH = 64;

/**
 * ∂L/∂W of a 2-D convolution, NHWC, filter [kh, kw, cin, cout], stride s, no padding:
 * dW[i, j, :, :] = Σ_{n, y, x} x[n, y·s + i, x·s + j, :]ᵀ dy[n, y, x, :].
 * As im2col and one matrix product: the kh·kw shifted views of x, side by side, are the columns
 * [N·OH·OW, kh·kw·cin]; their transpose times dy [N·OH·OW, cout] is dW, flattened.
 * @param {{inputs: {x: any, dy: any}, backend: any, attrs: any}} args
 */
function conv2DBackpropFilter({ inputs, backend, attrs }) {
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dilations, filterShape } = attrs;
  const [sh, sw] = typeof strides === "number" ? [strides, strides] : strides;
  const dil = dilations == null ? [1, 1] : typeof dilations === "number" ? [dilations, dilations] : dilations;
  if ((dataFormat ?? "NHWC") !== "NHWC" || dil[0] !== 1 || dil[1] !== 1 || !(pad === "valid" || pad === 0)) {
    throw new Error(`conv2DBackpropFilter: only NHWC, no dilation and no padding (got ${dataFormat}, ${dil}, ${pad})`);
  }
  const [kh, kw, cin, cout] = filterShape;
  const [n, oh, ow] = dy.shape;
  const run = (/** @type {string} */ name, /** @type {any} */ inputs, /** @type {any} */ attrs) =>
    tf.getKernel(name, "wasm").kernelFunc({ inputs, backend, attrs });
  const temps = [];
  const keep = (/** @type {any} */ t) => (temps.push(t), t);
  const views = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      views.push(
        keep(
          run(
            "StridedSlice",
            { x },
            {
              begin: [0, i, j, 0],
              end: [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, cin],
              strides: [1, sh, sw, 1],
              beginMask: 0,
              endMask: 0,
              ellipsisMask: 0,
              newAxisMask: 0,
              shrinkAxisMask: 0,
            },
          ),
        ),
      );
    }
  }
  const cols = keep(run("Concat", views, { axis: 3 }));
  const a = keep(run("Reshape", { x: cols }, { shape: [1, n * oh * ow, kh * kw * cin] }));
  const b = keep(run("Reshape", { x: dy }, { shape: [1, n * oh * ow, cout] }));
  const dw = keep(run("BatchMatMul", { a, b }, { transposeA: true, transposeB: false }));
  const out = run("Reshape", { x: dw }, { shape: [kh, kw, cin, cout] });
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

/**
 * The added kernel against the definition, computed by plain loops on a small case with a stride
 * of 2: the benchmark trains with it only if they agree.
 */
function checkConv2DBackpropFilter() {
  const [n, h, w, cin, k, cout, s] = [2, 7, 6, 2, 3, 3, 2];
  const [oh, ow] = [Math.floor((h - k) / s) + 1, Math.floor((w - k) / s) + 1];
  const x = Float32Array.from({ length: n * h * w * cin }, (_, i) => Math.sin(i * 1.3));
  const dy = Float32Array.from({ length: n * oh * ow * cout }, (_, i) => Math.cos(i * 0.7));
  const want = new Float64Array(k * k * cin * cout);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let z = 0; z < ow; z++)
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++)
            for (let c = 0; c < cin; c++)
              for (let o = 0; o < cout; o++)
                want[((i * k + j) * cin + c) * cout + o] +=
                  x[((b * h + y * s + i) * w + z * s + j) * cin + c] * dy[((b * oh + y) * ow + z) * cout + o];
  // ∂/∂W of Σ conv2d(x, W) ⊙ dy is the filter gradient for the upstream gradient dy: the path
  // training takes through TF.js's gradient of conv2d, which runs the kernel.
  const got = tf.tidy(() => {
    const [xs, dys] = [tf.tensor(x, [n, h, w, cin]), tf.tensor(dy, [n, oh, ow, cout])];
    const f = (/** @type {any} */ filter) => tf.sum(tf.mul(tf.conv2d(xs, filter, s, "valid"), dys));
    return tf
      .grad(f)(tf.zeros([k, k, cin, cout]))
      .dataSync();
  });
  const worst = Math.max(...want.map((v, i) => Math.abs(v - got[i])));
  if (!(worst < 1e-4)) throw new Error(`the added Conv2DBackpropFilter is wrong (off by ${worst})`);
}

/** Downloads and gunzips one file of the data set. */
async function fetchGz(/** @type {string} */ url) {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status}`);
  return new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
}

/** The pixels (bytes, 784 per image) or labels of an IDX file. */
function idx(/** @type {Uint8Array} */ bytes, /** @type {number} */ dims) {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const count = view.getUint32(4);
  return { count, values: bytes.subarray(4 + 4 * dims) };
}

async function loadData(/** @type {string} */ base) {
  const manifest = await (await fetch(`${base}/manifest.json`)).json();
  const get = (/** @type {string} */ key, /** @type {number} */ dims) =>
    fetchGz(`${base}/${manifest.files[key].path}`).then((b) => idx(b, dims));
  const [trainX, trainY, testX, testY] = await Promise.all([
    get("trainImages", 3),
    get("trainLabels", 1),
    get("testImages", 3),
    get("testLabels", 1),
  ]);
  return { train: { x: trainX.values, y: trainY.values, n: trainX.count }, test: { x: testX.values, y: testY.values, n: testX.count } };
}

/** The benchmark's models, as Keras builds them (He normal before ReLU, Glorot uniform after). */
function build(/** @type {string} */ model) {
  const m = tf.sequential();
  if (model === "mlp-128") {
    m.add(tf.layers.dense({ inputShape: [784], units: 128, activation: "relu", kernelInitializer: "heNormal" }));
    m.add(tf.layers.dense({ units: 10 }));
  } else if (model === "cnn") {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: "relu", kernelInitializer: "heNormal" }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: "heNormal" }));
    m.add(tf.layers.dense({ units: 10 }));
  } else throw new Error(`unknown model ${model}`);
  return m;
}

/** mulberry32: a small seeded generator for the shuffle. */
function random(/** @type {number} */ seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A batch of examples `ids` as a tensor of pixels in [0, 1] and one-hot labels. */
function batch(/** @type {any} */ set, /** @type {ArrayLike<number>} */ ids, /** @type {number[]} */ shape) {
  const x = new Float32Array(ids.length * 784);
  const y = new Int32Array(ids.length);
  for (let k = 0; k < ids.length; k++) {
    const i = ids[k];
    const src = set.x.subarray(i * 784, (i + 1) * 784);
    for (let p = 0; p < 784; p++) x[k * 784 + p] = src[p] / 255;
    y[k] = set.y[i];
  }
  return { xs: tf.tensor(x, [ids.length, ...shape]), ys: tf.oneHot(tf.tensor1d(y, "int32"), 10), labels: y };
}

async function train(/** @type {{model: string, epochs: number, base: string, limit?: number}} */ { model, epochs, base, limit }) {
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  tf.wasm.setWasmPaths("/__bench__/tfjs/tfjs-backend-wasm/dist/");
  tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: conv2DBackpropFilter });
  if (!(await tf.setBackend("wasm"))) throw new Error("the TF.js wasm backend did not start");
  await tf.ready();
  checkConv2DBackpropFilter();
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const data = await loadData(base);
  if (limit) data.train.n = Math.min(limit, data.train.n);
  const shape = model === "cnn" ? [28, 28, 1] : [784];
  const net = build(model);
  const optimizer = tf.train.adam(0.001, 0.9, 0.999, 1e-8);
  const rand = random(1);
  const order = Int32Array.from({ length: data.train.n }, (_, i) => i);
  const results = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const t0 = performance.now();
    let lossSum = 0;
    for (let start = 0; start < order.length; start += BATCH) {
      const ids = order.subarray(start, Math.min(start + BATCH, order.length));
      const { xs, ys } = batch(data.train, ids, shape);
      const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, net.apply(xs, { training: true })), true);
      lossSum += loss.dataSync()[0] * ids.length;
      tf.dispose([xs, ys, loss]);
      if ((start / BATCH) % 100 === 0) postMessage({ type: "progress", epoch, done: start + ids.length, of: order.length });
    }
    const seconds = (performance.now() - t0) / 1000;
    const e0 = performance.now();
    let correct = 0;
    for (let start = 0; start < data.test.n; start += 500) {
      const ids = Int32Array.from({ length: Math.min(500, data.test.n - start) }, (_, k) => start + k);
      const { xs, ys, labels } = batch(data.test, ids, shape);
      const predicted = tf.tidy(() => tf.argMax(net.predict(xs), -1)).dataSync();
      for (let k = 0; k < ids.length; k++) correct += predicted[k] === labels[k] ? 1 : 0;
      tf.dispose([xs, ys]);
    }
    results.push({
      epoch,
      seconds,
      samples_per_s: data.train.n / seconds,
      loss: lossSum / data.train.n,
      eval_seconds: (performance.now() - e0) / 1000,
      test_accuracy: correct / data.test.n,
    });
  }
  return { model, version: tf.version_core, backend: tf.getBackend(), simd, threads: 1, train: data.train.n, epochs: results };
}

onmessage = async (/** @type {MessageEvent} */ e) => {
  try {
    postMessage({ type: "done", result: await train(e.data) });
  } catch (err) {
    postMessage({ type: "error", message: String(err?.stack ?? err) });
  }
};
