// @ts-check
// The step-through view's DOM helpers: a tiny element builder, numbers tagged for tests and
// export, formulas typeset by KaTeX (vendored; the TeX itself until it loads), text with inline
// TeX, downloads, and a pause that lets the page breathe during long work. How numbers are
// written lives in www/walkthrough/numbers.js.

import { fmt, full } from "../../walkthrough/numbers.js";

// ---- DOM ----

/**
 * h("div", {class: "x", dataset: {key: "loss"}, onclick: fn}, child, "text", [more]) → element.
 * No innerHTML anywhere: text is always text.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {HTMLElement}
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

/** @param {Element} el @param {any[]} children */
function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/**
 * A number from the core: readable text, every digit on hover, and the exact value in
 * data-value (the tests read these). `key` names it for tests and the Markdown export. The
 * core's numbers are f32s unless `wide` (an f64 of the core's); `all` shows every digit.
 * @param {number} x
 * @param {string | null} [key]
 * @param {{sig?: number, cls?: string, wide?: boolean, all?: boolean}} [o]
 */
export function num(x, key, { sig = 6, cls = "", wide = false, all = false } = {}) {
  const text = all ? full(x, { wide }) : fmt(x, sig, { wide });
  return h("span", { class: `num ${cls}`.trim(), title: full(x, { wide }), dataset: { value: String(x), ...(key ? { key } : {}) } }, text);
}

/** Is `el` a field where arrow keys edit text (so the walk's keys stay out of its way)? @param {any} el */
export const isEditable = (el) => !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

// ---- KaTeX, loaded once; plain text until it arrives (or if it is missing) ----

/** @type {any} */
let katex = null;
/** @type {Promise<any> | null} */
let katexLoading = null;

/** Loads the vendored KaTeX (module build, else the UMD build) and its stylesheet. */
export function loadKatex() {
  if (katexLoading) return katexLoading;
  const base = new URL("../../vendor/katex/", import.meta.url);
  if (!document.querySelector("link[data-katex]")) {
    document.head.append(h("link", { rel: "stylesheet", href: new URL("katex.min.css", base).href, dataset: { katex: "" } }));
  }
  katexLoading = import(new URL("katex.mjs", base).href)
    .then((m) => m.default || m)
    .catch(() => import(new URL("katex.min.js", base).href).then(() => /** @type {any} */ (globalThis).katex || null))
    .catch(() => null)
    .then((k) => (katex = k));
  return katexLoading;
}

/**
 * Typesetting takes time (a step with many formulas takes tens of milliseconds, more on a slow
 * machine), so it goes in slices: formulas typeset at once while the slice lasts, the rest wait
 * as plain TeX and are typeset in the next tasks, so that no task of the page runs long.
 */
const TYPESET_SLICE_MS = 30;
let sliceEnd = 0;
/** @type {HTMLElement[]} */
const waiting = [];
let flushing = false;

/** Starts a slice of typesetting (the view calls it when it starts drawing a step). */
export function typesetSlice() {
  sliceEnd = performance.now() + TYPESET_SLICE_MS;
}

/** @param {HTMLElement} el */
function typeset(el) {
  el.classList.remove("tex-pending");
  const htmlOnly = el.dataset.texHtml === "1";
  katex.render(el.dataset.tex, el, {
    throwOnError: false,
    displayMode: el.dataset.texInline !== "1",
    output: htmlOnly ? "html" : "htmlAndMathml",
  });
  // KaTeX hides its glyphs from assistive technology even when there is no MathML to read instead.
  if (htmlOnly) el.querySelector(".katex-html")?.removeAttribute("aria-hidden");
}

async function flush() {
  if (flushing) return;
  flushing = true;
  while (waiting.length) {
    await pause();
    const end = performance.now() + TYPESET_SLICE_MS;
    while (waiting.length && performance.now() < end) {
      const el = /** @type {HTMLElement} */ (waiting.shift());
      if (el.isConnected && el.classList.contains("tex-pending")) typeset(el);
    }
  }
  flushing = false;
}

/**
 * Typesets `src` into `el` (display style unless `inline`); the TeX itself shows until it is.
 * `htmlOnly` leaves out KaTeX's MathML copy and keeps the glyphs readable by assistive technology
 * (for a table's column header, which must have text of its own).
 * @template {HTMLElement} E
 * @param {E} el
 * @param {string} src
 * @param {{inline?: boolean, htmlOnly?: boolean}} [o]
 * @returns {E}
 */
export function renderTex(el, src, { inline = false, htmlOnly = false } = {}) {
  el.dataset.tex = src;
  if (inline) el.dataset.texInline = "1";
  if (htmlOnly) el.dataset.texHtml = "1";
  el.textContent = src;
  el.classList.add("tex-pending");
  if (!katex) return el;
  if (performance.now() < sliceEnd) typeset(el);
  else {
    waiting.push(el);
    flush();
  }
  return el;
}

/** Typesets every element left as plain TeX under `root` (once KaTeX has loaded). @param {Element} root */
export function typesetPending(root) {
  if (!katex) return;
  waiting.push(.../** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(".tex-pending")));
  flush();
}

/**
 * Text with inline TeX between $…$, typeset.
 * @param {string} text
 * @param {string} [tag]
 * @param {Record<string, any>} [attrs]
 * @param {{htmlOnly?: boolean}} [o] see renderTex
 */
export function rich(text, tag = "span", attrs = {}, { htmlOnly = false } = {}) {
  const el = h(tag, attrs);
  String(text)
    .split(/(\$[^$]+\$)/)
    .forEach((part) => {
      if (part.startsWith("$") && part.endsWith("$") && part.length > 2)
        el.append(renderTex(h("span", { class: "tex-inline" }), part.slice(1, -1), { inline: true, htmlOnly }));
      else if (part) el.append(part);
    });
  return el;
}

/** Plain text of a title with inline TeX (for accessible names). @param {string} text */
export const plain = (text) => String(text).replace(/\$([^$]+)\$/g, (_, t) => t.replace(/[{}\\]/g, ""));

// ---- files and time ----

/**
 * Offers `content` (a Blob, text, or parts of it) as a file to save.
 * @param {string} name
 * @param {Blob | string | BlobPart[]} content
 * @param {string} type
 */
export function download(name, content, type) {
  const blob = content instanceof Blob ? content : new Blob(Array.isArray(content) ? content : [content], { type });
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Lets the page handle input and paint between two pieces of a long job.
 * @returns {Promise<void>}
 */
export function pause() {
  const s = /** @type {any} */ (globalThis).scheduler;
  if (s?.yield) return s.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Adds the view's stylesheet once. */
export function ensureStylesheet() {
  const href = new URL("./stepthrough.css", import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => /** @type {HTMLLinkElement} */ (l).href === href)) return;
  document.head.append(h("link", { rel: "stylesheet", href }));
}

/** "1,234,567" @param {number} n */
export const int = (n) => n.toLocaleString("en-US");
