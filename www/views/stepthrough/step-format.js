// The step-through view's DOM helpers: how a formula is typeset (KaTeX, vendored) and a tiny
// DOM helper. How numbers are written lives in www/walkthrough/numbers.js (re-exported here).

import { fmt, full } from "../../walkthrough/numbers.js";
export { fmt, full, tex, texp, agrees } from "../../walkthrough/numbers.js";

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
