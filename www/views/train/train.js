// @ts-check
// The training view: the run's buttons, its speed and progress, live charts of the loss and the
// accuracy, the timeline to go back in the run, the settings (kept in the URL), the health of the
// training, each epoch's test results, what happens when training diverges, and the model file.
// Each concern has its file beside this one:
//   controls.js       the buttons and the settings form (settings-form.js), and their actions
//   speed.js          the speed slider
//   progress.js       the progress bar and line
//   charts.js         the loss and accuracy charts and their saved history
//   timeline.js       the slider over the run's snapshots
//   health.js         the health panel and its warning before divergence
//   results.js        accuracy, confusion matrix, misread digits, every epoch's
//   divergence.js     the card shown when the loss blows up
//   model-card.js     the model's description and its file
// This file puts them on the page and passes them the worker's events. The buttons, the progress
// and the loss chart come first, one after the other (on a phone they fit one screen); on a wide
// screen the settings sit beside the buttons.

import { el, int, num } from "../../lib/ui.js";
import { trainingControls } from "./controls.js";
import { speedControl } from "./speed.js";
import { progressCard } from "./progress.js";
import { trainingCharts } from "./charts.js";
import { timelineCard } from "./timeline.js";
import { healthCard } from "./health.js";
import { resultsCard } from "./results.js";
import { divergenceCard } from "./divergence.js";
import { modelCard } from "./model-card.js";

/** @param {HTMLElement} root @param {any} app the page (main.js) */
export function mountTrain(root, app) {
  const progress = progressCard();
  const speed = speedControl(app);
  const divergence = divergenceCard({ onUseSmaller: (lr) => controls.useSmaller(lr) });
  const health = healthCard({ onUseSmaller: (lr) => controls.useSmaller(lr) });
  const charts = trainingCharts(app.settings);
  const results = resultsCard(app);
  const card = modelCard(app, {
    onReplaced: (history) => {
      charts.restore(history ?? null);
      results.restore(history?.results);
      health.clear();
      divergence.hide();
      results.evaluateCurrent();
    },
  });
  const controls = trainingControls(app, { charts, results, divergence, card, progress, health, speed });
  const timeline = timelineCard(app, { onContinue: (entry) => controls.continueFrom(entry) });
  app.history = () => ({ ...charts.history(), results: results.history() });
  listen(app, { progress, divergence, charts, results, card, controls, health, timeline });

  app.ready.then(() => {
    if (app.restored) {
      charts.restore(app.restored.history);
      results.restore(app.restored.history?.results);
      if (app.restored.evaluation) results.show(app.restored.evaluation, "Test results of your model from last time");
    }
    card.refreshPrevious();
  });

  root.append(
    el(
      "div",
      { class: "train-grid" },
      el("div", { class: "train-run" }, controls.runRoot, health.warning, divergence.root),
      el("div", { class: "train-charts" }, charts.root),
      el("div", { class: "train-timeline" }, timeline.root),
      el("div", { class: "train-settings" }, controls.settingsRoot),
      el("div", { class: "train-health" }, health.root),
      el("div", { class: "train-results" }, results.root, card.root),
    ),
  );
  controls.update();
}

/** The worker's events and the page's, passed to the parts that show them. */
function listen(app, { progress, divergence, charts, results, card, controls, health, timeline }) {
  const { client } = app;
  client.on("dataProgress", progress.downloading);

  client.on("progress", (p) => {
    if (p.losses?.length) charts.addLosses(p.step - p.losses.length + 1, p.losses);
    progress.show(p);
    if (p.health) health.add(p.health);
    timeline.stepped();
  });

  client.on("epoch", async (e) => {
    charts.addEpoch({ epoch: e.epoch, train: e.trainAccuracy, test: e.evaluation.accuracy });
    results.addEpoch(e.epoch, e.step, e.evaluation);
    try {
      app.setModel(await client.request("describe"));
    } catch {}
    await app.autosave();
    card.refreshPrevious();
  });

  client.on("diverged", async (d) => {
    divergence.show(d);
    progress.say(`Paused at step ${int(d.step)}: the loss became ${num(d.loss)}.`);
    try {
      app.setModel(await client.request("describe"));
    } catch {}
  });

  client.on("state", ({ state }) => {
    const m = app.model;
    if (state === "done") {
      const what = m ? `${m.epoch} epoch${m.epoch === 1 ? "" : "s"}, ${int(m.step)} steps` : "finished";
      progress.say(`Done: ${what}. Raise the epochs and press Resume to train longer.`, 1);
    } else if (state === "paused" && !divergence.shown()) {
      progress.say(`Paused${m ? ` at step ${int(m.step)}` : ""}. Resume continues from here; One step takes a single step.`);
    } else if (state === "evaluating") {
      progress.say(`Testing the model on ${app.data ? int(app.data.test) : "the"} test digits…`);
    }
  });

  // The timeline shows a point: every part shows the model as it was.
  app.on("timepoint", (/** @type {import("../../protocol.js").Describe | null} */ d) => {
    const step = d ? d.step : null;
    const epoch = results.view(step);
    charts.view(step, epoch);
    health.view(step);
  });

  app.on("state", controls.update);
  app.on("evaluation", controls.update);
  app.on("settings", () => (controls.update(), charts.settingsChanged()));
  app.on("data", (d) => {
    progress.dataLoaded(d);
    controls.update();
    if (!results.hasResults()) results.evaluateCurrent();
  });
  app.on("model", (m) => {
    controls.update();
    health.setArch(m?.arch ?? null);
  });
  // A run cut short by a reload or a crash, resumed from the page's offer (main.js).
  // (After a restart the data may still be on its way: training starts once it is there.)
  app.on("resumetraining", async () => {
    if (!app.data) await new Promise((resolve) => app.addEventListener("data", resolve, { once: true }));
    await controls.resume();
  });
}
