// @ts-check
// The run's buttons (start, pause, resume, one step, reset) and the settings form, and what each
// does: a fresh model from the settings (keeping the model it replaces one click away), training to
// the epochs set, a single step, a new learning rate mid-run, training on from a point of the
// timeline.

import { el, int, num, pct, uid } from "../../lib/ui.js";
import { workerSettings } from "../../lib/settings.js";
import { savePrevious } from "../../lib/modelstore.js";
import { settingsForm } from "./settings-form.js";
import { pointName } from "./timeline.js";

/**
 * @param {any} app the page (main.js)
 * @param {{charts: ReturnType<typeof import("./charts.js").trainingCharts>, results: ReturnType<typeof import("./results.js").resultsCard>,
 *          divergence: ReturnType<typeof import("./divergence.js").divergenceCard>, card: ReturnType<typeof import("./model-card.js").modelCard>,
 *          progress: ReturnType<typeof import("./progress.js").progressCard>, health: ReturnType<typeof import("./health.js").healthCard>,
 *          speed: ReturnType<typeof import("./speed.js").speedControl>}} parts
 */
export function trainingControls(app, { charts, results, divergence, card, progress, health, speed }) {
  const { client } = app;
  const s = app.settings;
  const button = (text, onclick, cls = "btn") =>
    /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: cls, onclick }, text));
  const buttons = {
    start: button("Start training", start, "btn btn-primary"),
    pause: button("Pause", pause),
    resume: button("Resume", resume),
    step: button("One step", oneStep),
    reset: button("Reset", reset),
  };
  buttons.step.title = "Take a single training step (while paused)";
  const copy = button("Copy link to these settings", copyLink, "btn btn-quiet");
  const note = el("p", { class: "hint run-note", id: uid("note"), "aria-live": "polite" });
  const copyNote = el("p", { class: "hint", "aria-live": "polite" });
  const replaced = el("div", { class: "replaced-note", hidden: true, "aria-live": "polite" });
  const form = settingsForm(app, {
    onStart: start,
    // The learning rate can change mid-run without losing the optimizer's state.
    onLearningRate: (lr) => {
      if (app.model && app.model.settings.optimizer.type === s.opt) client.request("setLearningRate", { lr }).catch(card.showError);
    },
    buttons: el("div", { class: "buttons" }, copy),
    note: copyNote,
  });

  /** Runs an action; a failure shows on the model card. */
  const guarded = (fn) => async () => {
    try {
      await fn();
    } catch (e) {
      card.showError(e);
    }
  };

  /** The model now in place, in words: "the pretrained cnn (97.6% on test digits)", or shorter "(97.6%)". */
  function currentName(short = false) {
    const m = app.model;
    const where = { pretrained: "the pretrained", restored: "your", file: "the loaded", new: "your" }[app.modelOrigin] || "the";
    const acc = app.lastEvaluation ? ` (${pct(app.lastEvaluation.accuracy)}${short ? "" : " on test digits"})` : "";
    return `${where} ${m.settings.model}${acc}`;
  }

  /**
   * Keeps the model about to be replaced as the previous model (in this browser, and in memory if
   * the browser will not keep it), so that Start never loses it; returns its name, or null when
   * there is nothing worth keeping (an untrained model).
   */
  async function keepOutgoing() {
    const m = app.model;
    if (!m || m.step === 0) return null;
    const name = currentName(true);
    const bytes = await client.request("saveModel", { info: { settings: app.settings, savedAt: new Date().toISOString() } });
    const record = {
      bytes,
      savedAt: Date.now(),
      runId: app.runId,
      origin: app.modelOrigin,
      settings: { ...s, model: m.settings.model },
      history: app.history ? app.history() : null,
      evaluation: app.lastEvaluation,
      name,
    };
    app.replaced = record;
    await savePrevious(record).catch(() => {});
    card.refreshPrevious();
    return name;
  }

  async function freshModel() {
    app.runId = `run-${Date.now()}`;
    const describe = await client.request("configure", { settings: workerSettings(s), runId: app.runId });
    app.setEvaluation(null);
    app.setModel(describe, "new");
    charts.clear();
    results.clear();
    health.clear();
    divergence.hide();
  }

  async function train() {
    divergence.hide();
    await client.request("train", { epochs: s.epochs });
  }

  /** Says which model Start replaced, with the way back. @param {string | null} name */
  function showReplaced(name) {
    if (!name) return (replaced.hidden = true);
    replaced.replaceChildren(
      el("p", {}, `${name[0].toUpperCase()}${name.slice(1)} is kept.`),
      el(
        "button",
        { type: "button", class: "btn btn-small", onclick: () => card.bringBack().then((ok) => ok && (replaced.hidden = true)) },
        "Bring it back",
      ),
      el(
        "button",
        { type: "button", class: "btn btn-quiet btn-small", "aria-label": "Dismiss this note", onclick: () => (replaced.hidden = true) },
        "Dismiss",
      ),
    );
    replaced.hidden = false;
  }

  async function start() {
    if (!form.root.reportValidity()) return;
    await guarded(async () => {
      await app.pause();
      const name = await keepOutgoing();
      await freshModel();
      showReplaced(name);
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

  async function oneStep() {
    await guarded(async () => {
      divergence.hide();
      const r = await client.request("step");
      if (!r.diverged) progress.say(`One step taken: step ${int(r.step)}, loss on its batch ${num(r.loss)}.`);
    })();
  }

  async function reset() {
    await guarded(async () => {
      await app.pause();
      const name = await keepOutgoing();
      await freshModel();
      showReplaced(name);
      progress.say("A fresh, untrained model: its weights are random, so it guesses. Press Start training.", 0);
    })();
  }

  /**
   * Training goes on from a point of the timeline: its weights and optimizer state come back, and
   * what came after it (charts, results, health) gives way to what comes next.
   * @param {import("../../protocol.js").TimelineEntry} entry
   */
  async function continueFrom(entry) {
    await app.pause();
    const describe = await client.request("continueFrom", { step: entry.step });
    charts.truncate(entry.step, entry.epoch);
    results.truncate(entry.step);
    health.truncate(entry.step);
    divergence.hide();
    app.viewing = null;
    app.emit("timepoint", null);
    app.setModel(describe);
    progress.say(`Back at ${pointName(entry)}, with the optimizer's state of then: training goes on from there.`);
    await train();
  }

  /** The learning rate the core suggested (after a divergence, or before one), then Resume. */
  async function useSmaller(lr) {
    app.setSettings({ lr });
    form.fill();
    await resume();
  }

  async function copyLink() {
    try {
      await navigator.clipboard.writeText(location.href);
      copyNote.textContent = "Link copied: it opens this page with these settings.";
    } catch {
      copyNote.textContent = `Copy this address: ${location.href}`;
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
    buttons.step.disabled = !ready || !hasData || busy;
    buttons.reset.disabled = !ready;
    card.setReady(ready);
    let text = "";
    if (!ready) text = "Starting the network…";
    else if (!hasData) text = "Waiting for the training digits to download…";
    else if (busy) text = "Training runs in the background.";
    else if (m && m.step > 0) text = `Start trains a fresh ${s.model}; ${currentName(true)} stays one click away.`;
    else text = `Start trains a fresh ${s.model} from these settings; Resume goes on with the current one.`;
    note.textContent = text;
  }

  const settingsRoot = el("section", { class: "card settings-card", id: "train-settings" }, el("h3", {}, "Settings"), form.root);
  const runRoot = el(
    "section",
    { class: "card run-card", "aria-label": "Training" },
    el("div", { class: "buttons run-buttons" }, Object.values(buttons)),
    note,
    replaced,
    speed.root,
    progress.root,
  );
  return { settingsRoot, runRoot, update, useSmaller, continueFrom, resume };
}
