// @ts-check
// A step of the walk-through is a list of blocks (www/walkthrough/: text, a formula with its
// numbers, tagged values, a check, a table, a grid, units, bars, a gradient check, the examples of
// a batch). One function renders each kind; none computes a number, they lay out the core's.

import { h, num, rich, renderTex } from "./dom.js";
import { renderTable } from "./tables.js";
import { renderGrid, renderUnits, renderBars } from "./pictures.js";
import { renderGradCheck } from "./gradcheck.js";

/** @typedef {import("./view.js").StepThroughView} View */

/** @type {Record<string, (b: any, view: View) => HTMLElement | null>} */
const RENDERERS = {
  text: (b) => rich(b.text, "p", { class: "st-text" }),
  eq: renderEq,
  values: renderValues,
  check: renderCheck,
  table: renderTable,
  grid: renderGrid,
  units: renderUnits,
  bars: renderBars,
  gradcheck: (b, view) => renderGradCheck(b, view, renderBlock),
  examples: renderExamples,
};

/** @param {any} b @param {View} view */
export function renderBlock(b, view) {
  const render = RENDERERS[b.kind];
  return render ? render(b, view) : null;
}

/**
 * A formula, symbolic then with the numbers in. A formula wider than the screen scrolls sideways
 * in its own box, which then takes the focus (arrow keys scroll it) and says so (watchOverflow).
 * @param {any} b
 */
function renderEq(b) {
  const row = (/** @type {string} */ tag, /** @type {string} */ src, /** @type {string} */ cls) =>
    h(
      "div",
      { class: `st-eq-row ${cls}` },
      h("span", { class: "st-eq-tag" }, tag),
      renderTex(h("div", { class: "st-eq-tex", dataset: { what: tag } }), src),
    );
  return h(
    "div",
    { class: "st-eq" },
    b.caption ? rich(b.caption, "p", { class: "hint" }) : null,
    row("formula", b.symbolic, ""),
    row("numbers", b.numeric, "st-eq-numbers"),
  );
}

/**
 * Watches the formula boxes under `root` (the step on show, whose content changes: a new step,
 * KaTeX arriving, a gradient check answering) and marks each box wider than its room as one that
 * scrolls: focusable, labelled, with a visible hint. Checked again when the screen's width changes.
 * @param {HTMLElement} root
 */
export function watchOverflow(root) {
  if (typeof ResizeObserver === "undefined") return;
  let queued = false;
  const checkAll = () => {
    queued = false;
    for (const box of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(".st-eq-tex"))) markScrolling(box);
  };
  const soon = () => {
    if (!queued) requestAnimationFrame(checkAll);
    queued = true;
  };
  new MutationObserver(soon).observe(root, { childList: true, subtree: true });
  new ResizeObserver(soon).observe(root);
  soon();
}

/** @param {HTMLElement} box */
function markScrolling(box) {
  const scrolls = box.scrollWidth > box.clientWidth + 1;
  if (scrolls === box.classList.contains("st-scrolls")) return;
  box.classList.toggle("st-scrolls", scrolls);
  box.parentElement?.classList.toggle("st-eq-row-scrolls", scrolls);
  if (scrolls) {
    box.tabIndex = 0;
    box.setAttribute("role", "group");
    const what = box.dataset.what === "formula" ? "The formula" : "The formula with its numbers";
    box.setAttribute("aria-label", `${what}, wider than the screen: scroll sideways, or focus it and use the arrow keys`);
  } else {
    for (const a of ["tabindex", "role", "aria-label"]) box.removeAttribute(a);
  }
}

/**
 * Tagged numbers: `plain` ones (counts, settings) as given, `hidden` ones tagged for tests only.
 * @param {any} b
 */
function renderValues(b) {
  const value = (/** @type {any} */ it) =>
    it.plain
      ? h("span", { class: "num", dataset: { key: it.key, value: String(it.value) } }, String(it.value))
      : num(it.value, it.key, { sig: it.sig || 6, wide: !!it.wide, all: !!it.full });
  const shown = b.items.filter((/** @type {any} */ it) => !it.hidden);
  const hidden = b.items.filter((/** @type {any} */ it) => it.hidden);
  return h(
    "div",
    { class: "st-values-box" },
    shown.length
      ? h(
          "dl",
          { class: "st-values" },
          shown.map((/** @type {any} */ it) =>
            h("div", { class: `st-value${it.big ? " big" : ""}` }, rich(it.label, "dt"), h("dd", {}, value(it))),
          ),
        )
      : null,
    hidden.map((/** @type {any} */ it) => h("span", { hidden: true, dataset: { key: it.key, value: String(it.value) } })),
  );
}

/** A verdict: ✓ or ✗ with its sentence; `key` tags it (1 when ok). @param {any} b */
function renderCheck(b) {
  return h(
    "p",
    { class: `st-check ${b.ok ? "ok" : "bad"}`, dataset: b.key ? { key: b.key, value: b.ok ? "1" : "0" } : {} },
    h("span", { "aria-hidden": "true" }, b.ok ? "✓ " : "✗ "),
    h("span", { class: "visually-hidden" }, b.ok ? "Checked: " : "Mismatch: "),
    rich(b.text),
  );
}

/** Above this many examples in a batch, one is picked by number rather than from a button each. */
const EXAMPLE_BUTTONS = 32;

/** Which example of the batch the walk follows. @param {any} b @param {View} view */
function renderExamples(b, view) {
  if (b.count > EXAMPLE_BUTTONS) {
    const input = /** @type {HTMLInputElement} */ (
      h("input", { type: "number", id: "st-example", min: 0, max: b.count - 1, step: 1, value: String(b.picked), class: "st-index" })
    );
    const go = () => {
      const n = Number(input.value);
      if (Number.isInteger(n) && n >= 0 && n < b.count && n !== b.picked) view.applyPick({ type: "example", layer: 0 }, n);
    };
    input.addEventListener("change", go);
    input.addEventListener("keydown", (e) => e.key === "Enter" && go());
    return h("div", { class: "buttons" }, h("label", { for: "st-example" }, `Follow example (0 to ${b.count - 1})`), input);
  }
  return h(
    "div",
    { class: "st-units", role: "group", "aria-label": "Which example of the batch to follow" },
    Array.from({ length: b.count }, (_, n) =>
      h(
        "button",
        {
          type: "button",
          class: `st-unit${n === b.picked ? " picked" : ""}`,
          "aria-pressed": String(n === b.picked),
          onclick: () => view.applyPick({ type: "example", layer: 0 }, n),
        },
        `example ${n}`,
      ),
    ),
  );
}
