// The set-up step behind both README commands: installs what is missing, builds, and prepares
// everything the page loads. Every step is skipped when its result is already there and current,
// so running it again takes seconds.
//
//   node scripts/setup.mjs            for serving the page (npm start)
//   node scripts/setup.mjs --test     also makes sure a Chromium is there (npm test)
//
// Steps: npm packages · Rust's wasm target · wasm-bindgen-cli (the Cargo.lock version) · wasm-pack
// (the wasm-pack.toml version) · [Chromium] · the native CLI (release) · both wasm builds ·
// front-end libraries into www/vendor · the data (scripts/data.mjs) · the default model, trained
// by the CLI into www/model/default.safetensors.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./paths.mjs";

export { ROOT };

const EXE = process.platform === "win32" ? ".exe" : "";
export const CLI = path.join(ROOT, "target", "release", `backprop-lab${EXE}`);
export const DEFAULT_MODEL = path.join(ROOT, "www", "model", "default.safetensors");

// The default model: the CNN (it reads drawn digits best), trained with a fixed seed on about
// 60,000 examples (one epoch of full MNIST, or several of a smaller data set).
export const DEFAULT_MODEL_ARGS = { model: "cnn", batch: 64, lr: 0.001, seed: 1, samples: 60000 };

class SetupError extends Error {}

function log(msg) {
  console.log(`setup: ${msg}`);
}

function run(cmd, args, { env = {}, quiet = false } = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: quiet ? "pipe" : "inherit", env: { ...process.env, ...env }, encoding: "utf8" });
  if (r.error) throw new SetupError(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new SetupError(`\`${cmd} ${args.join(" ")}\` failed (exit ${r.status})${quiet ? `:\n${r.stderr}` : ""}`);
  return r.stdout;
}

function output(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
  return r.error || r.status !== 0 ? null : r.stdout.trim();
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** Runs a step, printing how long it took when it took a while. */
async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  const s = (Date.now() - t0) / 1000;
  if (s >= 2) log(`${name} took ${s.toFixed(0)} s`);
}

// --- tools ---------------------------------------------------------------------------------------

function npmPackages() {
  const stamp = path.join(ROOT, "node_modules", ".package-lock.json");
  if (mtime(stamp) >= mtime(path.join(ROOT, "package-lock.json")) && mtime(stamp) >= mtime(path.join(ROOT, "package.json"))) {
    return log("npm packages: present");
  }
  log("npm packages: installing (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

function rust() {
  if (!output("cargo", ["--version"])) {
    throw new SetupError("Rust is not installed; install it with rustup (https://rustup.rs) and run this again");
  }
  const targets = output("rustup", ["target", "list", "--installed"]);
  if (targets === null) {
    log("rustup not found; assuming the wasm32-unknown-unknown target is available");
  } else if (!targets.split("\n").includes("wasm32-unknown-unknown")) {
    log("Rust target wasm32-unknown-unknown: installing");
    run("rustup", ["target", "add", "wasm32-unknown-unknown"]);
  } else {
    log("Rust target wasm32-unknown-unknown: present");
  }
}

/** rustfmt and clippy, which the test command's guard rails run. */
function rustComponents() {
  const have = output("rustup", ["component", "list", "--installed"]);
  if (have === null) return log("rustup not found; assuming rustfmt and clippy are available");
  const missing = ["rustfmt", "clippy"].filter((c) => !have.split("\n").some((l) => l.startsWith(`${c}-`)));
  if (!missing.length) return log("rustfmt and clippy: present");
  log(`Rust components ${missing.join(", ")}: installing`);
  run("rustup", ["component", "add", ...missing]);
}

async function cargoTool(crate, bin, version) {
  const have = output(bin, ["--version"]);
  if (have && have.split(/\s+/)[1] === version) return log(`${crate} ${version}: present`);
  log(`${crate} ${version}: installing with cargo (${have ? `found ${have}` : "not found"}); this takes a few minutes`);
  await step(`installing ${crate}`, () => {
    try {
      run("cargo", ["install", crate, "--version", `=${version}`, "--locked"]);
    } catch (e) {
      // A published lock file can pin a crate that has since been yanked (wasm-bindgen-cli
      // 0.2.130's pins webpki-roots 1.0.11), and then --locked cannot resolve at all: install
      // with freshly resolved dependencies instead.
      log(`${crate}: the locked install failed (${e.message}); trying again without --locked`);
      run("cargo", ["install", crate, "--version", `=${version}`]);
    }
  });
}

function chromium() {
  const exe = process.env.CHROMIUM || "/usr/bin/chromium";
  if (fs.existsSync(exe)) return log(`Chromium: present (${exe})`);
  if (process.platform === "linux" && output("apt-get", ["--version"]) && process.getuid?.() === 0) {
    log("Chromium: installing with apt-get");
    run("apt-get", ["update"]);
    run("apt-get", ["install", "-y", "chromium"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
    return;
  }
  throw new SetupError(
    `the browser tests need Chromium at ${exe} (Debian/Ubuntu: sudo apt-get install chromium), or set CHROMIUM=/path/to/chromium`,
  );
}

// --- builds ---------------------------------------------------------------------------------------

function nativeCli() {
  log("native CLI: cargo build --release");
  run("cargo", ["build", "--release", "--locked", "--bin", "backprop-lab"]);
}

async function wasmBuilds() {
  const { buildAll } = await import("./build-wasm.mjs");
  await buildAll();
}

/** Copies a file or directory tree when the copy is missing or differs in size or age. */
function syncCopy(from, to) {
  const st = fs.statSync(from);
  if (st.isDirectory()) {
    fs.mkdirSync(to, { recursive: true });
    let n = 0;
    for (const e of fs.readdirSync(from)) n += syncCopy(path.join(from, e), path.join(to, e));
    return n;
  }
  if (fs.existsSync(to)) {
    const t = fs.statSync(to);
    if (t.size === st.size && t.mtimeMs >= st.mtimeMs) return 0;
  }
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
  return 1;
}

/** Front-end libraries, served from our own origin (the page never loads from elsewhere). */
function vendor() {
  const katex = path.join(ROOT, "node_modules", "katex");
  const out = path.join(ROOT, "www", "vendor", "katex");
  let n = 0;
  for (const f of ["katex.min.js", "katex.mjs", "katex.min.css"]) n += syncCopy(path.join(katex, "dist", f), path.join(out, f));
  n += syncCopy(path.join(katex, "dist", "fonts"), path.join(out, "fonts"));
  n += syncCopy(path.join(katex, "LICENSE"), path.join(out, "LICENSE"));
  log(`vendored libraries: ${n ? `${n} files copied` : "up to date"} (www/vendor/katex)`);
}

async function data() {
  const { prepareData } = await import("./data.mjs");
  return prepareData({ log: (s) => log(s) });
}

async function defaultModel(manifest) {
  const manifestFile = path.join(ROOT, "www", "data", "manifest.json");
  const stamp = DEFAULT_MODEL + ".json";
  const a = DEFAULT_MODEL_ARGS;
  const epochs = Math.max(1, Math.round(a.samples / manifest.train));
  const recipe = { ...a, epochs, data: manifest.description, sha256: manifest.files.trainImages.sha256 };
  let previous = null;
  try {
    previous = JSON.parse(fs.readFileSync(stamp, "utf8"));
  } catch {}
  const t = mtime(DEFAULT_MODEL);
  if (t && t >= mtime(manifestFile) && t >= mtime(CLI) && JSON.stringify(previous) === JSON.stringify(recipe)) {
    return log("default model: up to date (www/model/default.safetensors)");
  }
  log(`default model: training ${a.model}, ${epochs} epoch${epochs > 1 ? "s" : ""} on ${manifest.description} (seed ${a.seed})`);
  fs.mkdirSync(path.dirname(DEFAULT_MODEL), { recursive: true });
  const tmp = DEFAULT_MODEL + ".partial";
  const args = [
    "train",
    "--model",
    a.model,
    "--epochs",
    String(epochs),
    "--batch",
    String(a.batch),
    "--lr",
    String(a.lr),
    "--seed",
    String(a.seed),
    "--data",
    path.join(ROOT, "www", "data"),
    "--out",
    tmp,
  ];
  await step("training the default model", () => run(CLI, args));
  fs.renameSync(tmp, DEFAULT_MODEL);
  fs.writeFileSync(stamp, JSON.stringify(recipe));
}

// --- all of it ----------------------------------------------------------------------------------

export async function setup({ test = false } = {}) {
  const t0 = Date.now();
  const [major] = process.versions.node.split(".").map(Number);
  if (major < 20) throw new SetupError(`Node.js 20 or newer is needed, found ${process.versions.node}`);
  npmPackages();
  const { readConfig, lockedVersion } = await import("./build-wasm.mjs");
  rust();
  await cargoTool("wasm-bindgen-cli", "wasm-bindgen", lockedVersion("wasm-bindgen"));
  await cargoTool("wasm-pack", "wasm-pack", readConfig().tools["wasm-pack"]);
  if (test) {
    rustComponents();
    chromium();
  }
  await step("native build", nativeCli);
  await step("wasm builds", wasmBuilds);
  vendor();
  const manifest = await data();
  await defaultModel(manifest);
  log(`ready (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  setup({ test: process.argv.includes("--test") }).catch((e) => {
    console.error(`\nsetup failed: ${e.message}`);
    if (!(e instanceof SetupError)) console.error(e.stack);
    process.exit(1);
  });
}
