// The static build: a folder any web host can serve as it is, with no server code and no special
// headers, that works offline after the first visit.
//
//   node scripts/build.mjs [--out DIR] [--no-setup]        (npm run build; DIR defaults to dist/)
//
// It runs the set-up step first (--no-setup: only checks that its results are there), then copies
// www/ as it is (no bundling: the page is already plain ES modules), minus what a browser never
// asks for, and changes two files:
//   index.html  gains the Content-Security-Policy as a <meta http-equiv> tag (the one serve.mjs
//               sends as a header, minus frame-ancestors, which only a header can carry) and the
//               tag that makes www/lib/offline.js register the service worker;
//   sw.js       gains the precache manifest: every other file with the SHA-256 of its bytes, and a
//               version, the hash of that list (so the cache is versioned by content).
// The new folder is written beside the old one and swapped in at the end, so a server serving it
// never sees half a build.
//
// A plain host sends no Cross-Origin-Opener-Policy / Embedder-Policy headers, so the build is not
// cross-origin isolated (no SharedArrayBuffer); the page must not need it.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setup } from "./setup.mjs";
import { ROOT } from "./paths.mjs";
import { CSP_META } from "./serve.mjs";

export const WWW = path.join(ROOT, "www");
export const DIST = path.join(ROOT, "dist");

/** The service worker and the tag that asks the page to register it (see www/lib/offline.js). */
const SW = "sw.js";
const SW_BUILD_LINE = "const BUILD = null;";

/** What the set-up step makes, that the build cannot do without. */
const NEEDED = [
  ["pkg/simd/backprop_lab.js", "the wasm build"],
  ["pkg/simd/backprop_lab_bg.wasm", "the wasm build"],
  ["pkg/nosimd/backprop_lab.js", "the wasm fallback build"],
  ["pkg/nosimd/backprop_lab_bg.wasm", "the wasm fallback build"],
  ["vendor/katex/katex.mjs", "the vendored KaTeX"],
  ["data/manifest.json", "the data"],
  ["model/default.safetensors", "the default model"],
];

/**
 * Files of www/ a browser never asks for. `rel` uses "/" on every platform.
 * @type {Array<[string, (rel: string) => boolean]>}
 */
const LEAVE_OUT = [
  ["dot files (build stamps, .gitignore)", (rel) => rel.split("/").some((part) => part.startsWith("."))],
  ["TypeScript declarations of the wasm builds", (rel) => rel.endsWith(".d.ts")],
  ["set-up stamps and unfinished files", (rel) => rel.endsWith(".safetensors.json") || rel.endsWith(".partial")],
  // KaTeX's CSS offers each font as woff2, then woff, then ttf; a browser takes the first it can
  // read, and every browser that runs module workers (which the page needs) reads woff2.
  ["KaTeX's woff and ttf fonts", (rel) => rel.startsWith("vendor/katex/fonts/") && !rel.endsWith(".woff2")],
];

class BuildError extends Error {}

/** Every file under `dir`, as "/"-separated paths relative to it, sorted. */
function listFiles(dir, rel = "") {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/** The data files: manifest.json and the files it names (nothing else that may lie in www/data). */
function dataFiles(src) {
  const manifest = JSON.parse(fs.readFileSync(path.join(src, "data", "manifest.json"), "utf8"));
  return new Set(["data/manifest.json", ...Object.values(manifest.files).map((f) => `data/${f.path}`)]);
}

/** index.html with the policy and the service-worker tag right after <meta charset>, before anything they govern. */
function buildIndexHtml(html) {
  const charset = /<meta charset="utf-8" \/>\n/i;
  if (!charset.test(html)) throw new BuildError('www/index.html has no <meta charset="utf-8" /> line to put the policy after');
  if (CSP_META.includes('"')) throw new BuildError("the Content-Security-Policy contains a double quote");
  return html.replace(
    charset,
    (line) =>
      line +
      `    <meta http-equiv="Content-Security-Policy" content="${CSP_META}" />\n` +
      `    <meta name="backprop-lab:service-worker" content="${SW}" />\n`,
  );
}

const sha256 = (bytes) => crypto.createHash("sha256").update(bytes).digest("hex");

/**
 * Writes the static site. Returns {out, version, files: [{path, bytes, sha256}], bytes}.
 * @param {{src?: string, out?: string}} options
 */
export function build({ src = WWW, out = DIST } = {}) {
  const missing = NEEDED.filter(([f]) => !fs.existsSync(path.join(src, f)));
  if (missing.length) {
    throw new BuildError(`missing ${[...new Set(missing.map(([, what]) => what))].join(", ")}; run \`npm run setup\` first`);
  }
  const data = dataFiles(src);
  for (const f of data) if (!fs.existsSync(path.join(src, f))) throw new BuildError(`missing ${f}; run \`npm run data -- --force\``);

  const files = listFiles(src).filter((rel) => (rel.startsWith("data/") ? data.has(rel) : !LEAVE_OUT.some(([, skip]) => skip(rel))));
  for (const rel of files) {
    // The service worker builds URLs from these names as they are.
    if (!/^[A-Za-z0-9._\-/]+$/.test(rel)) throw new BuildError(`www/${rel}: only letters, digits, "._-" in file names, please`);
  }
  if (!files.includes(SW) || !files.includes("index.html")) throw new BuildError(`www/ lacks index.html or ${SW}`);

  const tmp = `${out}.partial`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const listed = [];
  for (const rel of files) {
    if (rel === SW) continue;
    let bytes = fs.readFileSync(path.join(src, rel));
    if (rel === "index.html") bytes = Buffer.from(buildIndexHtml(bytes.toString("utf8")));
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), bytes);
    listed.push({ path: rel, bytes: bytes.length, sha256: sha256(bytes) });
  }
  const manifest = Object.fromEntries(listed.map((f) => [f.path, f.sha256]));
  const version = sha256(JSON.stringify(manifest)).slice(0, 16);
  const sw = fs.readFileSync(path.join(src, SW), "utf8");
  if (sw.split(SW_BUILD_LINE).length !== 2) throw new BuildError(`www/${SW} must hold the line \`${SW_BUILD_LINE}\` exactly once`);
  const swBytes = Buffer.from(sw.replace(SW_BUILD_LINE, `const BUILD = ${JSON.stringify({ version, files: manifest })};`));
  fs.writeFileSync(path.join(tmp, SW), swBytes);

  // Swap the new folder in.
  const old = `${out}.old`;
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(out)) fs.renameSync(out, old);
  fs.renameSync(tmp, out);
  fs.rmSync(old, { recursive: true, force: true });
  const all = [...listed, { path: SW, bytes: swBytes.length, sha256: sha256(swBytes) }];
  return { out, version, files: all, bytes: all.reduce((s, f) => s + f.bytes, 0) };
}

const MB = (n) => `${(n / 1e6).toFixed(1)} MB`;

/** How the build's size divides: data, model, wasm, KaTeX, the page itself. */
export function sizeTable(files) {
  const groups = [
    ["data", "the MNIST digits (data/)", (p) => p.startsWith("data/")],
    ["model", "the default model (model/)", (p) => p.startsWith("model/")],
    ["wasm", "both wasm builds (pkg/)", (p) => p.startsWith("pkg/")],
    ["katex", "KaTeX (vendor/)", (p) => p.startsWith("vendor/")],
    ["page", "the page itself", () => true],
  ];
  const rows = groups.map(([key, what]) => ({ key, what, files: 0, bytes: 0 }));
  for (const f of files) {
    const i = groups.findIndex(([, , test]) => test(f.path));
    rows[i].files += 1;
    rows[i].bytes += f.bytes;
  }
  return rows;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outArg = args.indexOf("--out");
  const out = outArg >= 0 ? path.resolve(args[outArg + 1] ?? "") : DIST;
  try {
    if (!args.includes("--no-setup")) await setup();
    const r = build({ out });
    console.log(
      `\nbuild: ${path.relative(process.cwd(), r.out) || "."}/ written: ${r.files.length} files, ${MB(r.bytes)}, version ${r.version}`,
    );
    for (const row of sizeTable(r.files)) {
      console.log(`  ${MB(row.bytes).padStart(8)}  ${row.what}, ${row.files} file${row.files === 1 ? "" : "s"}`);
    }
    console.log('Upload the folder\'s contents to any static web host; see README, "Host it for your class".');
  } catch (e) {
    console.error(`\nbuild failed: ${e.message}`);
    if (!(e instanceof BuildError) && e.constructor?.name !== "SetupError") console.error(e.stack);
    process.exit(1);
  }
}
