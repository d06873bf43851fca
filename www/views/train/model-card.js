// @ts-check
// "Your model": what it is and how it was trained, true at every moment (while it trains, and while
// the timeline shows a past point), and its file: download it, load one, go back to the pretrained
// model or to the previous one (kept in this browser by lib/modelstore.js).

import { el, int, pct, uid } from "../../lib/ui.js";
import { loadPrevious } from "../../lib/modelstore.js";
import { shortNumber } from "../../lib/settings.js";

const WHERE = {
  pretrained: "The pretrained model",
  restored: "Your model from last time",
  file: "A model loaded from a file",
  new: "A model trained here",
};

const busy = (/** @type {string} */ state) => state === "training" || state === "evaluating";

/**
 * One sentence about the model the worker describes; `state` says whether it is training now,
 * `progress` where (the last progress event).
 * @param {import("../../protocol.js").Describe} m @param {string} origin @param {string} state
 * @param {import("../../protocol.js").Events["progress"] | null} progress
 */
function describeModel(m, origin, state, progress) {
  const o = m.settings.optimizer;
  const optText =
    o.type === "adam" ? `Adam, learning rate ${shortNumber(o.lr)}` : `SGD, learning rate ${shortNumber(o.lr)}, momentum ${o.momentum}`;
  const step = busy(state) && progress ? progress.step : m.step;
  const steps = `${int(step)} step${step === 1 ? "" : "s"}`;
  let trained;
  if (busy(state) && progress) {
    trained = `training now: epoch ${Math.min(progress.epochs || Infinity, progress.epoch + 1)}${progress.epochs ? ` of ${progress.epochs}` : ""}, step ${int(progress.stepInEpoch)} of ${int(progress.stepsPerEpoch)} (${steps} in all)`;
    if (state === "evaluating") trained = `testing itself after epoch ${progress.epoch} (${steps} in all)`;
  } else if (!step) trained = busy(state) ? "training now, from random weights" : "not trained yet (its weights are random, so it guesses)";
  else trained = m.epoch ? `trained ${m.epoch} epoch${m.epoch === 1 ? "" : "s"}, ${steps}` : `trained ${steps}`;
  const where = busy(state) && origin === "new" ? "A model being trained here" : WHERE[origin] || "The model";
  return `${where}: ${m.settings.model}, ${int(m.params)} weights and biases; ${optText}; ${trained}.`;
}

/**
 * @param {any} app the page (main.js)
 * @param {{onReplaced: (previousHistory?: any) => void}} hooks called after another model took the current one's place
 */
export function modelCard(app, { onReplaced }) {
  const { client } = app;
  const text = el("p", { class: "model-text" }, "Starting…");
  const fileInput = /** @type {HTMLInputElement} */ (
    el("input", {
      type: "file",
      accept: ".safetensors,application/octet-stream",
      class: "visually-hidden",
      id: uid("file"),
      tabindex: -1,
      "aria-label": "Model file to load",
      onchange: loadFile,
    })
  );
  const downloadBtn = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn", onclick: download }, "Download model")
  );
  const loadLabel = el("button", { type: "button", class: "btn", onclick: () => fileInput.click() }, "Load a model file…");
  const pretrainedBtn = el("button", { type: "button", class: "btn btn-quiet", onclick: usePretrained }, "Use the pretrained model");
  const previousBtn = el(
    "button",
    { type: "button", class: "btn btn-quiet", hidden: true, onclick: usePrevious },
    "Bring back the previous model",
  );
  const message = el("p", { class: "model-msg", "aria-live": "polite" });
  const saveNote = el("p", { class: "hint" });
  const root = el(
    "section",
    { class: "card model-card" },
    el("h3", {}, "Your model"),
    text,
    el("div", { class: "buttons" }, downloadBtn, fileInput, loadLabel, pretrainedBtn, previousBtn),
    message,
    saveNote,
  );

  function showError(e) {
    message.className = "model-msg error-text";
    message.textContent = e.message || String(e);
  }
  function showNote(note) {
    message.className = "model-msg";
    message.textContent = note;
  }

  async function download() {
    try {
      const bytes = await client.request("saveModel", { info: { settings: app.settings, savedAt: new Date().toISOString() } });
      const m = app.model;
      const name = `backprop-lab-${m.settings.model}-step${m.step}.safetensors`;
      const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
      const a = el("a", { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      showNote(`Saved as ${name}. Load it back here any time, or open it in Python with the safetensors package.`);
    } catch (e) {
      showError(new Error(`The model could not be saved: ${e.message}`));
    }
  }

  async function replaceModel(bytes, origin, note, history = undefined) {
    await app.pause();
    const runId = `${origin}-${Date.now()}`;
    const describe = await client.request("loadModel", { bytes, runId }, [bytes.buffer]);
    app.runId = runId;
    app.setModel(describe, origin);
    showNote(note);
    onReplaced(history);
    await app.autosave();
  }

  async function loadFile() {
    const file = fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    try {
      await replaceModel(new Uint8Array(await file.arrayBuffer()), "file", `Loaded ${file.name}.`);
    } catch (e) {
      showError(new Error(`“${file.name}” could not be loaded: ${e.message}. Your current model is unchanged.`));
    }
  }

  async function usePretrained() {
    try {
      const res = await fetch(app.pretrainedUrl);
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      await replaceModel(new Uint8Array(await res.arrayBuffer()), "pretrained", "The pretrained model is back.");
    } catch (e) {
      showError(new Error(`The pretrained model could not be loaded: ${e.message}. Your current model is unchanged.`));
    }
  }

  async function usePrevious() {
    await bringBack();
  }

  /** Brings back the previous model (kept in this browser, or in memory when it would not keep it); true when it did. */
  async function bringBack() {
    try {
      const prev = (await loadPrevious()) ?? app.replaced;
      if (!prev) throw new Error("there is none");
      const origin = prev.origin === "pretrained" ? "pretrained" : "restored";
      await replaceModel(
        prev.bytes.slice(),
        origin,
        `${prev.name ? `${prev.name[0].toUpperCase()}${prev.name.slice(1)} is` : "The previous model is"} back.`,
        prev.history,
      );
      if (prev.evaluation) app.setEvaluation(prev.evaluation);
      return true;
    } catch (e) {
      showError(new Error(`The previous model could not be loaded: ${e.message}. Your current model is unchanged.`));
      return false;
    }
  }

  async function refreshPrevious() {
    const prev = await loadPrevious();
    previousBtn.hidden = !prev;
    if (prev) {
      const m = prev.settings?.model || "model";
      const acc = prev.evaluation ? `, ${pct(prev.evaluation.accuracy)}` : "";
      previousBtn.textContent = prev.name ? `Bring back ${prev.name}` : `Bring back the previous model (${m}${acc})`;
    }
  }

  /** @type {import("../../protocol.js").Events["progress"] | null} */
  let lastProgress = null;
  function describeNow() {
    if (!app.model) return;
    let t = describeModel(app.model, app.modelOrigin, app.state, lastProgress);
    const v = app.viewing;
    if (v)
      t = `Showing the model as it was at step ${int(v.step)}, from the timeline (${v.epoch} epoch${v.epoch === 1 ? "" : "s"} done then). ${t}`;
    text.textContent = t;
  }
  app.on("model", () => {
    pretrainedBtn.hidden = app.modelOrigin === "pretrained";
    lastProgress = null;
    describeNow();
  });
  client.on("progress", (p) => {
    lastProgress = p;
    describeNow();
  });
  app.on("state", describeNow);
  app.on("timepoint", describeNow);
  app.on("saved", (t) => {
    saveNote.textContent = `Saved in this browser at ${new Date(t).toLocaleTimeString()}; it comes back when you reload.`;
  });
  app.on("savefailed", (msg) => {
    saveNote.textContent = `This browser would not keep the model (${msg}). Download it to keep it.`;
  });

  return { root, showError, refreshPrevious, bringBack, setReady: (/** @type {boolean} */ ready) => (downloadBtn.disabled = !ready) };
}
