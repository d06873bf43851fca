// @ts-check
// Pictures of numbers: grey images (digits) and a diverging palette (weights), painted into
// canvases one pixel per value and scaled up by CSS (image-rendering: pixelated).

/** Ink colour of grey images: 0 -> paper, 1 -> ink (the same look as the drawing canvas). */
const PAPER = [255, 255, 255];
const INK = [23, 32, 51];

/**
 * Blue - white - orange, a diverging palette that stays readable with the common colour-vision
 * deficiencies (stops from ColorBrewer's PuOr/RdBu family). Negative is blue, positive orange.
 */
/** @type {[number, number[]][]} */
const STOPS = [
  [-1, [33, 102, 172]],
  [-0.5, [146, 197, 222]],
  [0, [247, 247, 247]],
  [0.5, [253, 184, 99]],
  [1, [179, 88, 6]],
];

const LUT = (() => {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * 2 - 1;
    let k = 0;
    while (k < STOPS.length - 2 && t > STOPS[k + 1][0]) k++;
    const [t0, c0] = STOPS[k];
    const [t1, c1] = STOPS[k + 1];
    const f = (t - t0) / (t1 - t0);
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = c0[c] + f * (c1[c] - c0[c]);
  }
  return lut;
})();

/** The palette's index (0 to 255) of a value in [-1, 1]. */
const divergingIndex = (/** @type {number} */ v) => Math.max(0, Math.min(255, Math.round(((v + 1) / 2) * 255)));

/** CSS colour of `v` in [-1, 1] on the diverging palette (for legends). */
export function divergingCss(v) {
  const i = divergingIndex(v);
  return `rgb(${LUT[i * 3]}, ${LUT[i * 3 + 1]}, ${LUT[i * 3 + 2]})`;
}

/** WCAG's relative luminance of an sRGB colour (0 to 255 a channel). */
function luminance(/** @type {number} */ r, /** @type {number} */ g, /** @type {number} */ b) {
  const lin = (/** @type {number} */ c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/**
 * The text colour for a number written on `divergingCss(v)`: white or black, whichever contrasts
 * more (on every colour of the palette one of them reaches WCAG's 4.5:1).
 */
export function divergingTextCss(v) {
  const i = divergingIndex(v);
  const l = luminance(LUT[i * 3], LUT[i * 3 + 1], LUT[i * 3 + 2]);
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#fff" : "#000";
}

function sized(canvas, w, h) {
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  return canvas.getContext("2d");
}

/** Paints grey levels in [0, 1] (row-major, w x h) as ink on paper. */
export function paintGrey(canvas, values, w, h) {
  const ctx = sized(canvas, w, h);
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = Math.max(0, Math.min(1, values[i]));
    for (let c = 0; c < 3; c++) img.data[4 * i + c] = PAPER[c] + v * (INK[c] - PAPER[c]);
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Paints bytes 0..255 (an MNIST image) as ink on paper. */
export function paintBytes(canvas, bytes, w = 28, h = 28) {
  const f = new Float32Array(w * h);
  for (let i = 0; i < f.length; i++) f[i] = bytes[i] / 255;
  paintGrey(canvas, f, w, h);
}

/** The largest absolute value (the symmetric scale of a diverging picture); never 0. */
export function absMax(values, from = 0, to = values.length) {
  let m = 0;
  for (let i = from; i < to; i++) {
    const a = Math.abs(values[i]);
    if (a > m) m = a;
  }
  return m || 1;
}

function putDiverging(img, offset, stride, values, from, w, h, scale) {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values[from + y * w + x] / scale;
      const i = Number.isFinite(v) ? Math.max(0, Math.min(255, Math.round(((v + 1) / 2) * 255))) : 127;
      const p = offset + (y * stride + x) * 4;
      img.data[p] = LUT[i * 3];
      img.data[p + 1] = LUT[i * 3 + 1];
      img.data[p + 2] = LUT[i * 3 + 2];
      img.data[p + 3] = 255;
    }
  }
}

/** Paints values (row-major, w x h) on the diverging palette, ±scale at the ends. */
export function paintDiverging(canvas, values, w, h, scale = absMax(values), from = 0) {
  const ctx = sized(canvas, w, h);
  const img = ctx.createImageData(w, h);
  putDiverging(img, 0, w, values, from, w, h, scale);
  ctx.putImageData(img, 0, 0);
}

/**
 * Paints `count` tiles of w x h values each (consecutive in `values`) in a grid of `cols`
 * columns with `gap` pixels between them, on the diverging palette. `scaleOf(k)` gives tile k's
 * scale. Returns the geometry, for mapping clicks back to tiles.
 */
export function paintTiles(canvas, values, count, w, h, cols, gap, scaleOf) {
  const rows = Math.ceil(count / cols);
  const W = cols * (w + gap) - gap;
  const H = rows * (h + gap) - gap;
  const ctx = sized(canvas, W, H);
  const img = ctx.createImageData(W, H);
  img.data.fill(255);
  for (let k = 0; k < count; k++) {
    const x0 = (k % cols) * (w + gap);
    const y0 = Math.floor(k / cols) * (h + gap);
    putDiverging(img, (y0 * W + x0) * 4, W, values, k * w * h, w, h, scaleOf(k));
  }
  ctx.putImageData(img, 0, 0);
  return { cols, rows, w, h, gap, W, H };
}
