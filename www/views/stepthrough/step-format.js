// Numbers and formulas for the step-through view: how a number is written (readable on the page,
// exact on hover and in data-value), how a formula is typeset (KaTeX, vendored), and a tiny DOM
// helper. Nothing here computes a model's number; it only writes them down.

/**
 * The core computes in f32 and writes each number as the shortest decimal that reads back as the
 * same f32 ("0.3589165"). As a double that decimal is a hair away from the f32's true value
 * (0.35891649127…), which can flip the last shown digit; so numbers are taken back to f32 first.
 */
const f32 = (x) => {
  const v = Math.fround(x);
  return Number.isFinite(v) || !Number.isFinite(x) ? v : x;
};

/** A number for reading: 6 significant digits, trailing zeros dropped, exponent when tiny or huge. */
export function fmt(x, sig = 6) {
  if (typeof x !== "number") return String(x);
  x = f32(x);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (x === 0) return Object.is(x, -0) ? "0" : "0";
  const a = Math.abs(x);
  let s;
  if (a < 1e-4 || a >= 1e6) {
    const [m, e] = x.toExponential(sig - 1).split("e");
    s = `${trimZeros(m)}e${e.replace("+", "")}`;
  } else {
    s = trimZeros(x.toPrecision(sig));
    if (s.includes("e")) s = String(Number(s));
  }
  return s.replace("-", "−");
}

function trimZeros(s) {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * Every digit the core's number has: the shortest decimal that reads back as the same f32
 * (the core computes in f32, so 0.2 is shown as 0.2, not 0.20000000298023224).
 */
export function full(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return fmt(x);
  x = f32(x);
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

/** A number in TeX: 6 significant digits, ×10ⁿ for the exponent. */
export function tex(x, sig = 6) {
  if (typeof x !== "number") return String(x);
  if (Number.isNaN(x)) return "\\text{NaN}";
  if (!Number.isFinite(x)) return x > 0 ? "\\infty" : "-\\infty";
  const s = fmt(x, sig).replace("−", "-");
  const m = s.match(/^(-?[\d.]+)e(-?\d+)$/);
  return m ? `${m[1]} \\times 10^{${m[2]}}` : s;
}

/** A number in TeX inside parentheses when negative (for products like (−0.2)(0.5)). */
export function texp(x, sig = 6) {
  const t = tex(x, sig);
  return x < 0 || t.includes("\\times") ? `(${t})` : t;
}

/** Does `shown` (what the page computed for display) agree with `core` (the trace's f32)? */
export function agrees(shown, core, rel = 1e-5, abs = 1e-7) {
  return Math.abs(shown - core) <= Math.max(abs, rel * Math.max(Math.abs(shown), Math.abs(core)));
}

// ---- KaTeX, loaded once; plain text until it arrives (or if it is missing) ----

let katex = null;
let katexLoading = null;

/** Loads the vendored KaTeX (module build, else the UMD build) and its stylesheet. */
export function loadKatex() {
  if (katexLoading) return katexLoading;
  const base = new URL("../../vendor/katex/", import.meta.url);
  if (!document.querySelector("link[data-katex]")) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = new URL("katex.min.css", base).href;
    link.dataset.katex = "";
    document.head.append(link);
  }
  katexLoading = import(new URL("katex.mjs", base).href)
    .then((m) => m.default || m)
    .catch(() => import(new URL("katex.min.js", base).href).then(() => globalThis.katex || null))
    .catch(() => null)
    .then((k) => (katex = k));
  return katexLoading;
}

/** Typesets `src` into `el` (display style unless `inline`); the TeX itself is the fallback. */
export function renderTex(el, src, { inline = false } = {}) {
  el.dataset.tex = src;
  if (katex) {
    katex.render(src, el, { throwOnError: false, displayMode: !inline, output: "htmlAndMathml" });
  } else {
    el.textContent = src;
    el.classList.add("tex-pending");
  }
  return el;
}

/** Re-typesets every element left as plain TeX under `root` (after KaTeX has loaded). */
export function typesetPending(root) {
  if (!katex) return;
  for (const el of root.querySelectorAll(".tex-pending")) {
    el.classList.remove("tex-pending");
    renderTex(el, el.dataset.tex, { inline: el.classList.contains("tex-inline") });
  }
}

// ---- DOM ----

/**
 * h("div", {class: "x", dataset: {key: "loss"}, onclick: fn}, child, "text", [more]) → element.
 * No innerHTML anywhere: text is always text.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/**
 * A number from the core: readable text, every digit on hover, and the exact value in
 * data-value (the tests read these). `key` names it for tests and the Markdown export.
 */
export function num(x, key, { sig = 6, cls = "" } = {}) {
  return h("span", { class: `num ${cls}`.trim(), title: full(x), dataset: { value: String(x), ...(key ? { key } : {}) } }, fmt(x, sig));
}
