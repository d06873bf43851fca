// @ts-check
// A small line chart on a canvas: several series over a shared x, values on hover (and with the
// arrow keys when focused), a marker at one x (the point the timeline shows), and the same numbers
// as a table for screen readers.

import { el, setChildren, columnHeads } from "./ui.js";

// ---- the picture: plain functions of the data ---------------------------------------------------

const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
const PAD = { left: 48, right: 12, top: 10, bottom: 26 };

/** A round step (1, 2, 2.5 or 5 times a power of ten) that cuts `range` into about `count` parts. */
function niceStep(range, count) {
  const raw = range / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

/** Decimals needed to print multiples of `step`. */
export const decimalsFor = (step) => Math.max(0, Math.min(6, Math.ceil(-Math.log10(step) - 1e-9)));

/**
 * @typedef {{name: string, color: string, width?: number, alpha?: number, dots?: boolean}} Series
 * @typedef {{label: string, xName: string, series: Series[], format: (y: number, axisStep?: number) => string,
 *            xDomain?: (x0: number, x1: number) => [number, number], xTicks?: (x0: number, x1: number) => number[],
 *            yBounds?: [number, number], tableRows?: number, empty?: string, summary?: (xs: number[], ys: number[][]) => string}} ChartOptions
 * @typedef {{w: number, h: number, x0: number, x1: number, y0: number, y1: number, step: number, pw: number, ph: number,
 *            px: (x: number) => number, py: (y: number) => number}} Geometry
 */

/**
 * The ranges of both axes for the data, and where a value lands on a canvas of w x h CSS pixels.
 * @param {number[]} xs @param {number[][]} ys @param {number} w @param {number} h @param {ChartOptions} o
 * @returns {Geometry}
 */
function chartGeometry(xs, ys, w, h, o) {
  const n = xs.length;
  let x0 = n ? xs[0] : 0;
  let x1 = n > 1 ? xs[n - 1] : x0 + 1;
  if (o.xDomain) [x0, x1] = o.xDomain(x0, x1);
  let lo = Infinity,
    hi = -Infinity;
  for (const s of ys) for (const v of s) if (Number.isFinite(v)) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
  const [b0, b1] = o.yBounds || [-Infinity, Infinity];
  if (!Number.isFinite(lo)) ((lo = Math.max(0, b0)), (hi = Math.min(1, b1)));
  if (!o.yBounds) lo = Math.min(0, lo);
  if (hi - lo < 1e-9) ((lo -= 0.05), (hi += 0.05));
  const step = niceStep(hi - lo, 4);
  const y0 = Math.max(b0, Math.floor(lo / step + 1e-9) * step);
  const y1 = Math.min(b1, Math.ceil(hi / step - 1e-9) * step);
  const pw = Math.max(1, w - PAD.left - PAD.right);
  const ph = Math.max(1, h - PAD.top - PAD.bottom);
  return {
    w,
    h,
    x0,
    x1,
    y0,
    y1,
    step,
    px: (x) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * pw,
    py: (y) => PAD.top + (1 - (y - y0) / (y1 - y0)) * ph,
    pw,
    ph,
  };
}

/**
 * Paints the grid, the axis labels, every series, the marker (`marker`: an x and its label, or
 * null) and the cursor (index `cursor`, or -1).
 * @param {CanvasRenderingContext2D} ctx @param {Geometry} g @param {number[]} xs @param {number[][]} ys
 * @param {ChartOptions} o @param {number} cursor @param {{grid: string, text: string, marker: string}} colors
 * @param {{x: number, label: string} | null} marker
 */
function paintChart(ctx, g, xs, ys, o, cursor, colors, marker = null) {
  ctx.clearRect(0, 0, g.w, g.h);
  ctx.font = FONT;
  // Axes: 4 horizontal grid lines with labels, x labels at both ends and the middle.
  ctx.strokeStyle = colors.grid;
  ctx.fillStyle = colors.text;
  ctx.lineWidth = 1;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  const n = xs.length;
  for (let y = g.y0; y <= g.y1 + g.step * 1e-6; y += g.step) {
    const py = Math.round(g.py(y)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(PAD.left, py);
    ctx.lineTo(g.w - PAD.right, py);
    ctx.stroke();
    if (n) ctx.fillText(o.format(y, g.step), PAD.left - 6, py);
  }
  ctx.textBaseline = "top";
  if (!n) {
    ctx.textAlign = "center";
    ctx.fillText(o.empty || "No data yet", PAD.left + g.pw / 2, PAD.top + g.ph / 2 - 6);
    return;
  }
  const ticks = o.xTicks ? o.xTicks(g.x0, g.x1) : n > 1 ? [g.x0, Math.round((g.x0 + g.x1) / 2), g.x1] : [g.x0];
  ticks.forEach((x, i) => {
    ctx.textAlign = i === 0 ? "left" : i === ticks.length - 1 ? "right" : "center";
    ctx.fillText(i === 0 || o.xTicks ? `${o.xName} ${x}` : String(x), g.px(x), g.h - PAD.bottom + 8);
  });
  o.series.forEach((s, k) => paintSeries(ctx, g, xs, ys[k], s));
  if (marker && marker.x >= g.x0 && marker.x <= g.x1) paintMarker(ctx, g, marker, colors.marker);
  if (cursor >= 0) paintCursor(ctx, g, xs, ys, o, cursor, colors.text);
}

/** A solid line at `marker.x` with its label at the top, inside the plot. */
function paintMarker(ctx, g, marker, color) {
  const px = Math.round(g.px(marker.x)) + 0.5;
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(px, PAD.top);
  ctx.lineTo(px, PAD.top + g.ph);
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.fillStyle = color;
  ctx.textBaseline = "top";
  const w = ctx.measureText(marker.label).width;
  const right = px + 4 + w <= g.w - PAD.right;
  ctx.textAlign = right ? "left" : "right";
  ctx.fillText(marker.label, right ? px + 4 : px - 4, PAD.top + 2);
}

/** A dashed line at x = xs[i] and a dot on each series there. */
function paintCursor(ctx, g, xs, ys, o, i, color) {
  const px = g.px(xs[i]);
  ctx.strokeStyle = color;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.moveTo(px, PAD.top);
  ctx.lineTo(px, PAD.top + g.ph);
  ctx.stroke();
  ctx.setLineDash([]);
  o.series.forEach((s, k) => {
    const v = ys[k][i];
    if (!Number.isFinite(v)) return;
    ctx.fillStyle = s.color;
    ctx.beginPath();
    ctx.arc(px, g.py(Math.min(g.y1, Math.max(g.y0, v))), 4, 0, 2 * Math.PI);
    ctx.fill();
  });
}

/** One series as a line (and dots); many points per pixel column become that column's min and max. */
function paintSeries(ctx, g, xs, ys, s) {
  const n = xs.length;
  ctx.save();
  ctx.beginPath();
  ctx.rect(PAD.left - 4, PAD.top - 4, g.pw + 8, g.ph + 8); // room for the dots at the ends
  ctx.clip();
  ctx.strokeStyle = s.color;
  ctx.globalAlpha = s.alpha ?? 1;
  ctx.lineWidth = s.width ?? 2;
  ctx.lineJoin = "round";
  ctx.beginPath();
  // Many points per pixel column: draw each column's min and max, so spikes stay visible.
  const perPx = n / g.pw;
  let started = false;
  const clampY = (v) => g.py(Math.min(g.y1 * 4, Math.max(g.y0, v)));
  if (perPx > 2) {
    let col = -1,
      lo = Infinity,
      hi = -Infinity;
    const flush = () => {
      if (col < 0 || lo > hi) return;
      const x = PAD.left + col;
      if (!started) (ctx.moveTo(x, clampY(hi)), (started = true));
      else ctx.lineTo(x, clampY(hi));
      ctx.lineTo(x, clampY(lo));
    };
    for (let i = 0; i < n; i++) {
      const c = Math.floor(g.px(xs[i]) - PAD.left);
      if (c !== col) (flush(), (col = c), (lo = Infinity), (hi = -Infinity));
      const v = ys[i];
      if (Number.isFinite(v)) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
    }
    flush();
  } else {
    for (let i = 0; i < n; i++) {
      const v = ys[i];
      if (!Number.isFinite(v)) {
        started = false;
        continue;
      }
      const x = g.px(xs[i]);
      if (!started) (ctx.moveTo(x, clampY(v)), (started = true));
      else ctx.lineTo(x, clampY(v));
    }
  }
  ctx.stroke();
  if (s.dots) {
    ctx.fillStyle = s.color;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(ys[i])) continue;
      ctx.beginPath();
      ctx.arc(g.px(xs[i]), clampY(ys[i]), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.restore();
}

// ---- the chart: canvas, tooltip, keys, the table ------------------------------------------------

export class LineChart {
  /**
   * Options (ChartOptions above): `label`, what the chart shows (the canvas's
   * accessible name); `xName`, x in the tooltip and table ("step", "epoch"); `series`; `format`,
   * a y value as text (an axis label when `axisStep`, the distance between labels, is given);
   * `xDomain`, the x range given the data's; `xTicks`, where to label x; `yBounds`, the y axis
   * stays within these (else it includes 0); `tableRows`, at most this many rows in the table
   * (evenly spaced); `empty`, the words of an empty chart; `summary`, one sentence for the label.
   * @param {ChartOptions} o
   */
  constructor(o) {
    this.o = { tableRows: 60, ...o };
    this.xs = [];
    this.ys = o.series.map(() => []);
    this.cursor = -1;
    /** @type {{x: number, label: string} | null} */
    this.marker = null;
    this.canvas = el("canvas", { class: "chart-canvas", tabindex: 0, role: "img", "aria-label": o.label });
    this.tip = el("div", { class: "chart-tip", "aria-hidden": "true" });
    this.legend = el(
      "ul",
      { class: "chart-legend" },
      o.series.map((s) => el("li", {}, el("span", { class: "swatch", "data-color": s.color }), s.name)),
    );
    for (const [i, s] of o.series.entries()) this.legend.children[i].firstChild.style.background = s.color;
    this.tbody = el("tbody");
    this.details = el(
      "details",
      { class: "data-table" },
      el("summary", {}, "Show the numbers"),
      el(
        "div",
        { class: "table-scroll", tabindex: 0, role: "region", "aria-label": `${o.label}: the numbers` },
        el(
          "table",
          {},
          el("caption", { class: "visually-hidden" }, o.label),
          columnHeads(
            o.xName,
            o.series.map((s) => s.name),
          ),
          this.tbody,
        ),
      ),
    );
    this.root = el("figure", { class: "chart" }, el("div", { class: "chart-box" }, this.canvas, this.tip), this.legend, this.details);

    this.canvas.addEventListener("pointermove", (e) => this.hoverAt(e.offsetX));
    this.canvas.addEventListener("pointerleave", () => this.setCursor(-1));
    this.canvas.addEventListener("blur", () => this.setCursor(-1));
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.scheduled = false;
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  /** Replaces all data. */
  set(xs, ys) {
    this.xs = xs;
    this.ys = ys;
    this.changed();
  }

  /** Appends one point to every series. */
  push(x, values) {
    this.xs.push(x);
    values.forEach((v, i) => this.ys[i].push(v));
    this.changed();
  }

  /** Marks `x` with a line and `label` (null: no marker). @param {number | null} x @param {string} [label] */
  setMarker(x, label = "") {
    this.marker = x == null ? null : { x, label };
    this.draw();
  }

  clear() {
    this.set(
      [],
      this.o.series.map(() => []),
    );
  }

  changed() {
    if (this.cursor >= this.xs.length) this.cursor = -1;
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
      // Filled even while closed (at most tableRows rows), so opening shows the numbers at once
      // instead of an empty table until the toggle event.
      this.fillTable();
      if (this.o.summary) this.canvas.setAttribute("aria-label", `${this.o.label}. ${this.o.summary(this.xs, this.ys)}`);
    });
  }

  fillTable() {
    const n = this.xs.length;
    const stride = Math.max(1, Math.ceil(n / this.o.tableRows));
    const rows = [];
    for (let i = 0; i < n; i += stride) rows.push(i);
    if (n && rows[rows.length - 1] !== n - 1) rows.push(n - 1);
    setChildren(
      this.tbody,
      rows.map((i) =>
        el(
          "tr",
          {},
          el("th", { scope: "row" }, String(this.xs[i])),
          this.ys.map((s) => el("td", {}, this.o.format(s[i]))),
        ),
      ),
    );
  }

  geometry() {
    return chartGeometry(this.xs, this.ys, this.canvas.clientWidth, this.canvas.clientHeight, this.o);
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const W = Math.round(c.clientWidth * dpr);
    const H = Math.round(c.clientHeight * dpr);
    if (!W || !H) return;
    if (c.width !== W) c.width = W;
    if (c.height !== H) c.height = H;
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const css = getComputedStyle(c);
    const colors = {
      grid: css.getPropertyValue("--chart-grid").trim() || "#e5e7eb",
      text: css.getPropertyValue("--chart-text").trim() || "#4b5563",
      marker: css.getPropertyValue("--chart-marker").trim() || "#7c2d12",
    };
    paintChart(ctx, this.geometry(), this.xs, this.ys, this.o, this.cursor, colors, this.marker);
  }

  hoverAt(offsetX) {
    const n = this.xs.length;
    if (!n) return;
    const g = this.geometry();
    const x = g.x0 + ((offsetX - PAD.left) / g.pw) * (g.x1 - g.x0);
    // xs are increasing: binary search for the nearest.
    let lo = 0,
      hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.xs[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(this.xs[lo - 1] - x) < Math.abs(this.xs[lo] - x)) lo--;
    this.setCursor(lo);
  }

  key(e) {
    const n = this.xs.length;
    if (!n) return;
    const big = Math.max(1, Math.round(n / 20));
    const moves = { ArrowLeft: -1, ArrowRight: 1, PageDown: -big, PageUp: big };
    let i = this.cursor < 0 ? n - 1 : this.cursor;
    if (e.key in moves) i += this.cursor < 0 ? 0 : moves[e.key];
    else if (e.key === "Home") i = 0;
    else if (e.key === "End") i = n - 1;
    else if (e.key === "Escape") return this.setCursor(-1);
    else return;
    e.preventDefault();
    this.setCursor(Math.max(0, Math.min(n - 1, i)));
  }

  setCursor(i) {
    this.cursor = i;
    this.draw();
    if (i < 0) {
      this.tip.classList.remove("shown");
      return;
    }
    setChildren(
      this.tip,
      el("strong", {}, `${this.o.xName} ${this.xs[i]}`),
      this.o.series.map((s, k) => el("div", {}, `${s.name}: ${this.o.format(this.ys[k][i])}`)),
    );
    const g = this.geometry();
    const px = g.px(this.xs[i]);
    this.tip.classList.add("shown");
    const tw = this.tip.offsetWidth;
    this.tip.style.left = `${Math.max(0, Math.min(g.w - tw, px + 10 + tw > g.w ? px - tw - 10 : px + 10))}px`;
    this.tip.style.top = `${PAD.top}px`;
    // Keyboard users hear the value (the canvas is the focused element).
    if (document.activeElement === this.canvas) {
      this.canvas.setAttribute("aria-label", `${this.o.label}. ${this.tip.textContent}`);
    }
  }
}
