// @ts-check
// The training view: the settings (kept in the URL), start / pause / resume / reset, live charts
// of the loss and the accuracy, progress, each epoch's test results, what happens when training
// diverges, and the model file. Each concern has its file beside this one:
//   controls.js       the settings form (settings-form.js) with its buttons, and their actions
//   progress.js       the progress bar and line
//   charts.js         the loss and accuracy charts and their saved history
//   results.js        accuracy, confusion matrix, misread digits
//   divergence.js     the card shown when the loss blows up
//   model-card.js     the model's description and its file
// This file puts them on the page and passes them the worker's events.

import { el, int, num } from "../../lib/ui.js";
import { trainingControls } from "./controls.js";
import { progressCard } from "./progress.js";
import { trainingCharts } from "./charts.js";
import { resultsCard } from "./results.js";
import { divergenceCard } from "./divergence.js";
import { modelCard } from "./model-card.js";

/** @param {HTMLElement} root @param {any} app the page (main.js) */
export function mountTrain(root, app) {
  const progress = progressCard();
  const divergence = divergenceCard({ onUseSmaller: (lr) => controls.useSmaller(lr) });
  const charts = trainingCharts(app.settings);
  const results = resultsCard(app);
  const card = modelCard(app, {
    onReplaced: (history) => {
      charts.restore(history ?? null);
      divergence.hide();
      results.evaluateCurrent();
    },
  });
  const controls = trainingControls(app, { charts, results, divergence, card, progress });
  app.history = charts.history;
  listen(app, { progress, divergence, charts, results, card, controls });

  app.ready.then(() => {
    if (app.restored) {
      charts.restore(app.restored.history);
      if (app.restored.evaluation) results.show(app.restored.evaluation, "Test results of your model from last time");
    }
    card.refreshPrevious();
  });

  root.append(controls.root, progress.root, divergence.root, charts.root, results.root, card.root);
  controls.update();
}

/** The worker's events and the page's, passed to the parts that show them. */
function listen(app, { progress, divergence, charts, results, card, controls }) {
  const { client } = app;
  client.on("dataProgress", progress.downloading);

  client.on("progress", (p) => {
    if (p.losses?.length) charts.addLosses(p.step - p.losses.length + 1, p.losses);
    progress.show(p);
    if (app.model) {
      app.model.step = p.step;
      app.model.epoch = p.epoch;
    }
  });

  client.on("epoch", async (e) => {
    charts.addEpoch({ epoch: e.epoch, train: e.trainAccuracy, test: e.evaluation.accuracy });
    results.show(e.evaluation, `Test results after epoch ${e.epoch}`);
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
      progress.say(`Paused${m ? ` at step ${int(m.step)}` : ""}. Resume continues from here.`);
    } else if (state === "evaluating") {
      progress.say(`Testing the model on ${app.data ? int(app.data.test) : "the"} test digits…`);
    }
  });

  app.on("state", controls.update);
  app.on("settings", () => (controls.update(), charts.settingsChanged()));
  app.on("data", (d) => {
    progress.dataLoaded(d);
    controls.update();
    if (!results.hasResults()) results.evaluateCurrent();
  });
  app.on("model", controls.update);
  // A run cut short by a reload or a crash, resumed from the page's offer (main.js).
  // (After a restart the data may still be on its way: training starts once it is there.)
  app.on("resumetraining", async () => {
    if (!app.data) await new Promise((resolve) => app.addEventListener("data", resolve, { once: true }));
    await controls.resume();
  });
}
