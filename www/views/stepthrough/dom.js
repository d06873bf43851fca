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
 * data-value (the tests read these). `key` names it for tests and the Markdown export.
 * @param {number} x
 * @param {string} [key]
 * @param {{sig?: number, cls?: string}} [o]
 */
export function num(x, key, { sig = 6, cls = "" } = {}) {
  return h("span", { class: `num ${cls}`.trim(), title: full(x), dataset: { value: String(x), ...(key ? { key } : {}) } }, fmt(x, sig));
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
 * Typesets `src` into `el` (display style unless `inline`); the TeX itself is the fallback.
 * @template {HTMLElement} E
 * @param {E} el
 * @param {string} src
 * @param {{inline?: boolean}} [o]
 * @returns {E}
 */
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

/** Re-typesets every element left as plain TeX under `root` (after KaTeX has loaded). @param {Element} root */
export function typesetPending(root) {
  if (!katex) return;
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(".tex-pending"))) {
    el.classList.remove("tex-pending");
    renderTex(el, el.dataset.tex, { inline: el.classList.contains("tex-inline") });
  }
}

/**
 * Text with inline TeX between $…$, typeset.
 * @param {string} text
 * @param {string} [tag]
 * @param {Record<string, any>} [attrs]
 */
export function rich(text, tag = "span", attrs = {}) {
  const el = h(tag, attrs);
  String(text)
    .split(/(\$[^$]+\$)/)
    .forEach((part) => {
      if (part.startsWith("$") && part.endsWith("$") && part.length > 2)
        el.append(renderTex(h("span", { class: "tex-inline" }), part.slice(1, -1), { inline: true }));
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
