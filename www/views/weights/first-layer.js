// @ts-check
// The first layer as pictures: every unit's incoming weights (or every filter) as a tile, the
// change since the previous snapshot, or two points of the timeline compared (A, B, or B − A, from
// the core); the selected unit marked, picked by click, arrow keys or number.

import { el, int, num, uid } from "../../lib/ui.js";
import { paintTiles, absMax, divergingCss } from "../../lib/pixels.js";

/**
 * @typedef {import("./layout.js").Layout} Layout
 * @typedef {"weights" | "change" | "compare"} Mode
 * @typedef {{layout: Layout, snap: Float32Array | null, prevSnap: Float32Array | null, snapStep: number, prevStep: number,
 *            unit: number, mode: Mode, compare: import("../../protocol.js").Comparison | null, compareShow: "a" | "b" | "diff",
 *            compareNames: {a: string, b: string}, change: () => Float32Array | null, shown: () => Float32Array | null}} WeightsState
 *   what the weights view knows: the layout, the last two snapshots of the first layer's weights, the unit picked, and two
 *   points compared (the core's comparison and the points' names)
 */

/**
 * @param {WeightsState} state
 * @param {{onPick: (unit: number) => void, onOpen: () => void, onMode: () => void, onCompare: (a: number | null, b: number | null) => void}} hooks
 */
export function firstLayerCard(state, { onPick, onOpen, onMode, onCompare }) {
  const intro = el("p", { class: "hint" });
  const modeName = uid("mode");
  const radio = (/** @type {Mode} */ value, checked = false) =>
    /** @type {HTMLInputElement} */ (
      el("input", {
        type: "radio",
        name: modeName,
        value,
        checked,
        onchange: () => ((state.mode = value), (compareBar.hidden = value !== "compare"), onMode()),
      })
    );
  const modes = el(
    "fieldset",
    { class: "segmented" },
    el("legend", { class: "visually-hidden" }, "Show"),
    el("label", {}, radio("weights", true), el("span", {}, "Weights")),
    el("label", {}, radio("change"), el("span", {}, "Last change")),
    el("label", {}, radio("compare"), el("span", {}, "Compare two points")),
  );
  // Two points of the timeline (the model in training is "now"), and which picture to show.
  const pickA = /** @type {HTMLSelectElement} */ (el("select", { id: uid("a"), onchange: compareChanged }));
  const pickB = /** @type {HTMLSelectElement} */ (el("select", { id: uid("b"), onchange: compareChanged }));
  const showName = uid("show");
  const showRadio = (/** @type {"a" | "b" | "diff"} */ value, text, checked = false) =>
    el(
      "label",
      {},
      el("input", { type: "radio", name: showName, value, checked, onchange: () => ((state.compareShow = value), onMode()) }),
      el("span", {}, text),
    );
  const compareNote = el("p", { class: "hint compare-note", "aria-live": "polite" });
  const compareBar = el(
    "div",
    { class: "compare-bar", hidden: true },
    el("div", { class: "compare-picks" }, el("label", { for: pickA.id }, "A"), pickA, el("label", { for: pickB.id }, "B"), pickB),
    el(
      "fieldset",
      { class: "segmented" },
      el("legend", { class: "visually-hidden" }, "Picture"),
      showRadio("a", "A"),
      showRadio("b", "B"),
      showRadio("diff", "B − A", true),
    ),
    compareNote,
  );
  /** The steps of the options, "" for now. */
  function compareChanged() {
    const step = (/** @type {HTMLSelectElement} */ s) => (s.value === "" ? null : Number(s.value));
    state.compareNames = { a: pickA.selectedOptions[0]?.textContent ?? "", b: pickB.selectedOptions[0]?.textContent ?? "" };
    onCompare(step(pickA), step(pickB));
  }
  /**
   * The points to pick from: the timeline's entries and now; A stays where it was if it can (else
   * the first), B likewise (else now).
   * @param {{step: number, label: string}[]} points
   */
  function setPoints(points) {
    for (const [pick, fallback] of /** @type {[HTMLSelectElement, string][]} */ ([
      [pickA, points.length ? String(points[0].step) : ""],
      [pickB, ""],
    ])) {
      const was = pick.value;
      pick.replaceChildren(
        ...points.map((p) => el("option", { value: String(p.step) }, p.label)),
        el("option", { value: "" }, "now (the model in training)"),
      );
      pick.value = [...pick.options].some((o) => o.value === was) && pick.dataset.set ? was : fallback;
      pick.dataset.set = "1";
    }
    state.compareNames = { a: pickA.selectedOptions[0]?.textContent ?? "", b: pickB.selectedOptions[0]?.textContent ?? "" };
  }
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
    compareBar,
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
    if (!L.kind) return;
    const c = state.compare;
    if (c) {
      compareNote.textContent = `‖A‖ = ${num(c.a_norm, 4)}, ‖B‖ = ${num(c.b_norm, 4)}, ‖B − A‖ = ${num(c.diff_norm, 4)} (the first layer's ${int(c.a.length)} weights, from the core).`;
    } else if (state.mode === "compare") compareNote.textContent = "Comparing…";
    const values = state.shown();
    if (!values) {
      grid.getContext("2d").clearRect(0, 0, grid.width, grid.height);
      legendText.textContent =
        state.mode === "compare"
          ? "Pick two points of the timeline to compare."
          : "No change to show yet: train the model, and the difference between two snapshots appears here.";
      legend.replaceChildren();
      return;
    }
    const oneScale = state.mode === "change" || (state.mode === "compare" && state.compareShow === "diff");
    const globalScale = absMax(values);
    const scales = Array.from({ length: L.units }, (_, k) => (oneScale ? globalScale : absMax(values, k * L.perUnit, (k + 1) * L.perUnit)));
    geometry = paintTiles(grid, values, L.units, L.tileW, L.tileH, L.cols, 1, (k) => scales[k]);
    grid.style.aspectRatio = `${geometry.W} / ${geometry.H}`;
    const range = `one colour scale for all: −${num(globalScale, 2)} (blue) to +${num(globalScale, 2)} (orange)`;
    drawLegend(
      state.mode === "change"
        ? `Change from step ${int(state.prevStep)} to step ${int(state.snapStep)}, ${range}.`
        : oneScale
          ? `B − A: from ${state.compareNames.a} to ${state.compareNames.b}, ${range}.`
          : `${state.mode === "compare" ? `${state.compareShow.toUpperCase()}: ${state.compareNames[state.compareShow]}. ` : ""}Blue: negative weight · white: near zero · orange: positive weight.`,
    );
    placeMarker();
    const noun = L.kind === "conv" ? "filter" : "unit";
    grid.setAttribute(
      "aria-label",
      `${oneScale ? "Change of the" : "The"} incoming weights of ${L.units} ${noun}s; ${noun} ${state.unit} is selected.`,
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
    setPoints,
    compareChanged,
    say: (/** @type {string} */ text) => (snapNote.textContent = text),
    loading: () => (intro.textContent = "Loading the model…"),
  };
}
