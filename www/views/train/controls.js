// @ts-check
// The settings form with its buttons (start, pause, resume, reset, copy link) and what each does:
// a fresh model from the settings, training to the epochs set, a new learning rate mid-run.

import { el, uid } from "../../lib/ui.js";
import { workerSettings } from "../../lib/settings.js";
import { settingsForm } from "./settings-form.js";

/**
 * @param {any} app the page (main.js)
 * @param {{charts: ReturnType<typeof import("./charts.js").trainingCharts>, results: ReturnType<typeof import("./results.js").resultsCard>,
 *          divergence: ReturnType<typeof import("./divergence.js").divergenceCard>, card: ReturnType<typeof import("./model-card.js").modelCard>,
 *          progress: ReturnType<typeof import("./progress.js").progressCard>}} parts
 */
export function trainingControls(app, { charts, results, divergence, card, progress }) {
  const { client } = app;
  const s = app.settings;
  const button = (text, onclick, cls = "btn") =>
    /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: cls, onclick }, text));
  const buttons = {
    start: button("Start training", start, "btn btn-primary"),
    pause: button("Pause", pause),
    resume: button("Resume", resume),
    reset: button("Reset", reset),
    copy: button("Copy link to these settings", copyLink, "btn btn-quiet"),
  };
  const note = el("p", { class: "hint", id: uid("note"), "aria-live": "polite" });
  const form = settingsForm(app, {
    onStart: start,
    // The learning rate can change mid-run without losing the optimizer's state.
    onLearningRate: (lr) => {
      if (app.model && app.model.settings.optimizer.type === s.opt) client.request("setLearningRate", { lr }).catch(card.showError);
    },
    buttons: el("div", { class: "buttons" }, Object.values(buttons)),
    note,
  });

  /** Runs an action; a failure shows on the model card. */
  const guarded = (fn) => async () => {
    try {
      await fn();
    } catch (e) {
      card.showError(e);
    }
  };

  async function freshModel() {
    const describe = await client.request("configure", { settings: workerSettings(s) });
    app.runId = `run-${Date.now()}`;
    app.setEvaluation(null);
    app.setModel(describe, "new");
    charts.clear();
    results.clear();
    divergence.hide();
  }

  async function train() {
    divergence.hide();
    await client.request("train", { epochs: s.epochs });
  }

  async function start() {
    if (!form.root.reportValidity()) return;
    await guarded(async () => {
      await app.pause();
      await freshModel();
      await train();
    })();
  }

  async function pause() {
    await guarded(() => app.pause())();
  }

  async function resume() {
    await guarded(async () => {
      const o = app.model.settings.optimizer;
      if (o.type === s.opt && o.lr !== s.lr) await client.request("setLearningRate", { lr: s.lr });
      await train();
    })();
  }

  async function reset() {
    await guarded(async () => {
      await app.pause();
      await freshModel();
      progress.say("A fresh, untrained model: its weights are random, so it guesses. Press Start training.", 0);
    })();
  }

  /** The learning rate the core suggested after a divergence, then Resume. */
  async function useSmaller(lr) {
    app.setSettings({ lr });
    form.fill();
    await resume();
  }

  async function copyLink() {
    try {
      await navigator.clipboard.writeText(location.href);
      note.textContent = "Link copied: it opens this page with these settings.";
    } catch {
      note.textContent = `Copy this address: ${location.href}`;
    }
  }

  function update() {
    const st = app.state;
    const busy = st === "training" || st === "evaluating";
    const ready = !!app.model && st !== "loading" && st !== "failed";
    const hasData = !!app.data;
    const m = app.model;
    const canResume = ready && hasData && !busy && m && (st === "paused" || (m.step > 0 && m.epoch < s.epochs));
    buttons.start.disabled = !ready || !hasData || busy;
    buttons.pause.disabled = !busy;
    buttons.resume.disabled = !canResume;
    buttons.reset.disabled = !ready;
    card.setReady(ready);
    let text = "";
    if (!ready) text = "Starting the network…";
    else if (!hasData) text = "Waiting for the training digits to download…";
    else if (busy) text = "Training in the background: the page stays usable; try drawing a digit meanwhile.";
    else if (m && m.settings.model !== s.model)
      text = `Start training builds a fresh ${s.model}; Resume continues the current ${m.settings.model}.`;
    else text = "Start training builds a fresh model from these settings; Resume continues the current one.";
    note.textContent = text;
  }

  const root = el("section", { class: "card" }, el("h3", {}, "Settings"), form.root);
  return { root, update, useSmaller, resume };
}
