// @ts-check
// "Your model": what it is and how it was trained, and its file: download it, load one, go back to
// the pretrained model or to the previous run (kept in this browser by lib/modelstore.js).

import { el, int, pct, uid } from "../../lib/ui.js";
import { loadPrevious } from "../../lib/modelstore.js";
import { shortNumber } from "../../lib/settings.js";

const WHERE = {
  pretrained: "The pretrained model",
  restored: "Your model from last time",
  file: "A model loaded from a file",
  new: "A model trained here",
};

/** One sentence about the model the worker describes. */
function describeModel(/** @type {import("../../protocol.js").Describe} */ m, /** @type {string} */ origin) {
  const o = m.settings.optimizer;
  const optText =
    o.type === "adam" ? `Adam, learning rate ${shortNumber(o.lr)}` : `SGD, learning rate ${shortNumber(o.lr)}, momentum ${o.momentum}`;
  const steps = `${int(m.step)} step${m.step === 1 ? "" : "s"}`;
  const trained = !m.step
    ? "not trained yet (its weights are random, so it guesses)"
    : m.epoch
      ? `trained ${m.epoch} epoch${m.epoch === 1 ? "" : "s"}, ${steps}`
      : `trained ${steps}`;
  return `${WHERE[origin] || "The model"}: ${m.settings.model}, ${int(m.params)} weights and biases; ${optText}; ${trained}.`;
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
    const describe = await client.request("loadModel", { bytes }, [bytes.buffer]);
    app.runId = `${origin}-${Date.now()}`;
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
    try {
      const prev = await loadPrevious();
      if (!prev) throw new Error("there is none");
      const origin = prev.origin === "pretrained" ? "pretrained" : "restored";
      await replaceModel(prev.bytes.slice(), origin, "The previous model is back.", prev.history);
    } catch (e) {
      showError(new Error(`The previous model could not be loaded: ${e.message}. Your current model is unchanged.`));
    }
  }

  async function refreshPrevious() {
    const prev = await loadPrevious();
    previousBtn.hidden = !prev;
    if (prev) {
      const m = prev.settings?.model || "model";
      const acc = prev.evaluation ? `, ${pct(prev.evaluation.accuracy)}` : "";
      previousBtn.textContent = `Bring back the previous model (${m}${acc})`;
    }
  }

  app.on("model", () => {
    pretrainedBtn.hidden = app.modelOrigin === "pretrained";
    if (app.model) text.textContent = describeModel(app.model, app.modelOrigin);
  });
  app.on("saved", (t) => {
    saveNote.textContent = `Saved in this browser at ${new Date(t).toLocaleTimeString()}; it comes back when you reload.`;
  });
  app.on("savefailed", (msg) => {
    saveNote.textContent = `This browser would not keep the model (${msg}). Download it to keep it.`;
  });

  return { root, showError, refreshPrevious, setReady: (/** @type {boolean} */ ready) => (downloadBtn.disabled = !ready) };
}
