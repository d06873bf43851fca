// @ts-check
// The drawing view: the pad (pad.js), live prediction at most once per animation frame, the 28x28
// image the network really sees and each preprocessing stage (computed by the Rust core:
// src/data/preprocess.rs; the digit it reads comes from the core too), why it reads it (the
// saliency map, saliency.js), and the user's own digits with fine-tuning on them (own-digits.js).
// The drawing survives reloads. Each reading is one request to the worker; while one is under
// way, later changes wait and only the latest drawing is read next.

import { el, setChildren, pct, num } from "../../lib/ui.js";
import { paintGrey } from "../../lib/pixels.js";
import { probabilityBars } from "../../lib/bars.js";
import { drawingPad, SIZE, touchFirst } from "./pad.js";
import { saliencyPanel } from "./saliency.js";
import { mountOwnDigits } from "./own-digits.js";

/** While training, predict again this often (ms) so the bars follow the learning model. */
const TRAINING_REFRESH_MS = 400;

/** One preprocessing stage as a small picture with its title and a note. */
function stage(title, /** @type {import("../../protocol.js").Stage} */ s, note) {
  const c = /** @type {HTMLCanvasElement} */ (el("canvas", { class: "digit stage-img" }));
  paintGrey(c, s.pixels, s.width, s.height);
  // Same scale for every stage up to 28 px, so sizes can be compared; bigger crops are fitted.
  const k = Math.min(3, 84 / Math.max(s.width, s.height));
  c.style.width = `${Math.max(1, Math.round(s.width * k))}px`;
  c.style.height = `${Math.max(1, Math.round(s.height * k))}px`;
  return el("li", { class: "stage" }, el("div", { class: "stage-frame" }, c), el("strong", {}, title), el("span", { class: "hint" }, note));
}

/** Every stage of the core's preprocessing, with what it did. */
function stages(/** @type {import("../../protocol.js").Preprocessed} */ p) {
  const [x0, y0, x1, y1] = p.bbox;
  return [
    stage("1. Crop", p.cropped, `The ink's box: ${x1 - x0} × ${y1 - y0} px of the ${SIZE} × ${SIZE} drawing.`),
    stage("2. Fit", p.scaled, `Scaled to ${p.scaled.width} × ${p.scaled.height}, keeping the shape, grey at the edges.`),
    stage(
      "3. Stroke",
      p.stroked,
      p.restroked
        ? `Redrawn with MNIST's pen for a digit this size: strokes ${num(p.stroke_width_before, 2)} px wide became ${num(p.stroke_width_after, 2)} px.`
        : `Strokes ${num(p.stroke_width_before, 2)} px wide are already MNIST's for a digit this size (${num(p.stroke_width_after, 2)} px once redrawn).`,
    ),
    stage("4. Centre", p.centered, `Placed in 28 × 28 with its centre of mass in the middle (moved ${p.shift[0]}, ${p.shift[1]} px).`),
  ];
}

/** @param {HTMLElement} root @param {any} app the page (main.js) */
export function mountDraw(root, app) {
  const { client } = app;
  const pad = drawingPad({ onChange: (finished) => ((announceSoon ||= finished), predictSoon()) });
  const topDigit = el("span", { class: "top-digit muted", "aria-hidden": "true" }, "?");
  const topText = el("span", { class: "top-text" }, "Waiting for a drawing");
  const announcer = el("p", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
  const bars = probabilityBars("The model's probability for each digit");
  const seen = /** @type {HTMLCanvasElement} */ (el("canvas", { width: 28, height: 28, class: "digit seen" }));
  const seenBox = el("figure", { class: "seen-box" }, seen, el("figcaption", {}, "What the network sees: 28 × 28 pixels"));
  const stageList = el("ol", { class: "stages" });
  const why = saliencyPanel({ onPick: () => predictSoon() });
  const testNote = el("span", { class: "hint test-note", "aria-live": "polite" });
  let nextTestDigit = 0;
  const testBtn = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn", onclick: () => putTestDigit() }, "Put a test digit on the pad")
  );
  pad.buttons.append(testBtn, testNote);
  const stagesBox = el(
    "details",
    { class: "stages-box" },
    el("summary", {}, "How your drawing becomes 28 × 28, step by step"),
    el(
      "p",
      { class: "hint" },
      "The network only ever saw MNIST's digits, prepared one way. Your drawing is prepared the same way, in the Rust core.",
    ),
    stageList,
  );
  const ownDigits = el("div", { class: "own-digits-root" });
  root.append(
    el(
      "p",
      { class: "hint draw-intro" },
      touchFirst()
        ? "The model reads your digit as you draw, even while it trains. Draw with your finger; Undo and Clear are below the pad."
        : "The model reads your digit as you draw, even while it trains. Keys on the canvas: Backspace undoes, Delete clears.",
    ),
    pad.surface,
    pad.buttons,
    el("div", { class: "prediction" }, topDigit, topText, announcer),
    el("div", { class: "pred-grid" }, bars.root, seenBox),
    why.root,
    stagesBox,
    ownDigits,
  );
  const own = mountOwnDigits(ownDigits, app, {
    current: () => current,
    clearPad: () => pad.clear(),
  });
  root.addEventListener("keydown", pad.onKey);

  let inFlight = false;
  let again = false;
  let frameQueued = false;
  let announceSoon = true;
  let lastAnnounced = "";
  /** @type {import("../../protocol.js").DrawingRead | null} the reading on screen */
  let current = null;

  /** Puts the next test digit on the pad (for a keyboard: no pointer needed). */
  async function putTestDigit() {
    try {
      if (!app.data) testNote.textContent = "Waiting for MNIST's test digits to load…";
      await app.dataReady;
      const index = nextTestDigit++;
      const { points, label } = await client.request("testDigitOnPad", { index });
      /** @type {[number, number][]} */
      const dots = [];
      for (let i = 0; i < points.length; i += 2) dots.push([points[i], points[i + 1]]);
      pad.put(dots);
      testNote.textContent = `Test digit ${index}, a ${label}.`;
    } catch (e) {
      testNote.textContent = `Could not put a test digit on the pad: ${e.message}`;
    }
  }

  /** Predicts on the next animation frame; never more than one request at a time. */
  function predictSoon() {
    if (inFlight) return void (again = true);
    if (frameQueued) return;
    frameQueued = true;
    requestAnimationFrame(() => {
      frameQueued = false;
      predictNow();
    });
  }

  async function predictNow() {
    if (!app.model) return; // predicted once the model is ready (see app "model" event)
    inFlight = true;
    again = false;
    try {
      const rgba = pad.pixels();
      const t0 = performance.now();
      const res = await client.request("predictDrawing", { rgba, width: SIZE, height: SIZE, explain: true, class: why.picked() }, [
        rgba.buffer,
      ]);
      show(res);
      // From the pad's pixels to the map on screen (the browser tests report its median).
      performance.measure("backprop-lab:read-drawing", { start: t0 });
    } catch (e) {
      topDigit.textContent = "!";
      topText.textContent = `Could not read the drawing: ${e.message}`;
    } finally {
      inFlight = false;
      if (again) predictSoon();
    }
  }

  function showEmpty() {
    app.drawing = null;
    current = null;
    app.reading = null;
    why.show(null);
    own.drawingChanged();
    topDigit.textContent = "?";
    topDigit.classList.add("muted");
    topText.textContent = pad.hasInk() ? "Too little ink to read: draw a bigger digit." : "Draw a digit from 0 to 9 above.";
    bars.update(null);
    paintGrey(seen, new Float32Array(784), 28, 28);
    stageList.replaceChildren();
    announce("The drawing is empty.");
    app.emit("drawing", null);
  }

  /** @param {import("../../protocol.js").DrawingPrediction} res */
  function show(res) {
    if (res.empty) return showEmpty();
    const read = /** @type {import("../../protocol.js").DrawingRead} */ (res);
    const { probs, class: top, preprocessed: p } = read;
    current = read;
    app.reading = read;
    app.drawing = Float32Array.from(p.image);
    why.show(read.saliency, p.image);
    own.drawingChanged();
    topDigit.textContent = String(top);
    topDigit.classList.remove("muted");
    const sure = probs[top];
    topText.textContent =
      sure > 0.9
        ? `It reads a ${top}, ${pct(sure)} sure.`
        : sure > 0.5
          ? `Probably a ${top} (${pct(sure)}).`
          : `Maybe a ${top}? Only ${pct(sure)} sure.`;
    bars.update(read);
    paintGrey(seen, p.image, 28, 28);
    setChildren(stageList, stages(p));
    announce(`Prediction: ${top}, ${pct(sure, 0)}.`);
    app.emit("drawing", app.drawing);
  }

  /** Tells screen readers the top class when it changes, or after a stroke ends (politely). */
  function announce(text) {
    const key = text.split(",")[0];
    if (key === lastAnnounced && !announceSoon) return;
    if (pad.drawing()) return; // wait for the stroke to end
    announceSoon = false;
    lastAnnounced = key;
    announcer.textContent = text;
  }

  // Predict again when the model changes (or the timeline shows another point of it), and a few
  // times a second while it trains.
  app.on("model", () => predictSoon());
  app.on("timepoint", () => predictSoon());
  let lastRefresh = 0;
  client.on("progress", () => {
    const now = performance.now();
    if (app.drawing && now - lastRefresh > TRAINING_REFRESH_MS) {
      lastRefresh = now;
      predictSoon();
    }
  });

  pad.render();
  why.show(null);
  bars.update(null);
  paintGrey(seen, new Float32Array(784), 28, 28);
  topText.textContent = pad.hasInk() ? "Loading the model…" : "Draw a digit from 0 to 9 above.";
}
