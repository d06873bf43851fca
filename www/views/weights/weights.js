// The weights view: the first layer's weights as pictures (an MLP unit's 784 incoming weights as a
// 28x28 image; a CNN's 3x3 filters and their feature maps for the current drawing), live while
// training at a few snapshots a second, per-layer histograms of the weights and of the last
// update, what changed since the previous snapshot, and one unit up close.

import { el, setChildren, int, num, uid } from "../../lib/ui.js";
import { paintDiverging, paintTiles, absMax, divergingCss } from "../../lib/pixels.js";

/** Snapshots per second while training: enough to watch, too few to slow training down. */
const SNAPSHOT_MS = 500;
const BINS = 40;

export function mountWeights(root, app) {
  const { client } = app;

  // ---- first layer ---------------------------------------------------------------------------
  const intro = el("p", { class: "hint" });
  const modeName = uid("mode");
  const modeWeights = el("input", { type: "radio", name: modeName, value: "weights", checked: true });
  const modeChange = el("input", { type: "radio", name: modeName, value: "change" });
  const modes = el(
    "fieldset",
    { class: "segmented" },
    el("legend", { class: "visually-hidden" }, "Show"),
    el("label", {}, modeWeights, el("span", {}, "Weights")),
    el("label", {}, modeChange, el("span", {}, "Last change")),
  );
  const legend = el("div", { class: "palette-legend", "aria-hidden": "true" });
  const legendText = el("p", { class: "hint legend-text" });
  const grid = el("canvas", { class: "weight-grid", tabindex: 0, role: "img", "aria-label": "Weights of the first layer's units" });
  const marker = el("div", { class: "grid-marker", "aria-hidden": "true" });
  const gridWrap = el("div", { class: "grid-wrap" }, grid, marker);
  const snapNote = el("p", { class: "hint snap-note", "aria-live": "off" });

  const unitInput = el("input", { type: "number", min: "0", step: "1", value: "0", inputmode: "numeric", id: uid("unit") });
  const prevBtn = el(
    "button",
    { type: "button", class: "btn btn-small", "aria-label": "Previous unit", onclick: () => pick(unit - 1) },
    "‹",
  );
  const nextBtn = el("button", { type: "button", class: "btn btn-small", "aria-label": "Next unit", onclick: () => pick(unit + 1) }, "›");
  const unitLabel = el("label", { for: unitInput.id }, "Unit");

  const layerCard = el(
    "section",
    { class: "card" },
    el("h3", {}, "First layer"),
    intro,
    el("div", { class: "grid-tools" }, modes, el("div", { class: "unit-picker" }, unitLabel, prevBtn, unitInput, nextBtn)),
    gridWrap,
    el("div", { class: "legend-row" }, legend, legendText),
    snapNote,
  );

  // ---- one unit ------------------------------------------------------------------------------
  const unitTitle = el("h3", {}, "Unit 0");
  const unitBig = el("canvas", { class: "unit-big" });
  const unitChange = el("canvas", { class: "unit-big" });
  const unitChangeFig = el("figure", {}, unitChange, el("figcaption", {}, "Change since last snapshot"));
  const unitNumbers = el("div", { class: "unit-numbers" });
  const unitAct = el("div", { class: "unit-act", "aria-live": "polite" });
  const stepLink = el("button", { type: "button", class: "btn", onclick: () => app.openUnit(layerIndex, unit) }, "Step through this unit");
  const unitCard = el(
    "section",
    { class: "card unit-card" },
    unitTitle,
    el(
      "div",
      { class: "unit-row" },
      el("figure", {}, unitBig, el("figcaption", {}, "Incoming weights")),
      unitChangeFig,
      el("div", { class: "unit-side" }, unitAct, unitNumbers, stepLink),
    ),
  );

  // ---- feature maps (CNN) --------------------------------------------------------------------
  const mapsCanvas = el("canvas", { class: "weight-grid maps-grid", role: "img", "aria-label": "Feature maps of the current drawing" });
  const mapsNote = el("p", { class: "hint" });
  const mapsCard = el("section", { class: "card", hidden: true }, el("h3", {}, "Feature maps of your drawing"), mapsNote, mapsCanvas);

  // ---- histograms ----------------------------------------------------------------------------
  const histList = el("div", { class: "hists" });
  const histCard = el(
    "section",
    { class: "card" },
    el("h3", {}, "Every layer at a glance"),
    el(
      "p",
      { class: "hint" },
      "How the weights of each layer are spread, and how big the last training step was for each weight. Updates far smaller than the weights mean slow, careful learning; updates as big as the weights mean trouble.",
    ),
    histList,
  );

  root.append(layerCard, unitCard, mapsCard, histCard);

  // ---- state ---------------------------------------------------------------------------------
  let arch = null; // describe().arch
  let layerIndex = -1; // the first layer with weights
  let kind = null; // "dense" | "conv"
  let units = 0,
    tileW = 0,
    tileH = 0,
    perUnit = 0,
    cols = 1;
  let snap = null,
    prevSnap = null,
    snapStep = 0,
    prevStep = 0;
  let unit = 0;
  let geometry = null;
  let busy = false;
  let timer = null;

  function setupArch() {
    arch = app.model?.arch;
    layerIndex = -1;
    kind = null;
    if (!arch) return;
    const idx = arch.layers.findIndex((l) => l.type === "dense" || l.type === "conv2d");
    const l = arch.layers[idx];
    layerIndex = idx;
    if (l?.type === "dense" && l.inputs === 784) {
      kind = "dense";
      units = l.outputs;
      tileW = tileH = 28;
      perUnit = 784;
      cols = units <= 64 ? 8 : units <= 128 ? 16 : 32;
      intro.textContent = `Each square is one of the ${units} hidden units: its 784 incoming weights, laid out like the 28 × 28 image. Ink on an orange pixel raises the unit's total, ink on a blue pixel lowers it. Each square has its own colour scale.`;
    } else if (l?.type === "conv2d" && l.in_channels === 1) {
      kind = "conv";
      units = l.out_channels;
      tileW = tileH = l.kernel;
      perUnit = l.kernel * l.kernel;
      cols = 8;
      intro.textContent = `Each square is one of the ${units} convolution filters: ${l.kernel} × ${l.kernel} weights that slide over the image, looking for one small pattern (an edge, a corner). Each has its own colour scale.`;
    } else {
      intro.textContent = "This model's first layer cannot be drawn as pictures.";
    }
    // Tiles big enough to see, whatever their number: 64 units get 64 px each, 512 get 30 px.
    const tilePx = kind === "conv" ? 44 : units <= 64 ? 64 : units <= 128 ? 52 : 30;
    gridWrap.style.maxWidth = kind ? `${Math.round((cols * tilePx * (tileW + 1)) / tileW)}px` : "";
    unitLabel.textContent = kind === "conv" ? "Filter" : "Unit";
    unitInput.max = String(Math.max(0, units - 1));
    mapsCard.hidden = kind !== "conv";
    snap = prevSnap = null;
    if (unit >= units) unit = 0;
  }

  // ---- snapshots -----------------------------------------------------------------------------
  async function snapshot() {
    if (busy || !app.model || layerIndex < 0 || !app.isShown("weights")) return;
    busy = true;
    try {
      const step = app.model.step;
      const [w, summary] = await Promise.all([
        client.request("weights", { layer: layerIndex }),
        client.request("weightSummary", { bins: BINS }),
      ]);
      if (!snap || step !== snapStep) {
        prevSnap = snap;
        prevStep = snapStep;
      }
      snap = w;
      snapStep = step;
      drawGrid();
      drawUnit();
      drawHists(summary);
      snapNote.textContent =
        app.state === "training"
          ? `Live: a snapshot every ${SNAPSHOT_MS / 1000} s while training (step ${int(step)}).`
          : `Snapshot of step ${int(step)}.`;
      updateActivations();
    } catch (e) {
      snapNote.textContent = `Could not read the weights: ${e.message}`;
    } finally {
      busy = false;
    }
  }

  function changeValues() {
    if (!snap || !prevSnap || prevSnap.length !== snap.length) return null;
    // A picture of the difference between two snapshots the core sent (display only).
    const d = new Float32Array(snap.length);
    for (let i = 0; i < d.length; i++) d[i] = snap[i] - prevSnap[i];
    return d;
  }

  function drawGrid() {
    if (!snap || !kind) return;
    const showChange = modeChange.checked;
    const values = showChange ? changeValues() : snap;
    if (!values) {
      grid.getContext("2d").clearRect(0, 0, grid.width, grid.height);
      legendText.textContent = "No change to show yet: train the model, and the difference between two snapshots appears here.";
      legend.replaceChildren();
      return;
    }
    const globalScale = absMax(values);
    const scales = Array.from({ length: units }, (_, k) => (showChange ? globalScale : absMax(values, k * perUnit, (k + 1) * perUnit)));
    geometry = paintTiles(grid, values, units, tileW, tileH, cols, 1, (k) => scales[k]);
    grid.style.aspectRatio = `${geometry.W} / ${geometry.H}`;
    drawLegend(
      showChange
        ? `Change from step ${int(prevStep)} to step ${int(snapStep)}, one colour scale for all: −${num(globalScale, 2)} (blue) to +${num(globalScale, 2)} (orange).`
        : "Blue: negative weight · white: near zero · orange: positive weight.",
    );
    placeMarker();
    grid.setAttribute(
      "aria-label",
      `${showChange ? "Change of the" : "The"} incoming weights of ${units} ${kind === "conv" ? "filters" : "units"}; ${kind === "conv" ? "filter" : "unit"} ${unit} is selected.`,
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
    const x = (unit % g.cols) * (g.w + g.gap);
    const y = Math.floor(unit / g.cols) * (g.h + g.gap);
    marker.style.left = `${(100 * (x - 0.5)) / g.W}%`;
    marker.style.top = `${(100 * (y - 0.5)) / g.H}%`;
    marker.style.width = `${(100 * (g.w + 1)) / g.W}%`;
    marker.style.height = `${(100 * (g.h + 1)) / g.H}%`;
  }

  function drawUnit() {
    if (!snap || !kind) return;
    const name = kind === "conv" ? "Filter" : "Unit";
    unitTitle.textContent = `${name} ${unit} of ${units}`;
    const from = unit * perUnit;
    paintDiverging(unitBig, snap, tileW, tileH, absMax(snap, from, from + perUnit), from);
    const d = changeValues();
    unitChangeFig.hidden = !d;
    if (d) paintDiverging(unitChange, d, tileW, tileH, absMax(d, from, from + perUnit), from);
    if (kind === "conv") {
      const k = tileW;
      const rows = [];
      for (let r = 0; r < k; r++) {
        rows.push(
          el(
            "tr",
            {},
            Array.from({ length: k }, (_, c) => {
              const v = snap[from + r * k + c];
              const td = el("td", {}, num(v, 3));
              td.style.background = divergingCss(v / absMax(snap, from, from + perUnit));
              return td;
            }),
          ),
        );
      }
      setChildren(unitNumbers, el("table", { class: "filter-table" }, el("caption", {}, "The filter's weights"), el("tbody", {}, rows)));
    } else {
      let lo = Infinity,
        hi = -Infinity;
      for (let i = from; i < from + perUnit; i++) ((lo = Math.min(lo, snap[i])), (hi = Math.max(hi, snap[i])));
      setChildren(unitNumbers, el("p", { class: "hint" }, `784 weights from ${num(lo, 3)} to ${num(hi, 3)}.`));
    }
  }

  function pick(k) {
    if (!units) return;
    unit = Math.max(0, Math.min(units - 1, Number.isFinite(k) ? Math.round(k) : 0));
    unitInput.value = String(unit);
    placeMarker();
    drawUnit();
    updateActivations();
  }

  grid.addEventListener("click", (e) => {
    if (!geometry) return;
    const g = geometry;
    const x = (e.offsetX / grid.clientWidth) * g.W;
    const y = (e.offsetY / grid.clientHeight) * g.H;
    const k = Math.floor(y / (g.h + g.gap)) * g.cols + Math.floor(x / (g.w + g.gap));
    if (k < units) pick(k);
  });
  grid.addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols };
    if (e.key in moves) {
      e.preventDefault();
      pick(unit + moves[e.key]);
    } else if (e.key === "Enter") {
      e.preventDefault();
      app.openUnit(layerIndex, unit);
    }
  });
  unitInput.addEventListener("change", () => pick(Number(unitInput.value)));
  modeWeights.addEventListener("change", drawGrid);
  modeChange.addEventListener("change", drawGrid);

  // ---- activations for the current drawing ---------------------------------------------------
  let actBusy = false,
    actAgain = false;
  async function updateActivations() {
    if (!kind || !app.isShown("weights")) return;
    if (!app.drawing) {
      setChildren(unitAct, el("p", { class: "hint" }, "Draw a digit to see how strongly this unit responds to it."));
      mapsNote.textContent = "Draw a digit to see what each filter finds in it.";
      mapsCanvas.getContext("2d").clearRect(0, 0, mapsCanvas.width, mapsCanvas.height);
      return;
    }
    if (actBusy) return void (actAgain = true);
    actBusy = true;
    try {
      const outs = await client.request("activations", { pixels: new Float32Array(app.drawing) });
      showActivations(outs);
    } catch (e) {
      setChildren(unitAct, el("p", { class: "error-text" }, `Could not compute the activations: ${e.message}`));
    } finally {
      actBusy = false;
      if (actAgain) ((actAgain = false), updateActivations());
    }
  }

  function showActivations(outs) {
    const z = outs[layerIndex];
    const a = outs[layerIndex + 1];
    const actName = arch.layers[layerIndex + 1]?.type || "activation";
    if (kind === "dense") {
      const zk = z.values[unit],
        ak = a.values[unit];
      setChildren(
        unitAct,
        el("p", {}, "On your drawing: ", el("span", { class: "formula" }, `z = w · x + b = ${num(zk)}`)),
        el(
          "p",
          {},
          `After ${actName === "relu" ? "ReLU" : actName}: `,
          el("strong", {}, num(ak)),
          ak > 0 ? " (the unit fires)" : " (silent for this drawing)",
        ),
      );
    } else {
      const [, h, w] = a.shape;
      const n = h * w;
      let peak = 0;
      for (let i = unit * n; i < (unit + 1) * n; i++) peak = Math.max(peak, a.values[i]);
      setChildren(
        unitAct,
        el(
          "p",
          {},
          `On your drawing, after ${actName === "relu" ? "ReLU" : actName}, this filter's strongest response is `,
          el("strong", {}, num(peak)),
          ".",
        ),
      );
      const scale = absMax(a.values);
      paintTiles(mapsCanvas, a.values, a.shape[0], w, h, 8, 2, () => scale);
      mapsCanvas.style.aspectRatio = `${mapsCanvas.width} / ${mapsCanvas.height}`;
      mapsNote.textContent = `Each square shows where one filter responds (orange) on your drawing, after ${actName === "relu" ? "ReLU" : actName}: ${a.shape[0]} maps of ${w} × ${h}. Filter ${unit} is number ${unit + 1}, counting along the rows.`;
    }
  }

  // ---- histograms ----------------------------------------------------------------------------
  function layerName(spec) {
    if (spec.type === "dense") return `dense ${spec.inputs} → ${spec.outputs}`;
    if (spec.type === "conv2d") return `conv ${spec.out_channels} × ${spec.kernel}×${spec.kernel}`;
    return spec.type;
  }

  const histNodes = new Map();
  function drawHists(summary) {
    const keys = new Set(summary.map((s) => s.index));
    for (const k of histNodes.keys()) if (!keys.has(k)) (histNodes.get(k).root.remove(), histNodes.delete(k));
    for (const s of summary) {
      let node = histNodes.get(s.index);
      if (!node) {
        const w = el("canvas", { class: "hist", role: "img" });
        const u = el("canvas", { class: "hist", role: "img" });
        const wText = el("p", { class: "hint" });
        const uText = el("p", { class: "hint" });
        node = {
          w,
          u,
          wText,
          uText,
          root: el(
            "div",
            { class: "hist-layer" },
            el(
              "h4",
              {},
              `Layer ${s.index}: ${layerName(s.spec)}`,
              el("span", { class: "hint" }, ` · ${int(s.weight_shape.reduce((a, b) => a * b, 1))} weights`),
            ),
            el(
              "div",
              { class: "hist-pair" },
              el("figure", {}, el("figcaption", {}, "Weights"), w, wText),
              el("figure", {}, el("figcaption", {}, "Last update"), u, uText),
            ),
          ),
        };
        histNodes.set(s.index, node);
        histList.append(node.root);
      }
      paintHist(node.w, s.weights, "#1d4ed8");
      node.wText.textContent = `${num(s.weights.min, 2)} to ${num(s.weights.max, 2)} · mean ${num(s.weights.mean, 2)} · spread (std) ${num(s.weights.std, 2)}`;
      node.w.setAttribute("aria-label", `Histogram of layer ${s.index}'s weights: ${node.wText.textContent}`);
      const none = s.last_update.min === 0 && s.last_update.max === 0;
      paintHist(node.u, none ? null : s.last_update, "#b35806");
      node.uText.textContent = none
        ? "No training step yet."
        : `${num(s.last_update.min, 2)} to ${num(s.last_update.max, 2)} · spread (std) ${num(s.last_update.std, 2)}`;
      node.u.setAttribute("aria-label", `Histogram of layer ${s.index}'s last update: ${node.uText.textContent}`);
    }
  }

  function paintHist(canvas, h, color) {
    const dpr = window.devicePixelRatio || 1;
    const W = Math.round((canvas.clientWidth || 240) * dpr);
    const H = Math.round((canvas.clientHeight || 80) * dpr);
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, W, H);
    if (!h) return;
    const max = Math.max(...h.counts) || 1;
    const bw = W / h.counts.length;
    ctx.fillStyle = color;
    h.counts.forEach((c, i) => {
      // Square-root height: the tails stay visible beside a tall middle.
      const bh = Math.sqrt(c / max) * (H - 2);
      ctx.fillRect(i * bw + 0.5, H - bh, Math.max(1, bw - 1), bh);
    });
    if (h.min < 0 && h.max > 0) {
      const x0 = ((0 - h.min) / (h.max - h.min)) * W;
      ctx.fillStyle = "#6b7280";
      ctx.fillRect(Math.round(x0), 0, Math.max(1, dpr), H);
    }
  }

  // ---- when to take snapshots ----------------------------------------------------------------
  function schedule() {
    clearInterval(timer);
    timer = null;
    if (!app.isShown("weights")) return;
    snapshot();
    if (app.state === "training" || app.state === "evaluating") timer = setInterval(snapshot, SNAPSHOT_MS);
  }

  app.on("model", (m) => {
    const before = arch && JSON.stringify(arch);
    if (!arch || JSON.stringify(m.arch) !== before) setupArch();
    else if (m.step < snapStep) snap = prevSnap = null; // a different model of the same shape
    if (!app.model || app.state !== "training") schedule();
  });
  app.on("state", schedule);
  app.on("view", () => requestAnimationFrame(schedule));
  app.on("drawing", () => updateActivations());
  window.addEventListener("resize", () => app.isShown("weights") && requestAnimationFrame(schedule));
  intro.textContent = "Loading the model…";
}
