// @ts-check
// Your own digits: label the drawing on the pad and keep it (IndexedDB, lib/digitstore.js), a
// gallery to review, relabel and delete them, the current model's accuracy on them (from the core,
// with the digits it misreads marked), the set exported as two IDX files and imported back, and
// fine-tuning on them (finetune.js).

import { el, setChildren, pct, int } from "../../lib/ui.js";
import { paintBytes } from "../../lib/pixels.js";
import vocabulary from "../../lib/vocabulary.js";
import { listDigits, addDigits, relabelDigit, deleteDigit } from "../../lib/digitstore.js";
import { fineTunePanel } from "./finetune.js";

const MAX = vocabulary.draw.max_own_digits;
/** Digits the gallery shows at first, and more each time it is asked (a thousand thumbnails at
 * once would hold the page for a second). */
const PAGE = 48;
const OPEN_KEY = "backprop-lab:own-digits-open";

/** The set as the worker takes it: pixels (784 per digit) and labels, in gallery order. */
export function packed(/** @type {import("../../lib/digitstore.js").OwnDigit[]} */ digits) {
  const pixels = new Uint8Array(digits.length * 784);
  digits.forEach((d, i) => pixels.set(d.pixels, i * 784));
  return { pixels, labels: Uint8Array.from(digits.map((d) => d.label)) };
}

/** Downloads bytes as a file. */
function download(/** @type {Uint8Array} */ bytes, /** @type {string} */ name) {
  const url = URL.createObjectURL(new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (bytes)], { type: "application/octet-stream" }));
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * @param {HTMLElement} root
 * @param {any} app
 * @param {{current: () => import("../../protocol.js").DrawingRead | null, clearPad: () => void}} pad
 */
export function mountOwnDigits(root, app, pad) {
  const { client } = app;
  /** @type {import("../../lib/digitstore.js").OwnDigit[]} */
  let digits = [];
  /** @type {number[] | null} the model's reading of each digit, from the last evaluation */
  let readings = null;
  let shown = PAGE;

  const status = el("p", { class: "own-status", role: "status" });
  const keepButtons = Array.from(
    { length: 10 },
    (_, d) =>
      /** @type {HTMLButtonElement} */ (
        el(
          "button",
          { type: "button", class: "btn btn-small keep-btn", onclick: () => keep(d), "aria-label": `Keep the drawing as a ${d}` },
          String(d),
        )
      ),
  );
  const accuracy = el("p", { class: "own-accuracy" });
  const gallery = el("ul", { class: "gallery", "aria-label": "Your digits, newest first" });
  const more = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn btn-small", hidden: true, onclick: () => ((shown += PAGE), render()) })
  );
  const fileInput = /** @type {HTMLInputElement} */ (
    el("input", { type: "file", multiple: true, class: "visually-hidden", "aria-label": "Two IDX files: images and labels" })
  );
  fileInput.addEventListener("change", () => importFiles([...(fileInput.files || [])]));
  const exportBtn = /** @type {HTMLButtonElement} */ (
    el("button", { type: "button", class: "btn btn-small", onclick: exportSet }, "Export as IDX")
  );
  const importBtn = el("button", { type: "button", class: "btn btn-small", onclick: () => fileInput.click() }, "Import IDX…");
  const finetune = fineTunePanel(app, { set: () => packed(digits), count: () => digits.length });

  const box = /** @type {HTMLDetailsElement} */ (
    el(
      "details",
      { class: "own-box", open: localStorage.getItem(OPEN_KEY) === "1" },
      el("summary", {}, "Your own digits: keep them, and teach the model your handwriting"),
      el(
        "div",
        { class: "keep-row" },
        el("span", { class: "keep-label", id: "keep-label" }, "Keep this drawing as a"),
        el("div", { class: "keep-buttons", role: "group", "aria-labelledby": "keep-label" }, keepButtons),
      ),
      status,
      accuracy,
      gallery,
      more,
      el("div", { class: "buttons" }, exportBtn, importBtn, fileInput),
      el(
        "p",
        { class: "hint" },
        `Kept in this browser (up to ${int(MAX)} digits). Export writes them as two IDX files, MNIST's own format, `,
        "which import reads back and `backprop-lab eval --images F --labels F` evaluates.",
      ),
      finetune.root,
    )
  );
  box.addEventListener("toggle", () => {
    try {
      localStorage.setItem(OPEN_KEY, box.open ? "1" : "0");
    } catch {
      // Storage disabled: the panel just opens closed next time.
    }
  });
  root.append(box);

  function say(/** @type {string} */ text, kind = "") {
    status.textContent = text;
    status.className = `own-status ${kind}`;
  }

  function updateButtons() {
    const can = !!pad.current() && digits.length < MAX;
    for (const b of keepButtons) b.disabled = !can;
    exportBtn.disabled = !digits.length;
  }

  async function reload() {
    try {
      digits = await listDigits();
    } catch (e) {
      say(`Your digits could not be read from this browser's storage: ${e.message}`, "error-text");
      digits = [];
    }
    render();
    measure();
  }

  function render() {
    updateButtons();
    box.querySelector("summary").textContent = `Your own digits (${digits.length}): keep them, and teach the model your handwriting`;
    // Newest first; `i` is the digit's place in the set (and in the model's readings).
    const order = digits.map((_, i) => digits.length - 1 - i).slice(0, shown);
    more.hidden = digits.length <= shown;
    more.textContent = `Show ${Math.min(PAGE, digits.length - shown)} more of ${int(digits.length)}`;
    setChildren(
      gallery,
      order.map((i, place) => {
        const d = digits[i];
        const c = /** @type {HTMLCanvasElement} */ (el("canvas", { class: "digit thumb", width: 28, height: 28, "aria-hidden": "true" }));
        paintBytes(c, d.pixels);
        const select = /** @type {HTMLSelectElement} */ (
          el(
            "select",
            { "aria-label": `Label of digit ${place + 1}`, onchange: () => relabel(d, Number(select.value)) },
            Array.from({ length: 10 }, (_, k) => el("option", { value: k, selected: k === d.label }, String(k))),
          )
        );
        return el(
          "li",
          { class: "own-digit", dataset: { index: i } },
          c,
          select,
          el("span", { class: "read-as", hidden: true }),
          el(
            "button",
            {
              type: "button",
              class: "btn btn-quiet btn-small",
              onclick: () => remove(d),
              "aria-label": `Delete digit ${place + 1}, a ${d.label}`,
            },
            "×",
          ),
        );
      }),
    );
    showReadings();
    finetune.update();
  }

  /** Marks the digits the model misreads (the gallery's items stay: rebuilding them costs more). */
  function showReadings() {
    for (const li of /** @type {NodeListOf<HTMLElement>} */ (gallery.querySelectorAll(".own-digit"))) {
      const i = Number(li.dataset.index);
      const read = readings?.[i];
      const wrong = read != null && read !== digits[i]?.label;
      li.classList.toggle("misread", wrong);
      const note = /** @type {HTMLElement} */ (li.querySelector(".read-as"));
      note.hidden = !wrong;
      note.textContent = wrong ? `read as ${read}` : "";
    }
  }

  /** The current model on the set, from the core; marks the digits it misreads. */
  let measuring = 0;
  async function measure() {
    const ticket = ++measuring;
    if (!digits.length) {
      readings = null;
      accuracy.textContent = "No digits of yours yet: draw one, then press its label above.";
      return;
    }
    try {
      await app.ready;
      const e = await client.request("evaluateOwn", packed(digits));
      if (ticket !== measuring) return;
      readings = e.predictions;
      accuracy.textContent = `The current model reads ${pct(e.accuracy)} of your digits right (${int(e.correct)} of ${int(e.count)}).`;
      showReadings();
    } catch (e) {
      if (ticket === measuring) accuracy.textContent = `Could not measure the model on your digits: ${e.message}`;
    }
  }

  async function keep(/** @type {number} */ label) {
    const read = pad.current();
    if (!read) return;
    try {
      await addDigits([{ label, pixels: Uint8Array.from(read.bytes) }]);
      say(`Kept as a ${label}. Draw the next one.`);
      pad.clearPad();
      await reload();
    } catch (e) {
      say(`Could not keep the digit: ${e.message}`, "error-text");
    }
  }

  async function relabel(/** @type {import("../../lib/digitstore.js").OwnDigit} */ d, /** @type {number} */ label) {
    try {
      await relabelDigit(d.id, label);
      say(`Relabelled as a ${label}.`);
      await reload();
    } catch (e) {
      say(`Could not relabel: ${e.message}`, "error-text");
    }
  }

  async function remove(/** @type {import("../../lib/digitstore.js").OwnDigit} */ d) {
    try {
      await deleteDigit(d.id);
      say(`Deleted a ${d.label}.`);
      await reload();
    } catch (e) {
      say(`Could not delete: ${e.message}`, "error-text");
    }
  }

  async function exportSet() {
    try {
      await app.ready;
      const { images, labels } = await client.request("ownSetToIdx", packed(digits));
      download(images, "my-digits-images-idx3-ubyte");
      download(labels, "my-digits-labels-idx1-ubyte");
      say(`Exported ${digits.length} digits as two IDX files.`);
    } catch (e) {
      say(`Could not export: ${e.message}`, "error-text");
    }
  }

  async function importFiles(/** @type {File[]} */ files) {
    fileInput.value = "";
    if (files.length !== 2)
      return say("Choose two files at once: the images file and the labels file (as Export writes them).", "error-text");
    // The labels file is the one named so; else the order chosen.
    const isLabels = (/** @type {File} */ f) => /label/i.test(f.name);
    const [images, labels] = isLabels(files[0]) && !isLabels(files[1]) ? [files[1], files[0]] : files;
    try {
      await app.ready;
      const set = await client.request("ownSetFromIdx", { images, labels });
      const n = set.labels.length;
      if (digits.length + n > MAX) {
        return say(
          `Not imported: with these ${int(n)} you would have ${int(digits.length + n)} digits, more than the ${int(MAX)} kept.`,
          "error-text",
        );
      }
      await addDigits(Array.from(set.labels, (label, i) => ({ label, pixels: set.pixels.slice(i * 784, (i + 1) * 784) })));
      say(`Imported ${int(n)} digits from ${images.name} and ${labels.name}.`);
      await reload();
    } catch (e) {
      say(`Not imported: ${e.message}`, "error-text");
    }
  }

  app.on("model", () => measure());
  reload();

  return {
    /** The drawing on the pad changed: keeping is possible or not. */
    drawingChanged: updateButtons,
  };
}
