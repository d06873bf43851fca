// @ts-check
// How the first layer is drawn: which layer that is, whether its units are 28×28 pictures (a dense
// layer on the image) or k×k filters (a convolution), and how big the tiles are.

/**
 * @typedef {{layerIndex: number, kind: "dense" | "conv" | null, units: number, tileW: number, tileH: number, perUnit: number,
 *            cols: number, tilePx: number, intro: string}} Layout
 */

/**
 * The layout of the first layer with weights of `arch` (a model's `describe().arch`).
 * @param {import("../../protocol.js").Arch} arch
 * @returns {Layout}
 */
export function firstLayerLayout(arch) {
  const layerIndex = arch.layers.findIndex((l) => l.type === "dense" || l.type === "conv2d");
  const l = arch.layers[layerIndex];
  /** @type {Layout} */
  const none = { layerIndex, kind: null, units: 0, tileW: 0, tileH: 0, perUnit: 0, cols: 1, tilePx: 0, intro: "" };
  if (l?.type === "dense" && l.inputs === 784) {
    const units = l.outputs;
    return {
      ...none,
      kind: "dense",
      units,
      tileW: 28,
      tileH: 28,
      perUnit: 784,
      cols: units <= 64 ? 8 : units <= 128 ? 16 : 32,
      // Tiles big enough to see, whatever their number: 64 units get 64 px each, 512 get 30 px.
      tilePx: units <= 64 ? 64 : units <= 128 ? 52 : 30,
      intro: `Each square is one of the ${units} hidden units: its 784 incoming weights, laid out like the 28 × 28 image. Ink on an orange pixel raises the unit's total, ink on a blue pixel lowers it. Each square has its own colour scale.`,
    };
  }
  if (l?.type === "conv2d" && l.in_channels === 1) {
    return {
      ...none,
      kind: "conv",
      units: l.out_channels,
      tileW: l.kernel,
      tileH: l.kernel,
      perUnit: l.kernel * l.kernel,
      cols: 8,
      tilePx: 44,
      intro: `Each square is one of the ${l.out_channels} convolution filters: ${l.kernel} × ${l.kernel} weights that slide over the image, looking for one small pattern (an edge, a corner). Each has its own colour scale.`,
    };
  }
  return { ...none, intro: "This model's first layer cannot be drawn as pictures." };
}
