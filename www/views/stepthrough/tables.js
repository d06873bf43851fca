// @ts-check
// "Show every number": a step's table, folded until asked for, then shown a page of rows at a
// time, so that a table of ten thousand rows costs the page no more than one of fifty. The page
// holding the picked row opens first; the row's index picks that input or unit (a keyboard path
// to every pick).

import { h, num, rich, int, plain, typesetSlice } from "./dom.js";

/** Rows on one page of a table. */
export const PAGE_ROWS = 50;

/**
 * @param {any} b a table block: {title, columns, rows(), count, highlightRow?, pickRow?, open?}
 * @param {import("./view.js").StepThroughView} view
 */
export function renderTable(b, view) {
  const box = /** @type {HTMLDetailsElement} */ (h("details", { class: "data-table st-table", open: !!b.open }));
  box.append(h("summary", {}, "Show every number: ", rich(b.title), ` (${int(b.count)} ${b.count === 1 ? "row" : "rows"})`));
  const fill = () => {
    if (box.dataset.filled) return;
    box.dataset.filled = "1";
    typesetSlice();
    box.append(pagedTable(b, view));
  };
  if (b.open) fill();
  box.addEventListener("toggle", () => box.open && fill());
  return box;
}

/** @param {any} b @param {import("./view.js").StepThroughView} view */
function pagedTable(b, view) {
  const rows = b.rows();
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
  const picked = Number.isInteger(b.highlightRow) && b.highlightRow >= 0 && b.highlightRow < rows.length ? b.highlightRow : -1;
  let page = picked >= 0 ? Math.floor(picked / PAGE_ROWS) : 0;
  const body = h("tbody");
  const where = h("span", { class: "st-pager-where", "aria-live": "polite" });
  const buttons = {
    first: pagerButton("First", () => show(0)),
    prev: pagerButton("← Previous", () => show(page - 1)),
    next: pagerButton("Next →", () => show(page + 1)),
    last: pagerButton("Last", () => show(pages - 1)),
  };
  const toPicked = picked >= 0 ? pagerButton("The picked row", () => show(Math.floor(picked / PAGE_ROWS))) : null;
  /** @param {number} p */
  const show = (p) => {
    page = Math.max(0, Math.min(pages - 1, p));
    typesetSlice();
    const from = page * PAGE_ROWS;
    const to = Math.min(rows.length, from + PAGE_ROWS);
    body.replaceChildren(
      ...rows.slice(from, to).map((/** @type {any[]} */ r, /** @type {number} */ i) => tableRow(b, view, r, from + i, picked)),
    );
    where.textContent = `Rows ${int(from + 1)}–${int(to)} of ${int(rows.length)}`;
    buttons.first.disabled = buttons.prev.disabled = page === 0;
    buttons.next.disabled = buttons.last.disabled = page === pages - 1;
    body.querySelector("tr.picked")?.scrollIntoView?.({ block: "nearest" });
  };
  const scroll = h(
    "div",
    { class: "st-table-scroll st-scrolls", tabindex: "0", role: "region", "aria-label": `${plain(b.title)}: every number (scrolls)` },
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          b.columns.map((/** @type {string} */ c) => h("th", { scope: "col" }, c ? rich(c, "span", {}, { htmlOnly: true }) : "#")),
        ),
      ),
      body,
    ),
  );
  const pager =
    pages > 1
      ? h(
          "div",
          { class: "st-pager", role: "group", "aria-label": "Pages of the table" },
          buttons.first,
          buttons.prev,
          where,
          buttons.next,
          buttons.last,
          toPicked,
        )
      : null;
  show(page);
  return h("div", { class: "st-table-body" }, pager, scroll);
}

/** @param {string} label @param {() => void} onclick */
function pagerButton(label, onclick) {
  return /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "btn btn-small", onclick }, label));
}

/**
 * @param {any} b @param {import("./view.js").StepThroughView} view
 * @param {any[]} r the row's cells @param {number} k the row's index @param {number} picked
 */
function tableRow(b, view, r, k, picked) {
  const tr = h("tr", { class: k === picked ? "picked" : null });
  r.forEach((c, ci) => {
    let content;
    if (c && typeof c === "object") content = num(c.v, c.key, { cls: c.shown ? "shown" : "", wide: !!c.wide });
    else if (typeof c === "number" && !(ci === 0 && Number.isInteger(c))) content = num(c);
    else content = rich(String(c));
    if (ci === 0 && b.pickRow && k !== picked) {
      content = h(
        "button",
        { type: "button", class: "st-row-pick", "aria-label": `Pick row ${String(c)}`, onclick: () => view.applyPick(b.pickRow, k) },
        content,
      );
    }
    tr.append(h(ci === 0 ? "th" : "td", ci === 0 ? { scope: "row" } : {}, content));
  });
  return tr;
}
