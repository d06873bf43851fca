// @ts-check
// Numbers drawn: a small grid shows its numbers in coloured cells, a big one is a picture (one
// canvas, whatever its size); a layer's units are chips, or a picture when there are many; bars
// for a few probabilities or gradients. Each can be clicked or tapped to pick an element.

import { fmt, full } from "../../walkthrough/numbers.js";
import { paintGrey, paintDiverging, divergingCss, absMax } from "../../lib/pixels.js";
import { h, num, rich, plain, int } from "./dom.js";

/** Up to this many cells a grid shows its numbers; above, it is a picture. */
const GRID_NUMBERS = 49;
/** Up to this many units are chips; above, a picture. */
const UNIT_CHIPS = 64;
/** At most this many bars; the table beside them has every number. */
const MAX_BARS = 64;
const INK = "#172033";

/** Relative luminance (WCAG) of "rgb(r, g, b)" or "#rrggbb". @param {string} color */
function luminance(color) {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  const parts = hex
    ? [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16))
    : (color.match(/\d+/g) || ["255", "255", "255"]).map(Number);
  const [r, g, b] = parts.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** @param {number} a @param {number} b luminances */
const contrast = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/**
 * The text colour readable on the background `bg` (WCAG AA, 4.5:1): the page's ink where it reads,
 * else white or black, whichever contrasts more (one of them always reaches 4.5:1).
 * @param {string} bg
 */
export function textOn(bg) {
  const l = luminance(bg);
  if (contrast(l, luminance(INK)) >= 4.5) return INK;
  return contrast(l, 1) >= contrast(l, 0) ? "#fff" : "#000";
}

/** @param {any} b a grid block @param {import("./view.js").StepThroughView} view */
export function renderGrid(b, view) {
  const fig = h("figure", { class: "st-grid-fig" });
  fig.append(rich(b.title, "figcaption"));
  fig.append(b.h * b.w <= GRID_NUMBERS ? numberGrid(b, view) : pictureGrid(b, view));
  if (b.h * b.w > GRID_NUMBERS && b.highlight >= 0) {
    const where = b.name ? `${b.name} ${b.highlight}` : `row ${Math.floor(b.highlight / b.w)}, column ${b.highlight % b.w}`;
    fig.append(h("p", { class: "hint" }, `Outlined: ${where}, value `, num(b.values[b.highlight])));
  }
  return fig;
}

/** @param {any} b @param {import("./view.js").StepThroughView} view */
function numberGrid(b, view) {
  const scale = b.palette === "gray" ? 1 : absMax(b.values) || 1;
  const grid = h("div", { class: `st-grid ${b.pick ? "pickable" : ""}`, role: b.pick ? "group" : null, "aria-label": b.label });
  grid.style.gridTemplateColumns = `repeat(${b.w}, minmax(3.2rem, max-content))`;
  for (let idx = 0; idx < b.values.length; idx++) {
    const v = b.values[idx];
    const cell = h(
      b.pick ? "button" : "span",
      {
        type: b.pick ? "button" : null,
        class: `st-cell${idx === b.highlight ? " picked" : ""}`,
        title: full(v),
        dataset: { value: String(v) },
      },
      fmt(v, 4),
    );
    const bg = b.palette === "gray" ? grey(v) : divergingCss(Math.max(-1, Math.min(1, v / scale)));
    cell.style.background = bg;
    cell.style.color = textOn(bg);
    if (b.pick) cell.addEventListener("click", () => view.applyPick(b.pick, idx));
    grid.append(cell);
  }
  return grid;
}

/** The grey of an ink level in [0, 1] on white paper, as an opaque colour. @param {number} v */
function grey(v) {
  const a = Math.max(0, Math.min(1, v)) * 0.85;
  const mix = (/** @type {number} */ ink) => Math.round(255 + a * (ink - 255));
  return `rgb(${mix(23)}, ${mix(32)}, ${mix(51)})`;
}

/** @param {any} b @param {import("./view.js").StepThroughView} view */
function pictureGrid(b, view) {
  const n = b.h * b.w;
  const canvas = h("canvas", { class: "st-canvas", width: b.w, height: b.h, role: "img", "aria-label": b.label || plain(b.title) });
  if (b.palette === "gray") paintGrey(canvas, b.values, b.w, b.h);
  else paintDiverging(canvas, b.values, b.w, b.h);
  const wrap = h("div", { class: `st-canvas-wrap${b.pick ? " pickable" : ""}` }, canvas);
  if (b.w !== b.h) wrap.style.aspectRatio = `${b.w} / ${b.h}`;
  if (b.highlight >= 0 && b.highlight < n) {
    const mark = h("div", { class: "st-canvas-mark" });
    const r = Math.floor(b.highlight / b.w);
    const c = b.highlight % b.w;
    Object.assign(mark.style, { left: `${(c / b.w) * 100}%`, top: `${(r / b.h) * 100}%`, width: `${100 / b.w}%`, height: `${100 / b.h}%` });
    wrap.append(mark);
  }
  if (b.pick) {
    wrap.title = "Click or tap to pick";
    canvas.addEventListener("click", (e) => {
      const rect = canvas.getBoundingClientRect();
      const c = Math.min(b.w - 1, Math.floor(((e.clientX - rect.left) / rect.width) * b.w));
      const r = Math.min(b.h - 1, Math.floor(((e.clientY - rect.top) / rect.height) * b.h));
      view.applyPick(b.pick, r * b.w + c);
    });
  }
  return wrap;
}

/** @param {any} b a units block @param {import("./view.js").StepThroughView} view */
export function renderUnits(b, view) {
  const pick = { type: b.role === "filter" ? "filter" : "unit", layer: b.layer, offset: 0 };
  if (b.values.length > UNIT_CHIPS) {
    const w = Math.ceil(Math.sqrt(b.values.length));
    return renderGrid(
      {
        kind: "grid",
        title: b.title,
        values: b.values,
        h: Math.ceil(b.values.length / w),
        w,
        palette: "diverging",
        highlight: b.picked,
        label: plain(b.title),
        name: b.role,
        pick,
      },
      view,
    );
  }
  const fig = h("figure", { class: "st-units-fig" });
  fig.append(rich(b.title, "figcaption"));
  const scale = absMax(b.values) || 1;
  const list = h("div", { class: "st-units", role: "group", "aria-label": plain(b.title) });
  b.values.forEach((/** @type {number} */ v, /** @type {number} */ j) => {
    const sw = h("span", { class: "st-unit-swatch" });
    sw.style.background = divergingCss(Math.max(-1, Math.min(1, v / scale)));
    list.append(
      h(
        "button",
        {
          type: "button",
          class: `st-unit${j === b.picked ? " picked" : ""}`,
          title: `${b.role} ${j}: ${full(v)}`,
          "aria-pressed": String(j === b.picked),
          onclick: () => view.applyPick(pick, j),
        },
        sw,
        h("span", { class: "st-unit-n" }, String(j)),
        h("span", { class: "st-unit-v" }, fmt(v, 3)),
      ),
    );
  });
  fig.append(list);
  return fig;
}

/** @param {any} b a bars block */
export function renderBars(b) {
  const shown = b.values.slice(0, MAX_BARS);
  let max = 1e-12;
  for (const v of shown) max = Math.max(max, Math.abs(v));
  const fig = h("figure", { class: "st-bars" });
  fig.append(rich(b.title, "figcaption"));
  shown.forEach((/** @type {number} */ v, /** @type {number} */ k) => {
    const fill = h("span", { class: `st-bar-v ${v < 0 ? "neg" : "pos"}` });
    fill.style.width = `${(Math.abs(v) / max) * (b.signed ? 50 : 100)}%`;
    if (b.signed) fill.style[v < 0 ? "right" : "left"] = "50%";
    fig.append(
      h(
        "div",
        { class: `st-bar-row${k === b.mark ? " marked" : ""}` },
        h("span", { class: "st-bar-k" }, String(k)),
        h("span", { class: `st-bar-track${b.signed ? " signed" : ""}`, "aria-hidden": "true" }, fill),
        num(v, b.keyPrefix ? `${b.keyPrefix}bar-${k}` : null, { sig: 4 }),
      ),
    );
  });
  if (b.values.length > MAX_BARS)
    fig.append(h("p", { class: "hint" }, `The first ${MAX_BARS} of ${int(b.values.length)}; the table has every one.`));
  return fig;
}
