// @ts-check
// The first layer as pictures: every unit's incoming weights (or every filter) as a tile, or the
// change since the previous snapshot; the selected unit marked, picked by click, arrow keys or
// number.

import { el, int, num, uid } from "../../lib/ui.js";
import { paintTiles, absMax, divergingCss } from "../../lib/pixels.js";

/**
 * @typedef {import("./layout.js").Layout} Layout
 * @typedef {{layout: Layout, snap: Float32Array | null, prevSnap: Float32Array | null, snapStep: number, prevStep: number,
 *            unit: number, change: () => Float32Array | null}} WeightsState
 *   what the weights view knows: the layout, the last two snapshots of the first layer's weights, the unit picked
 */

/**
 * @param {WeightsState} state
 * @param {{onPick: (unit: number) => void, onOpen: () => void, onMode: () => void}} hooks
 */
export function firstLayerCard(state, { onPick, onOpen, onMode }) {
  const intro = el("p", { class: "hint" });
  const modeName = uid("mode");
  const modeWeights = el("input", { type: "radio", name: modeName, value: "weights", checked: true, onchange: onMode });
  const modeChange = /** @type {HTMLInputElement} */ (el("input", { type: "radio", name: modeName, value: "change", onchange: onMode }));
  const modes = el(
    "fieldset",
    { class: "segmented" },
    el("legend", { class: "visually-hidden" }, "Show"),
    el("label", {}, modeWeights, el("span", {}, "Weights")),
    el("label", {}, modeChange, el("span", {}, "Last change")),
  );
  const legend = el("div", { class: "palette-legend", "aria-hidden": "true" });
  const legendText = el("p", { class: "hint legend-text" });
  const grid = /** @type {HTMLCanvasElement} */ (
    el("canvas", { class: "weight-grid", tabindex: 0, role: "img", "aria-label": "Weights of the first layer's units" })
  );
  const marker = el("div", { class: "grid-marker", "aria-hidden": "true" });
  const gridWrap = el("div", { class: "grid-wrap" }, grid, marker);
  const snapNote = el("p", { class: "hint snap-note", "aria-live": "off" });
  const unitInput = /** @type {HTMLInputElement} */ (
    el("input", { type: "number", min: "0", step: "1", value: "0", inputmode: "numeric", id: uid("unit") })
  );
  const prevBtn = el(
    "button",
    { type: "button", class: "btn btn-small", "aria-label": "Previous unit", onclick: () => onPick(state.unit - 1) },
    "‹",
  );
  const nextBtn = el(
    "button",
    { type: "button", class: "btn btn-small", "aria-label": "Next unit", onclick: () => onPick(state.unit + 1) },
    "›",
  );
  const unitLabel = el("label", { for: unitInput.id }, "Unit");
  const root = el(
    "section",
    { class: "card" },
    el("h3", {}, "First layer"),
    intro,
    el("div", { class: "grid-tools" }, modes, el("div", { class: "unit-picker" }, unitLabel, prevBtn, unitInput, nextBtn)),
    gridWrap,
    el("div", { class: "legend-row" }, legend, legendText),
    snapNote,
  );
  /** @type {{cols: number, rows: number, w: number, h: number, gap: number, W: number, H: number} | null} */
  let geometry = null;

  /** A new layout (another model's first layer). */
  function setLayout() {
    const L = state.layout;
    intro.textContent = L.intro;
    gridWrap.style.maxWidth = L.kind ? `${Math.round((L.cols * L.tilePx * (L.tileW + 1)) / L.tileW)}px` : "";
    unitLabel.textContent = L.kind === "conv" ? "Filter" : "Unit";
    unitInput.max = String(Math.max(0, L.units - 1));
  }

  function draw() {
    const L = state.layout;
    if (!state.snap || !L.kind) return;
    const showChange = modeChange.checked;
    const values = showChange ? state.change() : state.snap;
    if (!values) {
      grid.getContext("2d").clearRect(0, 0, grid.width, grid.height);
      legendText.textContent = "No change to show yet: train the model, and the difference between two snapshots appears here.";
      legend.replaceChildren();
      return;
    }
    const globalScale = absMax(values);
    const scales = Array.from({ length: L.units }, (_, k) =>
      showChange ? globalScale : absMax(values, k * L.perUnit, (k + 1) * L.perUnit),
    );
    geometry = paintTiles(grid, values, L.units, L.tileW, L.tileH, L.cols, 1, (k) => scales[k]);
    grid.style.aspectRatio = `${geometry.W} / ${geometry.H}`;
    drawLegend(
      showChange
        ? `Change from step ${int(state.prevStep)} to step ${int(state.snapStep)}, one colour scale for all: −${num(globalScale, 2)} (blue) to +${num(globalScale, 2)} (orange).`
        : "Blue: negative weight · white: near zero · orange: positive weight.",
    );
    placeMarker();
    const noun = L.kind === "conv" ? "filter" : "unit";
    grid.setAttribute(
      "aria-label",
      `${showChange ? "Change of the" : "The"} incoming weights of ${L.units} ${noun}s; ${noun} ${state.unit} is selected.`,
    );
  }

  function drawLegend(text) {
    legend.replaceChildren(
      ...Array.from({ length: 21 }, (_, i) => {
        const s = el("span");
        s.style.background = divergingCss(i / 10 - 1);
        return s;
      }),
    );
    legendText.textContent = text;
  }

  function placeMarker() {
    if (!geometry) return;
    const g = geometry;
    const x = (state.unit % g.cols) * (g.w + g.gap);
    const y = Math.floor(state.unit / g.cols) * (g.h + g.gap);
    marker.style.left = `${(100 * (x - 0.5)) / g.W}%`;
    marker.style.top = `${(100 * (y - 0.5)) / g.H}%`;
    marker.style.width = `${(100 * (g.w + 1)) / g.W}%`;
    marker.style.height = `${(100 * (g.h + 1)) / g.H}%`;
  }

  grid.addEventListener("click", (e) => {
    if (!geometry) return;
    const g = geometry;
    const x = (e.offsetX / grid.clientWidth) * g.W;
    const y = (e.offsetY / grid.clientHeight) * g.H;
    const k = Math.floor(y / (g.h + g.gap)) * g.cols + Math.floor(x / (g.w + g.gap));
    if (k < state.layout.units) onPick(k);
  });
  grid.addEventListener("keydown", (e) => {
    const cols = state.layout.cols;
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols };
    if (e.key in moves) {
      e.preventDefault();
      onPick(state.unit + moves[e.key]);
    } else if (e.key === "Enter") {
      e.preventDefault();
      onOpen();
    }
  });
  unitInput.addEventListener("change", () => onPick(Number(unitInput.value)));

  /** The picked unit changed. */
  function picked() {
    unitInput.value = String(state.unit);
    placeMarker();
  }

  return {
    root,
    setLayout,
    draw,
    picked,
    say: (/** @type {string} */ text) => (snapNote.textContent = text),
    loading: () => (intro.textContent = "Loading the model…"),
  };
}
