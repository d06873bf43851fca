// @ts-check
// The results of the last test: accuracy, the confusion matrix, the misread digits, and one of
// them up close with the model's probabilities (from the core, with the digit it reads). Every
// epoch's results are kept (and saved with the model), so that the timeline can show those of the
// epoch nearest the point it shows.

import { el, setChildren, int, pct, num } from "../../lib/ui.js";
import { paintBytes } from "../../lib/pixels.js";
import { probabilityBars } from "../../lib/bars.js";

const GALLERY_PAGE = 36;

/** @typedef {import("../../protocol.js").Evaluation} Evaluation */

/** The confusion matrix as a table, each cell shaded by the share of its row. */
function confusionTable(/** @type {number[][]} */ m) {
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
          // Shade: the share of row t's digits that got this answer (misreads magnified 8 times);
          // past half, a dark shade under white text (style.css).
          const shade = t === p ? share : Math.min(1, share * 8);
          cell.style.setProperty("--share", String(shade));
          if (shade > 0.5) cell.classList.add("dark");
        }
        return cell;
      }),
    );
  });
  return el(
    "table",
    { class: "confusion" },
    el("caption", { class: "visually-hidden" }, "Confusion matrix: rows are true digits, columns predicted digits"),
    el("thead", {}, headRow),
    el("tbody", {}, rows),
  );
}

/**
 * Test digit `index` up close in `detail`: the picture, its label, and the model's probabilities
 * with the digit it reads (from the core).
 * @param {any} app @param {HTMLElement} detail @param {number} index
 */
async function showDigit(app, detail, index) {
  try {
    const { pixels, label, probs, class: top } = await app.client.request("predictTestDigit", { index });
    const canvas = /** @type {HTMLCanvasElement} */ (el("canvas", { width: 28, height: 28, class: "digit digit-large" }));
    paintBytes(canvas, pixels);
    const bars = probabilityBars(`What the model thinks test digit ${index} is`);
    bars.update({ probs, class: top }, { truth: label });
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
  } catch (e) {
    setChildren(detail, el("p", { class: "error-text" }, `Could not show this digit: ${e.message}`));
  }
  detail.hidden = false;
}

/** @param {any} app the page (main.js) */
export function resultsCard(app) {
  const { client } = app;
  const title = el("h3", {}, "Test results");
  const summary = el("p", { class: "results-summary" }, "Results appear when the model has been tested.");
  const confusion = el("div", { class: "confusion-wrap" });
  const gallery = el("ul", { class: "gallery", "aria-label": "Misread test digits" });
  const more = el(
    "button",
    { type: "button", class: "btn btn-small", hidden: true, onclick: () => showGallery(shown + GALLERY_PAGE) },
    "Show more",
  );
  const galleryNote = el("p", { class: "hint" });
  const detail = el("div", { class: "digit-detail", hidden: true, "aria-live": "polite" });
  const root = el(
    "section",
    { class: "card results" },
    title,
    summary,
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
      el("div", {}, el("h4", {}, "Digits it misread"), galleryNote, gallery, more, detail),
    ),
  );
  /** @type {Evaluation | null} */
  let evaluation = null;
  let shown = 0;
  /** @typedef {{epoch: number, step: number, evaluation: Evaluation}} EpochResult */
  /** @type {EpochResult[]} every epoch's results, in order */
  let epochs = [];
  /** @type {{evaluation: Evaluation, heading: string} | null} the results of the model in training */
  let live = null;

  /** The results of the model in training. @param {Evaluation} ev @param {string} heading */
  function show(ev, heading) {
    live = { evaluation: ev, heading };
    app.setEvaluation(ev);
    if (!app.viewing) render(ev, heading);
  }

  /** The results of epoch `epoch`, which ended at `step`. @param {number} epoch @param {number} step @param {Evaluation} ev */
  function addEpoch(epoch, step, ev) {
    epochs = epochs.filter((e) => e.epoch !== epoch);
    epochs.push({ epoch, step, evaluation: ev });
    show(ev, `Test results after epoch ${epoch}`);
  }

  /**
   * Shows the results of the epoch nearest `step` (null: the model in training's); returns that
   * epoch, or null when none is shown.
   * @param {number | null} step
   */
  function view(step) {
    if (step == null) {
      if (live) render(live.evaluation, live.heading);
      return null;
    }
    let best = null;
    for (const e of epochs) if (!best || Math.abs(e.step - step) < Math.abs(best.step - step)) best = e;
    if (!best) {
      title.textContent = "Test results";
      summary.textContent = `No epoch had ended by step ${int(step)}: results come at each epoch's end.`;
      confusion.replaceChildren();
      gallery.replaceChildren();
      galleryNote.textContent = "";
      more.hidden = true;
      detail.hidden = true;
      evaluation = null;
      return null;
    }
    const note = best.step === step ? "" : ` (the nearest epoch's end to step ${int(step)})`;
    render(best.evaluation, `Test results after epoch ${best.epoch}, at step ${int(best.step)}${note}`);
    return best.epoch;
  }

  /** Forgets the epochs after `step`: training goes on from there instead. */
  function truncate(/** @type {number} */ step) {
    epochs = epochs.filter((e) => e.step <= step);
    const last = epochs[epochs.length - 1];
    live = last ? { evaluation: last.evaluation, heading: `Test results after epoch ${last.epoch}` } : null;
    if (last) app.setEvaluation(last.evaluation);
    else app.setEvaluation(null);
    if (last) render(last.evaluation, live.heading);
    else clear();
  }

  /** @param {Evaluation} ev @param {string} heading */
  function render(ev, heading) {
    evaluation = ev;
    title.textContent = heading;
    setChildren(
      summary,
      el("strong", { class: "big-number" }, pct(ev.accuracy, 2)),
      ` of ${int(ev.count)} test digits read right (${int(ev.count - ev.correct)} misread); mean loss ${num(ev.loss)}.`,
    );
    setChildren(confusion, confusionTable(ev.confusion));
    detail.hidden = true;
    gallery.replaceChildren();
    shown = 0;
    showGallery(GALLERY_PAGE);
  }

  /** Empty, waiting for the first epoch of a fresh model. */
  function clear() {
    evaluation = null;
    live = null;
    epochs = [];
    title.textContent = "Test results";
    summary.textContent = "Results appear after the first epoch.";
    confusion.replaceChildren();
    gallery.replaceChildren();
    galleryNote.textContent = "";
    more.hidden = true;
    detail.hidden = true;
  }

  function showGallery(upTo) {
    const ev = evaluation;
    const list = ev.misclassified;
    galleryNote.textContent = list.length
      ? `${int(list.length)} test digits were misread. Pick one to see what the model thought.`
      : "None: every test digit was read right.";
    const from = shown;
    shown = Math.min(upTo, list.length);
    more.hidden = shown >= list.length;
    for (const index of list.slice(from, shown)) gallery.append(el("li", {}, galleryItem(ev, index)));
  }

  function galleryItem(/** @type {Evaluation} */ ev, /** @type {number} */ index) {
    const canvas = /** @type {HTMLCanvasElement} */ (el("canvas", { width: 28, height: 28, class: "digit" }));
    const cap = el("span", { class: "gallery-cap" }, "…");
    const btn = el("button", { type: "button", class: "gallery-item", onclick: () => openDetail(index, btn) }, canvas, cap);
    client
      .request("testImage", { index })
      .then(({ pixels, label }) => {
        if (ev !== evaluation) return;
        paintBytes(canvas, pixels);
        const said = ev.predictions?.[index];
        cap.textContent = said != null ? `${label} → ${said}` : String(label);
        // The name starts with the caption people see ("3 → 2"), then says it in words.
        btn.setAttribute("aria-label", `${cap.textContent}: test digit ${index}, a ${label}${said != null ? ` read as ${said}` : ""}`);
        btn.dataset.label = String(label);
      })
      .catch(() => (cap.textContent = "?"));
    return btn;
  }

  async function openDetail(/** @type {number} */ index, /** @type {HTMLElement} */ btn) {
    for (const b of gallery.querySelectorAll("[aria-pressed]")) b.removeAttribute("aria-pressed");
    btn.setAttribute("aria-pressed", "true");
    await showDigit(app, detail, index);
  }

  /** Tests the model as it is (on load, after loading a file), unless it is being tested. */
  let testing = null; // the model being tested
  async function evaluateCurrent() {
    await app.ready;
    if (!app.data || testing === app.model || app.state === "training") return;
    const model = (testing = app.model);
    summary.textContent = `Testing the model on ${int(app.data.test)} test digits…`;
    try {
      const ev = await client.request("evaluate");
      if (app.model !== model) return; // another model took its place meanwhile
      show(ev, app.modelOrigin === "pretrained" ? "The pretrained model on the test digits" : "Test results of the current model");
    } catch (e) {
      if (app.model !== model) return; // abandoned for a new model: its own results will come
      const busy = app.state === "training" || app.state === "evaluating";
      summary.textContent = busy ? "Results appear after the first epoch." : `The model could not be tested: ${e.message}`;
    } finally {
      if (testing === model) testing = null;
    }
  }

  return {
    root,
    show,
    addEpoch,
    view,
    truncate,
    clear,
    evaluateCurrent,
    hasResults: () => !!live,
    /** Every epoch's results, to save with the model (predictions as bytes). */
    history: () => epochs.map((e) => ({ ...e, evaluation: { ...e.evaluation, predictions: Uint8Array.from(e.evaluation.predictions) } })),
    /** @param {EpochResult[] | undefined} saved */
    restore(saved) {
      epochs = (saved ?? []).map((e) => ({ ...e, evaluation: { ...e.evaluation, predictions: Array.from(e.evaluation.predictions) } }));
    },
  };
}
