// @ts-check
// The drawing pad: a canvas for mouse, pen and touch (pointer events), smooth strokes, undo and
// clear (buttons and keys), and the strokes kept in localStorage so a drawing survives a reload.
// It also paints the strokes at a fixed size (SIZE × SIZE) into a second canvas: the picture the
// worker preprocesses, whatever the pad's size on screen. A stroke is a path, or (a test digit put
// on the pad) a set of pen positions, each a dot of the pen.

import { el } from "../../lib/ui.js";
import vocabulary from "../../lib/vocabulary.js";

/** The drawing's own resolution (what the worker preprocesses), whatever its size on screen. */
export const SIZE = vocabulary.draw.pad;
/** Pen width in drawing pixels (the core's, src/data/drawn.rs). */
const PEN = vocabulary.draw.pen;
const INK = "#172033";
const STORAGE_KEY = "backprop-lab:drawing";

/** @typedef {[number, number][]} Path */
/** @typedef {Path | {dots: Path}} Stroke */

/** Whether the page is used with a finger rather than a mouse and keyboard. */
export const touchFirst = () => matchMedia("(pointer: coarse)").matches;

const isPath = (/** @type {any} */ p) =>
  Array.isArray(p) && p.length > 0 && p.every((q) => Array.isArray(q) && q.length === 2 && q.every(Number.isFinite));

/** The strokes saved last time, or none (anything malformed is dropped). */
function loadStrokes() {
  try {
    const s = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]");
    return Array.isArray(s) ? s.filter((st) => isPath(st) || isPath(st?.dots)) : [];
  } catch {
    return [];
  }
}

/** Paints `strokes` at `scale` (canvas pixels per drawing pixel). */
function paintStrokes(/** @type {CanvasRenderingContext2D} */ ctx, /** @type {number} */ scale, /** @type {Stroke[]} */ strokes) {
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.clearRect(0, 0, SIZE, SIZE);
  ctx.strokeStyle = INK;
  ctx.fillStyle = INK;
  ctx.lineWidth = PEN;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const s of strokes) {
    if (!Array.isArray(s) || s.length === 1) {
      ctx.beginPath();
      for (const [x, y] of Array.isArray(s) ? s : s.dots) {
        ctx.moveTo(x + PEN / 2, y);
        ctx.arc(x, y, PEN / 2, 0, 2 * Math.PI);
      }
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

/**
 * @param {{onChange: (finished: boolean) => void}} hooks `finished`: a stroke ended, or undo/clear
 */
export function drawingPad({ onChange }) {
  /** @type {Stroke[]} */
  let strokes = loadStrokes();
  /** @type {Path | null} */
  let current = null;
  let drawingPointer = null;

  const pad = /** @type {HTMLCanvasElement} */ (
    el("canvas", {
      class: "pad",
      tabindex: 0,
      role: "img",
      "aria-label": touchFirst()
        ? "Drawing area. Draw a digit with your finger; Undo and Clear are below."
        : "Drawing area. Draw a digit with a mouse, pen or finger. Backspace or Control+Z undoes the last stroke; Delete or Escape clears.",
    })
  );
  const ink = /** @type {HTMLCanvasElement} */ (el("canvas", { width: SIZE, height: SIZE }));
  const inkCtx = ink.getContext("2d", { willReadFrequently: true });
  const hint = el("p", { class: "pad-hint", "aria-hidden": "true" }, "Draw a digit from 0 to 9 here");
  const undoBtn = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn", onclick: undo, "aria-keyshortcuts": "Control+Z" }, "Undo")
  );
  const clearBtn = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn", onclick: clear, "aria-keyshortcuts": "Delete" }, "Clear")
  );

  function render() {
    const all = current ? [...strokes, current] : strokes;
    paintStrokes(pad.getContext("2d"), pad.width / SIZE, all);
    paintStrokes(inkCtx, 1, all);
    const empty = !all.length;
    hint.hidden = !empty;
    undoBtn.disabled = empty;
    clearBtn.disabled = empty;
  }

  function changed(finished) {
    render();
    onChange(finished);
  }

  function save() {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(strokes));
    } catch {
      // Storage full or disabled: the drawing just won't survive a reload.
    }
  }

  function undo() {
    if (!strokes.length) return;
    strokes.pop();
    save();
    changed(true);
  }

  function clear() {
    strokes = [];
    current = null;
    save();
    changed(true);
  }

  /** @param {PointerEvent} e */
  function point(e) {
    const r = pad.getBoundingClientRect();
    const x = ((e.clientX - r.left) / r.width) * SIZE;
    const y = ((e.clientY - r.top) / r.height) * SIZE;
    return /** @type {[number, number]} */ ([Math.round(x * 10) / 10, Math.round(y * 10) / 10]);
  }

  pad.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || drawingPointer != null) return;
    e.preventDefault();
    // Focused so the keys work next, without the keyboard focus ring while drawing with a pointer.
    pad.classList.add("pointer-focus");
    pad.focus({ preventScroll: true });
    drawingPointer = e.pointerId;
    pad.setPointerCapture(e.pointerId);
    current = [point(e)];
    changed(false);
  });
  pad.addEventListener("pointermove", (e) => {
    if (e.pointerId !== drawingPointer) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const c of events.length ? events : [e]) current.push(point(c));
    changed(false);
  });
  const end = (/** @type {PointerEvent} */ e) => {
    if (e.pointerId !== drawingPointer) return;
    drawingPointer = null;
    if (current) strokes.push(current);
    current = null;
    save();
    changed(true);
  };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  pad.addEventListener("blur", () => pad.classList.remove("pointer-focus"));

  /** Replaces the drawing with pen positions (a test digit), as one stroke: Undo removes it whole. */
  function put(/** @type {Path} */ dots) {
    strokes = [{ dots }];
    current = null;
    save();
    changed(true);
  }

  /** Keys on the view: Backspace or Control+Z undoes, Delete or Escape clears. */
  function onKey(/** @type {KeyboardEvent} */ e) {
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
  }

  new ResizeObserver(() => {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(pad.clientWidth * dpr) || SIZE;
    if (pad.width !== w) ((pad.width = w), (pad.height = w));
    render();
  }).observe(pad);

  return {
    surface: el("div", { class: "pad-wrap" }, pad, hint),
    buttons: el("div", { class: "buttons" }, undoBtn, clearBtn),
    onKey,
    render,
    put,
    clear,
    /** The drawing at SIZE × SIZE, as RGBA bytes. */
    pixels: () => inkCtx.getImageData(0, 0, SIZE, SIZE).data,
    hasInk: () => strokes.length > 0 || !!current,
    /** A stroke is under way (announcements wait for its end). */
    drawing: () => drawingPointer != null,
  };
}
