// The drawing view: a canvas for mouse, pen and touch (pointer events), live prediction at most
// once per animation frame, the 28x28 image the network really sees and each preprocessing stage
// (computed by the Rust core: src/data/preprocess.rs). The drawing survives reloads.

import { el, setChildren, pct, num } from "../../lib/ui.js";
import { paintGrey } from "../../lib/pixels.js";
import { probabilityBars } from "../../lib/bars.js";

/** The drawing's own resolution (what the worker preprocesses), whatever its size on screen. */
const SIZE = 280;
/** Pen width in drawing pixels: a digit drawn across most of the box gets MNIST-like strokes. */
const PEN = 20;
const INK = "#172033";
const STORAGE_KEY = "backprop-lab:drawing";
/** While training, predict again this often (ms) so the bars follow the learning model. */
const TRAINING_REFRESH_MS = 400;

export function mountDraw(root, app) {
  const { client } = app;
  /** Strokes in drawing pixels: [[x, y], ...] each. */
  let strokes = loadStrokes();
  let current = null;

  const pad = el("canvas", {
    class: "pad",
    tabindex: 0,
    role: "img",
    "aria-label":
      "Drawing area. Draw a digit with a mouse, pen or finger. Backspace or Control+Z undoes the last stroke; Delete or Escape clears.",
  });
  // The picture sent to the worker: fixed size, independent of the screen's pixel density.
  const ink = el("canvas", { width: SIZE, height: SIZE });
  const inkCtx = ink.getContext("2d", { willReadFrequently: true });
  const hint = el("p", { class: "pad-hint", "aria-hidden": "true" }, "Draw a digit from 0 to 9 here");

  const undoBtn = el("button", { type: "button", class: "btn", onclick: undo, "aria-keyshortcuts": "Control+Z" }, "Undo");
  const clearBtn = el("button", { type: "button", class: "btn", onclick: clear, "aria-keyshortcuts": "Delete" }, "Clear");

  const topDigit = el("span", { class: "top-digit muted", "aria-hidden": "true" }, "?");
  const topText = el("span", { class: "top-text" }, "Waiting for a drawing");
  const announcer = el("p", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
  const bars = probabilityBars("The model's probability for each digit");

  const seen = el("canvas", { width: 28, height: 28, class: "digit seen" });
  const seenBox = el("figure", { class: "seen-box" }, seen, el("figcaption", {}, "What the network sees: 28 × 28 pixels"));
  const stageList = el("ol", { class: "stages" });
  const stages = el(
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

  root.append(
    el(
      "p",
      { class: "hint draw-intro" },
      "The model reads your digit as you draw, even while it trains. Keys on the canvas: Backspace undoes, Delete clears.",
    ),
    el("div", { class: "pad-wrap" }, pad, hint),
    el("div", { class: "buttons" }, undoBtn, clearBtn),
    el("div", { class: "prediction" }, topDigit, topText, announcer),
    el("div", { class: "pred-grid" }, bars.root, seenBox),
    stages,
  );

  // ---- drawing -------------------------------------------------------------------------------

  function resizePad() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(pad.clientWidth * dpr) || SIZE;
    if (pad.width !== w) ((pad.width = w), (pad.height = w));
    render();
  }
  new ResizeObserver(resizePad).observe(pad);

  function paintStrokes(ctx, scale) {
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, SIZE, SIZE);
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = PEN;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const s of current ? [...strokes, current] : strokes) {
      if (s.length === 1) {
        ctx.beginPath();
        ctx.arc(s[0][0], s[0][1], PEN / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      // Smooth: quadratic curves through the midpoints between samples.
      ctx.beginPath();
      ctx.moveTo(s[0][0], s[0][1]);
      for (let i = 1; i < s.length - 1; i++) {
        const [x, y] = s[i];
        ctx.quadraticCurveTo(x, y, (x + s[i + 1][0]) / 2, (y + s[i + 1][1]) / 2);
      }
      const last = s[s.length - 1];
      ctx.lineTo(last[0], last[1]);
      ctx.stroke();
    }
  }

  function render() {
    paintStrokes(pad.getContext("2d"), pad.width / SIZE);
    paintStrokes(inkCtx, 1);
    const empty = strokes.length === 0 && !current;
    hint.hidden = !empty;
    undoBtn.disabled = empty;
    clearBtn.disabled = empty;
  }

  function point(e) {
    const r = pad.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * SIZE;
    const y = ((e.clientY - r.top) / r.height) * SIZE;
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  }

  let drawingPointer = null;
  pad.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || drawingPointer != null) return;
    e.preventDefault();
    // Focused so the keys work next, without the keyboard focus ring while drawing with a pointer.
    pad.classList.add("pointer-focus");
    pad.focus({ preventScroll: true });
    drawingPointer = e.pointerId;
    pad.setPointerCapture(e.pointerId);
    current = [point(e)];
    changed();
  });
  pad.addEventListener("pointermove", (e) => {
    if (e.pointerId !== drawingPointer) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const c of events.length ? events : [e]) current.push(point(c));
    changed();
  });
  const end = (e) => {
    if (e.pointerId !== drawingPointer) return;
    drawingPointer = null;
    if (current) strokes.push(current);
    current = null;
    saveStrokes();
    changed();
    announceSoon = true;
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  function undo() {
    if (!strokes.length) return;
    strokes.pop();
    saveStrokes();
    announceSoon = true;
    changed();
  }
  function clear() {
    strokes = [];
    current = null;
    saveStrokes();
    announceSoon = true;
    changed();
  }

  pad.addEventListener("blur", () => pad.classList.remove("pointer-focus"));
  root.addEventListener("keydown", (e) => {
    if (e.key === "Tab") pad.classList.remove("pointer-focus");
    if (e.target instanceof HTMLInputElement) return;
    const undoKey = (e.key === "z" || e.key === "Z") && (e.ctrlKey || e.metaKey) && !e.shiftKey;
    if (undoKey || (e.key === "Backspace" && e.target === pad)) {
      e.preventDefault();
      undo();
    } else if ((e.key === "Delete" || e.key === "Escape") && e.target === pad) {
      e.preventDefault();
      clear();
    }
  });

  function loadStrokes() {
    try {
      const s = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
      return Array.isArray(s)
        ? s.filter(
            (st) => Array.isArray(st) && st.length && st.every((p) => Array.isArray(p) && p.length === 2 && p.every(Number.isFinite)),
          )
        : [];
    } catch {
      return [];
    }
  }
  function saveStrokes() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(strokes));
    } catch {
      // Storage full or disabled: the drawing just won't survive a reload.
    }
  }

  // ---- prediction ----------------------------------------------------------------------------

  let inFlight = false;
  let again = false;
  let frameQueued = false;
  let announceSoon = true;
  let lastAnnounced = "";

  function changed() {
    render();
    predictSoon();
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
      const { data } = inkCtx.getImageData(0, 0, SIZE, SIZE);
      const res = await client.request("predictDrawing", { rgba: data, width: SIZE, height: SIZE }, [data.buffer]);
      show(res);
    } catch (e) {
      topDigit.textContent = "!";
      topText.textContent = `Could not read the drawing: ${e.message}`;
    } finally {
      inFlight = false;
      if (again) predictSoon();
    }
  }

  function show(res) {
    if (res.empty) {
      app.drawing = null;
      topDigit.textContent = "?";
      topDigit.classList.add("muted");
      topText.textContent = strokes.length || current ? "Too little ink to read: draw a bigger digit." : "Draw a digit from 0 to 9 above.";
      bars.update(null);
      paintGrey(seen, new Float32Array(784), 28, 28);
      stageList.replaceChildren();
      announce("The drawing is empty.");
      app.emit("drawing", null);
      return;
    }
    const { probs, preprocessed: p } = res;
    app.drawing = Float32Array.from(p.image);
    let top = 0;
    for (let d = 1; d < 10; d++) if (probs[d] > probs[top]) top = d;
    topDigit.textContent = String(top);
    topDigit.classList.remove("muted");
    const sure = probs[top];
    topText.textContent =
      sure > 0.9
        ? `It reads a ${top}, ${pct(sure)} sure.`
        : sure > 0.5
          ? `Probably a ${top} (${pct(sure)}).`
          : `Maybe a ${top}? Only ${pct(sure)} sure.`;
    bars.update(probs);
    paintGrey(seen, p.image, 28, 28);
    showStages(p);
    announce(`Prediction: ${top}, ${pct(sure, 0)}.`);
    app.emit("drawing", app.drawing);
  }

  /** Tells screen readers the top class when it changes, or after a stroke ends (politely). */
  function announce(text) {
    const key = text.split(",")[0];
    if (key === lastAnnounced && !announceSoon) return;
    if (drawingPointer != null) return; // wait for the stroke to end
    announceSoon = false;
    lastAnnounced = key;
    announcer.textContent = text;
  }

  function stage(title, s, note) {
    const c = el("canvas", { class: "digit stage-img" });
    paintGrey(c, s.pixels, s.width, s.height);
    // Same scale for every stage up to 28 px, so sizes can be compared; bigger crops are fitted.
    const k = Math.min(3, 84 / Math.max(s.width, s.height));
    c.style.width = `${Math.max(1, Math.round(s.width * k))}px`;
    c.style.height = `${Math.max(1, Math.round(s.height * k))}px`;
    return el(
      "li",
      { class: "stage" },
      el("div", { class: "stage-frame" }, c),
      el("strong", {}, title),
      el("span", { class: "hint" }, note),
    );
  }

  function showStages(p) {
    const [x0, y0, x1, y1] = p.bbox;
    setChildren(
      stageList,
      stage("1. Crop", p.cropped, `The ink's box: ${x1 - x0} × ${y1 - y0} px of the ${SIZE} × ${SIZE} drawing.`),
      stage("2. Fit", p.scaled, `Scaled to ${p.scaled.width} × ${p.scaled.height}, keeping the shape, grey at the edges.`),
      stage(
        "3. Stroke",
        p.stroked,
        p.restroked
          ? `Pen width ${num(p.stroke_width_before, 2)} px is unlike MNIST's, so redrawn at ${num(p.stroke_width_after, 2)} px.`
          : `Pen width ${num(p.stroke_width_before, 2)} px is like MNIST's: kept.`,
      ),
      stage("4. Centre", p.centered, `Placed in 28 × 28 with its centre of mass in the middle (moved ${p.shift[0]}, ${p.shift[1]} px).`),
    );
  }

  // Predict again when the model changes, and a few times a second while it trains.
  app.on("model", () => predictSoon());
  let lastRefresh = 0;
  client.on("progress", () => {
    const now = performance.now();
    if (app.drawing && now - lastRefresh > TRAINING_REFRESH_MS) {
      lastRefresh = now;
      predictSoon();
    }
  });

  render();
  bars.update(null);
  paintGrey(seen, new Float32Array(784), 28, 28);
  if (!strokes.length) topText.textContent = "Draw a digit from 0 to 9 above.";
  else topText.textContent = "Loading the model…";
}
