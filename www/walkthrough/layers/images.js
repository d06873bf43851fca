// @ts-check
// How a tensor's numbers are drawn as a picture in the walk-through: a [C, H, W] map one channel
// at a time, 784 numbers as 28 × 28, other vectors as a near-square grid.

/**
 * The picture of `values` (tensor t's numbers, or numbers laid out like them) around element `idx`.
 * @returns {{values: number[], h: number, w: number, highlight: number, offset: number, note: string}}
 */
export function imageOf(T, t, values, idx) {
  let s = T.shapes[t];
  // A flattened map is drawn as the map it came from.
  for (let i = t - 1; i >= 0 && s.length === 1 && T.layers[i].kind === "flatten"; i--) s = T.shapes[i];
  if (s.length === 3) {
    const [C, H, W] = s;
    const c = Math.floor(idx / (H * W));
    return {
      values: values.slice(c * H * W, (c + 1) * H * W),
      h: H,
      w: W,
      highlight: idx - c * H * W,
      offset: c * H * W,
      note: C > 1 ? `channel ${c} of ${C}` : "",
    };
  }
  const n = values.length;
  if (n === 784) return { values, h: 28, w: 28, highlight: idx, offset: 0, note: "" };
  const w = n <= 10 ? n : Math.ceil(Math.sqrt(n));
  return { values, h: Math.ceil(n / w), w, highlight: idx, offset: 0, note: "" };
}
