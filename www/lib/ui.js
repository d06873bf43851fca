// @ts-check
// Small DOM and formatting helpers shared by the views. No maths here: numbers arrive from the
// worker and are only formatted.

/**
 * Creates an element: el("button", {class: "btn", onclick: fn}, "Text", child).
 * Attributes starting with "on" become listeners; `dataset` and boolean attributes are handled;
 * null/undefined/false attributes and children are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "class") node.className = v;
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : String(c));
  }
}

/** A table's head: one row of column headers, each cell's content given in turn. */
export function columnHeads(...cells) {
  return el(
    "thead",
    {},
    el(
      "tr",
      {},
      cells.flat().map((c) => el("th", { scope: "col" }, c)),
    ),
  );
}

/** Replaces all children of `node`. */
export function setChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

/** A number with thousands separators: 60000 -> "60,000". */
export const int = (n) => Math.round(n).toLocaleString("en-US");

/** A fraction as a percentage: 0.9712 -> "97.1%". */
export const pct = (x, digits = 1) => `${(100 * x).toFixed(digits)}%`;

/** A loss or weight for display: 4 significant digits, plain words for NaN and infinities. */
export function num(x, digits = 4) {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "∞";
  if (x === -Infinity) return "−∞";
  if (x === 0) return "0";
  const a = Math.abs(x);
  const s = a >= 1e-3 && a < 1e5 ? x.toPrecision(digits) : x.toExponential(digits - 1);
  return s.replace("-", "−");
}

/** Seconds as "45 s", "3 min 20 s", "1 h 5 min". */
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** Bytes as "1.2 MB". */
export function bytes(n) {
  if (!Number.isFinite(n)) return "?";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A unique id for label/aria wiring. */
let nextId = 0;
export const uid = (prefix) => `${prefix}-${++nextId}`;

/** A labelled form field: <label>Text <control></label> with an optional hint below. */
export function field(labelText, control, hint) {
  const id = control.id || (control.id = uid("f"));
  const hintNode = hint ? el("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return el("div", { class: "field" }, el("label", { for: id }, labelText), control, hintNode);
}
