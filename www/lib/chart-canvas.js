// @ts-check
// The pictures of a line chart, as plain functions of its data: the axes' ranges and where a
// value lands on the canvas (`chartGeometry`), and the painting of the axes, the series and the
// cursor. lib/plot.js's LineChart owns the canvas, the events and the table.

export const FONT = "12px system-ui, -apple-system, 'Segoe UI', sans-serif";
export const PAD = { left: 48, right: 12, top: 10, bottom: 26 };

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
export function chartGeometry(xs, ys, w, h, o) {
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
 * Paints the grid, the axis labels, every series and the cursor (index `cursor`, or -1).
 * @param {CanvasRenderingContext2D} ctx @param {Geometry} g @param {number[]} xs @param {number[][]} ys
 * @param {ChartOptions} o @param {number} cursor @param {{grid: string, text: string}} colors
 */
export function paintChart(ctx, g, xs, ys, o, cursor, colors) {
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
  if (cursor >= 0) paintCursor(ctx, g, xs, ys, o, cursor, colors.text);
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
