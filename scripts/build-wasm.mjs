// Builds the wasm variants described in wasm-pack.toml (SIMD and a fallback without) into www/pkg.
//
//   node scripts/build-wasm.mjs [--force] [variant...]
//
// For each variant: wasm-pack build (--no-opt, so wasm-pack.toml's own wasm-opt settings are the
// ones used), then wasm-opt. A variant is skipped when a stamp in its output directory shows it was
// built from the same sources, settings and tool versions.
//
// Then the core's vocabulary (every limit, default and preset; src/vocabulary.rs) is written to
// www/pkg/vocabulary.js, from the wasm's own `vocabulary()` call run in Node: the page imports it,
// so its settings form is there at once, before the worker has loaded the wasm.

import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse } from "smol-toml";
import { ROOT } from "./paths.mjs";

/** wasm-pack.toml, checked: every field the build uses must be there. */
export function readConfig(file = path.join(ROOT, "wasm-pack.toml")) {
  const cfg = parse(fs.readFileSync(file, "utf8"));
  const need = (cond, what) => {
    if (!cond) throw new Error(`wasm-pack.toml: ${what}`);
  };
  need(typeof cfg.tools?.["wasm-pack"] === "string", '[tools] wasm-pack = "<version>" is missing');
  need(typeof cfg.tools?.["wasm-opt"] === "string", '[tools] wasm-opt = "<path>" is missing');
  for (const k of ["target", "profile", "out-name"]) need(typeof cfg.build?.[k] === "string", `[build] ${k} is missing`);
  need(Array.isArray(cfg.variant) && cfg.variant.length > 0, "no [[variant]]");
  for (const v of cfg.variant) {
    for (const k of ["name", "out-dir", "target-dir"]) need(typeof v[k] === "string", `a [[variant]] lacks ${k}`);
    for (const k of ["rustflags", "wasm-opt"]) need(Array.isArray(v[k]), `variant ${v.name}: ${k} must be a list`);
  }
  need(Array.isArray(cfg["wasm-opt"]?.features), "[wasm-opt] features must be a list");
  return cfg;
}

/** The version of a crate pinned in Cargo.lock. */
export function lockedVersion(name) {
  const lock = parse(fs.readFileSync(path.join(ROOT, "Cargo.lock"), "utf8"));
  const pkg = lock.package.find((p) => p.name === name);
  if (!pkg) throw new Error(`${name} is not in Cargo.lock`);
  return pkg.version;
}

const versions = new Map();

/** `cmd --version`, or null when it does not run (asked once per process). */
export function toolVersion(cmd, args = ["--version"]) {
  const key = [cmd, ...args].join(" ");
  if (!versions.has(key)) {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    versions.set(key, r.error || r.status !== 0 ? null : r.stdout.trim());
  }
  return versions.get(key);
}

function filesUnder(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else out.push(p);
  }
  return out;
}

/** A hash of everything a variant's output depends on. */
function fingerprint(cfg, variant) {
  const h = crypto.createHash("sha256");
  const inputs = [
    ...filesUnder(path.join(ROOT, "src")).filter((f) => !f.includes(`${path.sep}bin${path.sep}`)),
    path.join(ROOT, "Cargo.toml"),
    path.join(ROOT, "Cargo.lock"),
  ];
  for (const f of inputs) h.update(path.relative(ROOT, f)).update("\0").update(fs.readFileSync(f)).update("\0");
  h.update(JSON.stringify({ build: cfg.build, variant, features: cfg["wasm-opt"].features }));
  for (const t of [["rustc"], ["wasm-pack"], ["wasm-bindgen"], [wasmOpt(cfg)]]) h.update(String(toolVersion(...t)));
  return h.digest("hex");
}

function wasmOpt(cfg) {
  return path.resolve(ROOT, cfg.tools["wasm-opt"]);
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status})`);
}

/** Builds one variant unless its stamp is current. Returns true when it built. */
export function buildVariant(cfg, variant, { force = false } = {}) {
  const outDir = path.join(ROOT, variant["out-dir"]);
  const stamp = path.join(outDir, ".build-stamp");
  const wasm = path.join(outDir, `${cfg.build["out-name"]}_bg.wasm`);
  const fp = fingerprint(cfg, variant);
  if (!force && fs.existsSync(wasm) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === fp) {
    console.log(`wasm (${variant.name}): up to date`);
    return false;
  }
  console.log(`wasm (${variant.name}): building into ${variant["out-dir"]}`);
  const profile = cfg.build.profile;
  const profileArgs = profile === "release" ? ["--release"] : profile === "dev" ? ["--dev"] : ["--profile", profile];
  run(
    "wasm-pack",
    [
      "build",
      "--mode",
      "no-install",
      "--target",
      cfg.build.target,
      ...profileArgs,
      "--no-opt",
      "--no-pack",
      "--out-dir",
      outDir,
      "--out-name",
      cfg.build["out-name"],
      ROOT,
    ],
    {
      // An empty RUSTFLAGS would still override the user's; it is what the variant asks for.
      RUSTFLAGS: variant.rustflags.join(" "),
      CARGO_TARGET_DIR: path.join(ROOT, variant["target-dir"]),
    },
  );
  const before = fs.statSync(wasm).size;
  run(wasmOpt(cfg), [...cfg["wasm-opt"].features, ...variant["wasm-opt"], wasm, "-o", wasm]);
  const after = fs.statSync(wasm).size;
  console.log(`wasm (${variant.name}): ${(before / 1024).toFixed(0)} KiB -> ${(after / 1024).toFixed(0)} KiB after wasm-opt`);
  fs.writeFileSync(stamp, fp);
  return true;
}

export const VOCABULARY = path.join(ROOT, "www", "pkg", "vocabulary.js");

/** Writes www/pkg/vocabulary.js from the `vocabulary()` of the last variant's wasm build. */
export async function writeVocabulary(cfg = readConfig()) {
  const variant = cfg.variant.at(-1);
  const base = path.join(ROOT, variant["out-dir"], cfg.build["out-name"]);
  const glue = await import(pathToFileURL(`${base}.js`).href);
  glue.initSync({ module: fs.readFileSync(`${base}_bg.wasm`) });
  const text = [
    "// Written by scripts/build-wasm.mjs from the wasm's vocabulary() (src/vocabulary.rs); do not edit.",
    "/** @type {import('../lib/vocabulary.js').Vocabulary} */",
    `export default ${JSON.stringify(glue.vocabulary(), null, 2)};`,
    "",
  ].join("\n");
  if (!fs.existsSync(VOCABULARY) || fs.readFileSync(VOCABULARY, "utf8") !== text) fs.writeFileSync(VOCABULARY, text);
}

export async function buildAll({ force = false, only = [] } = {}) {
  const cfg = readConfig();
  for (const v of cfg.variant) if (only.length === 0 || only.includes(v.name)) buildVariant(cfg, v, { force });
  await writeVocabulary(cfg);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    await buildAll({ force: args.includes("--force"), only: args.filter((a) => !a.startsWith("--")) });
  } catch (e) {
    console.error(`wasm build failed: ${e.message}`);
    process.exit(1);
  }
}
