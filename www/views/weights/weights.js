// @ts-check
// The weights view: the first layer's weights as pictures (an MLP unit's 784 incoming weights as a
// 28x28 image; a CNN's 3x3 filters and their feature maps for the current drawing), live while
// training at a few snapshots a second (every step at slow speeds), per-layer histograms of the
// weights and of the last update, what changed since the previous snapshot, two points of the
// timeline compared, and one unit up close. While the timeline shows a past point, everything here
// is that point's. Beside this file:
//   layout.js       which layer is drawn, and how (tiles of 28×28 or k×k)
//   first-layer.js  the grid of tiles, the unit picker
//   unit.js         one unit up close, its activation on the drawing, feature maps
//   histograms.js   every layer's histograms (counted by the core)
// This file keeps the snapshots and decides when to take them.

import { int } from "../../lib/ui.js";
import { pointName } from "../train/timeline.js";
import { firstLayerLayout } from "./layout.js";
import { firstLayerCard } from "./first-layer.js";
import { unitCards } from "./unit.js";
import { histogramsCard } from "./histograms.js";

/** Snapshots per second while training: enough to watch, too few to slow training down. */
const SNAPSHOT_MS = 500;
const BINS = 40;

/** @param {HTMLElement} root @param {any} app the page (main.js) */
export function mountWeights(root, app) {
  const { client } = app;
  /** @type {import("./first-layer.js").WeightsState} */
  const state = {
    layout: firstLayerLayout({ input_shape: [], layers: [] }),
    snap: null,
    prevSnap: null,
    snapStep: 0,
    prevStep: 0,
    unit: 0,
    mode: "weights",
    compare: null,
    compareShow: "diff",
    compareNames: { a: "", b: "" },
    // The change: between the two points compared (from the core), or between the last two
    // snapshots the core sent (a picture of the change).
    change: () => {
      if (state.mode === "compare") return state.compare?.diff ?? null;
      const { snap, prevSnap } = state;
      if (!snap || !prevSnap || prevSnap.length !== snap.length) return null;
      const d = new Float32Array(snap.length);
      for (let i = 0; i < d.length; i++) d[i] = snap[i] - prevSnap[i];
      return d;
    },
    // What the grid shows.
    shown: () => {
      if (state.mode === "weights") return state.snap;
      if (state.mode === "change") return state.change();
      return state.compare?.[state.compareShow] ?? null;
    },
  };
  let arch = null;
  const grid = firstLayerCard(state, {
    onPick: pick,
    onOpen: () => app.openUnit(state.layout.layerIndex, state.unit),
    onMode: () => {
      if (state.mode === "compare" && !state.compare) grid.compareChanged();
      grid.draw();
      unit.draw();
    },
    onCompare: compare,
  });
  const unit = unitCards(app, state);
  const hists = histogramsCard();
  root.append(grid.root, unit.unitCard, unit.mapsCard, hists.root);

  function setupArch() {
    arch = app.model?.arch;
    if (!arch) return;
    state.layout = firstLayerLayout(arch);
    state.snap = state.prevSnap = null;
    state.compare = null;
    if (state.unit >= state.layout.units) state.unit = 0;
    grid.setLayout();
    unit.setLayout();
  }

  function pick(k) {
    const units = state.layout.units;
    if (!units) return;
    state.unit = Math.max(0, Math.min(units - 1, Number.isFinite(k) ? Math.round(k) : 0));
    grid.picked();
    unit.draw();
    unit.updateActivations();
  }

  /** The points of the timeline to compare, named, oldest first. */
  function points() {
    return (app.timeline?.entries ?? []).map((e) => ({ step: e.step, label: pointName(e) }));
  }

  let comparing = false,
    compareAgain = null;
  /** Asks the core for the first layer's weights at points `a` and `b` (null: now) and their difference. */
  async function compare(a, b) {
    if (comparing) return void (compareAgain = [a, b]);
    comparing = true;
    try {
      state.compare = await client.request("compareWeights", { layer: state.layout.layerIndex, a, b });
    } catch (e) {
      state.compare = null;
      grid.say(`Could not compare these points: ${e.message}`);
    } finally {
      comparing = false;
    }
    grid.draw();
    unit.draw();
    if (compareAgain) {
      const [x, y] = compareAgain;
      compareAgain = null;
      compare(x, y);
    }
  }

  let busy = false;
  async function snapshot() {
    if (busy || !app.model || state.layout.layerIndex < 0 || !app.isShown("weights")) return;
    busy = true;
    try {
      const viewing = app.viewing;
      const step = viewing ? viewing.step : app.model.step;
      const [w, summary] = await Promise.all([
        client.request("weights", { layer: state.layout.layerIndex }),
        client.request("weightSummary", { bins: BINS }),
      ]);
      if (!state.snap || step !== state.snapStep) {
        state.prevSnap = state.snap;
        state.prevStep = state.snapStep;
      }
      state.snap = w;
      state.snapStep = step;
      grid.draw();
      unit.draw();
      hists.draw(summary);
      grid.say(
        viewing
          ? `Step ${int(step)}, from the timeline: the model as it was (the model in training is at step ${int(app.model.step)}).`
          : app.state === "training"
            ? app.watchingEveryStep()
              ? `Live: every step at this speed (step ${int(step)}).`
              : `Live: a snapshot every ${SNAPSHOT_MS / 1000} s while training (step ${int(step)}).`
            : `Snapshot of step ${int(step)}.`,
      );
      unit.updateActivations();
    } catch (e) {
      grid.say(`Could not read the weights: ${e.message}`);
    } finally {
      busy = false;
    }
  }

  let timer = null;
  function schedule() {
    clearInterval(timer);
    timer = null;
    if (!app.isShown("weights")) return;
    snapshot();
    if (app.state === "training" || app.state === "evaluating") timer = setInterval(snapshot, SNAPSHOT_MS);
  }

  app.on("model", (m) => {
    if (!arch || JSON.stringify(m.arch) !== JSON.stringify(arch)) setupArch();
    else if (m.step < state.snapStep) state.snap = state.prevSnap = null; // a different model of the same shape
    if (!app.model || app.state !== "training") schedule();
  });
  app.on("state", schedule);
  app.on("view", () => requestAnimationFrame(schedule));
  app.on("timepoint", () => schedule());
  app.on("timeline", () => {
    grid.setPoints(points());
    // "now" moved on: compare again when now is one of the points.
    if (state.mode === "compare" && app.isShown("weights")) grid.compareChanged();
  });
  // At slow speeds every step is shown (the progress events come once per step).
  client.on("progress", () => {
    if (app.watchingEveryStep() && !app.viewing && app.isShown("weights")) snapshot();
  });
  app.on("drawing", () => unit.updateActivations());
  window.addEventListener("resize", () => app.isShown("weights") && requestAnimationFrame(schedule));
  grid.loading();
  // Mounted after the shell: the model may be there already.
  grid.setPoints(points());
  if (app.model) {
    setupArch();
    schedule();
  }
}
