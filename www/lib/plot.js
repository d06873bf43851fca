// @ts-check
// A small line chart on a canvas: several series over a shared x, values on hover (and with the
// arrow keys when focused), and the same numbers as a table for screen readers.

import { el, setChildren } from "./ui.js";
import { PAD, chartGeometry, paintChart, decimalsFor } from "./chart-canvas.js";

export { decimalsFor };

export class LineChart {
  /**
   * Options (ChartOptions in chart-canvas.js): `label`, what the chart shows (the canvas's
   * accessible name); `xName`, x in the tooltip and table ("step", "epoch"); `series`; `format`,
   * a y value as text (an axis label when `axisStep`, the distance between labels, is given);
   * `xDomain`, the x range given the data's; `xTicks`, where to label x; `yBounds`, the y axis
   * stays within these (else it includes 0); `tableRows`, at most this many rows in the table
   * (evenly spaced); `empty`, the words of an empty chart; `summary`, one sentence for the label.
   * @param {import("./chart-canvas.js").ChartOptions} o
   */
  constructor(o) {
    this.o = { tableRows: 60, ...o };
    this.xs = [];
    this.ys = o.series.map(() => []);
    this.cursor = -1;
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
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", { scope: "col" }, o.xName),
              o.series.map((s) => el("th", { scope: "col" }, s.name)),
            ),
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
    };
    paintChart(ctx, this.geometry(), this.xs, this.ys, this.o, this.cursor, colors);
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
