// @ts-check
// One unit up close: its incoming weights (and their change since the last snapshot), its numbers,
// how strongly it responds to the current drawing, and, for a CNN, every filter's feature map of
// the drawing. The activations come from the core (`activations`, src/summary.rs).

import { el, setChildren, num } from "../../lib/ui.js";
import { paintDiverging, paintTiles, absMax, divergingCss, divergingTextCss } from "../../lib/pixels.js";

/** @typedef {import("./first-layer.js").WeightsState} WeightsState */
/** @typedef {import("../../protocol.js").Replies["activations"]} Activations */

/** The k×k numbers of a filter, each cell shaded on the diverging palette. */
function filterTable(/** @type {Float32Array} */ snap, /** @type {number} */ from, /** @type {number} */ k) {
  const scale = absMax(snap, from, from + k * k);
  const rows = Array.from({ length: k }, (_, r) =>
    el(
      "tr",
      {},
      Array.from({ length: k }, (_, c) => {
        const v = snap[from + r * k + c];
        const td = el("td", {}, num(v, 3));
        td.style.background = divergingCss(v / scale);
        td.style.color = divergingTextCss(v / scale);
        return td;
      }),
    ),
  );
  return el("table", { class: "filter-table" }, el("caption", {}, "The filter's weights"), el("tbody", {}, rows));
}

const activationName = (/** @type {string} */ type) => (type === "relu" ? "ReLU" : type);

/**
 * @param {any} app the page (main.js)
 * @param {WeightsState} state
 */
export function unitCards(app, state) {
  const title = el("h3", {}, "Unit 0");
  const big = /** @type {HTMLCanvasElement} */ (el("canvas", { class: "unit-big" }));
  const change = /** @type {HTMLCanvasElement} */ (el("canvas", { class: "unit-big" }));
  const changeCaption = el("figcaption", {}, "Change since last snapshot");
  const bigCaption = el("figcaption", {}, "Incoming weights");
  const changeFig = el("figure", {}, change, changeCaption);
  const numbers = el("div", { class: "unit-numbers" });
  const act = el("div", { class: "unit-act", "aria-live": "polite" });
  const stepLink = el(
    "button",
    { type: "button", class: "btn", onclick: () => app.openUnit(state.layout.layerIndex, state.unit) },
    "Step through this unit",
  );
  const unitCard = el(
    "section",
    { class: "card unit-card" },
    title,
    el(
      "div",
      { class: "unit-row" },
      el("figure", {}, big, bigCaption),
      changeFig,
      el("div", { class: "unit-side" }, act, numbers, stepLink),
    ),
  );
  const mapsCanvas = /** @type {HTMLCanvasElement} */ (
    el("canvas", { class: "weight-grid maps-grid", role: "img", "aria-label": "Feature maps of the current drawing" })
  );
  const mapsNote = el("p", { class: "hint" });
  const mapsCard = el("section", { class: "card", hidden: true }, el("h3", {}, "Feature maps of your drawing"), mapsNote, mapsCanvas);

  function draw() {
    const L = state.layout;
    const comparing = state.mode === "compare" && state.compare;
    // Comparing: the unit's weights at B (or A when A is shown) beside B − A.
    const snap = comparing ? state.compare[state.compareShow === "a" ? "a" : "b"] : state.snap;
    if (!snap || !L.kind) return;
    bigCaption.textContent = comparing ? `Incoming weights at ${state.compareShow === "a" ? "A" : "B"}` : "Incoming weights";
    changeCaption.textContent = comparing ? "B − A" : "Change since last snapshot";
    title.textContent = `${L.kind === "conv" ? "Filter" : "Unit"} ${state.unit} of ${L.units}`;
    const from = state.unit * L.perUnit;
    paintDiverging(big, snap, L.tileW, L.tileH, absMax(snap, from, from + L.perUnit), from);
    const d = state.change();
    changeFig.hidden = !d;
    if (d) paintDiverging(change, d, L.tileW, L.tileH, absMax(d, from, from + L.perUnit), from);
    if (L.kind === "conv") {
      setChildren(numbers, filterTable(snap, from, L.tileW));
    } else {
      let lo = Infinity,
        hi = -Infinity;
      for (let i = from; i < from + L.perUnit; i++) ((lo = Math.min(lo, snap[i])), (hi = Math.max(hi, snap[i])));
      setChildren(numbers, el("p", { class: "hint" }, `784 weights from ${num(lo, 3)} to ${num(hi, 3)}.`));
    }
  }

  let busy = false,
    again = false;
  /** Asks the core for every layer's output on the current drawing, and shows the unit's. */
  async function updateActivations() {
    if (!state.layout.kind || !app.isShown("weights")) return;
    if (!app.drawing) {
      setChildren(act, el("p", { class: "hint" }, "Draw a digit to see how strongly this unit responds to it."));
      mapsNote.textContent = "Draw a digit to see what each filter finds in it.";
      mapsCanvas.getContext("2d").clearRect(0, 0, mapsCanvas.width, mapsCanvas.height);
      return;
    }
    if (busy) return void (again = true);
    busy = true;
    try {
      showActivations(await app.client.request("activations", { pixels: new Float32Array(app.drawing) }));
    } catch (e) {
      setChildren(act, el("p", { class: "error-text" }, `Could not compute the activations: ${e.message}`));
    } finally {
      busy = false;
      if (again) ((again = false), updateActivations());
    }
  }

  function showActivations(/** @type {Activations} */ outs) {
    const { layerIndex, kind } = state.layout;
    const unit = state.unit;
    const z = outs[layerIndex];
    const a = outs[layerIndex + 1];
    const name = activationName(app.model.arch.layers[layerIndex + 1]?.type || "activation");
    if (kind === "dense") {
      const zk = z.values[unit],
        ak = a.values[unit];
      setChildren(
        act,
        el("p", {}, "On your drawing: ", el("span", { class: "formula" }, `z = w · x + b = ${num(zk)}`)),
        el("p", {}, `After ${name}: `, el("strong", {}, num(ak)), ak > 0 ? " (the unit fires)" : " (silent for this drawing)"),
      );
      return;
    }
    const [maps, h, w] = a.shape;
    const n = h * w;
    let peak = 0;
    for (let i = unit * n; i < (unit + 1) * n; i++) peak = Math.max(peak, a.values[i]);
    setChildren(act, el("p", {}, `On your drawing, after ${name}, this filter's strongest response is `, el("strong", {}, num(peak)), "."));
    const scale = absMax(a.values);
    paintTiles(mapsCanvas, a.values, maps, w, h, 8, 2, () => scale);
    mapsCanvas.style.aspectRatio = `${mapsCanvas.width} / ${mapsCanvas.height}`;
    mapsNote.textContent = `Each square shows where one filter responds (orange) on your drawing, after ${name}: ${maps} maps of ${w} × ${h}. Filter ${unit} is number ${unit + 1}, counting along the rows.`;
  }

  return { unitCard, mapsCard, draw, updateActivations, setLayout: () => (mapsCard.hidden = state.layout.kind !== "conv") };
}
