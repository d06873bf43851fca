// @ts-check
// The walk: one step on screen at a time, the list of all steps, Next and Back above and below
// the step, ← → Home End on the keyboard. Moving to a step brings its top into view and puts the
// focus on its heading, so a screen reader reads the new step and the next Tab starts from it.

import { h, rich, isEditable, typesetSlice } from "./dom.js";
import { renderBlock, watchOverflow } from "./blocks.js";

const PHASES = { forward: "Forward", backward: "Backward", update: "Update" };

export class Walk {
  /** @param {import("./view.js").StepThroughView} view */
  constructor(view) {
    this.view = view;
    this.at = 0;
  }

  /** @param {number} step @param {string} label */
  navButton(step, label) {
    return h(
      "button",
      {
        type: "button",
        class: `btn${step > 0 ? " btn-primary" : ""}`,
        dataset: { go: step > 0 ? "next" : "back" },
        onclick: () => this.go(this.at + step, { focus: true }),
      },
      label,
    );
  }

  build() {
    this.prevBtn = this.navButton(-1, "← Back");
    this.nextBtn = this.navButton(1, "Next →");
    this.prevBtn.setAttribute("aria-keyshortcuts", "ArrowLeft");
    this.nextBtn.setAttribute("aria-keyshortcuts", "ArrowRight");
    this.prevBottom = this.navButton(-1, "← Back");
    this.nextBottom = this.navButton(1, "Next →");
    this.progress = h("p", { class: "st-progress", "aria-live": "polite" });
    this.toc = h("ol", { class: "st-toc", "aria-label": "All steps" });
    this.stepEl = h("article", { class: "st-step", "aria-labelledby": "st-step-title" });
    this.bar = h("div", { class: "st-bar", "aria-hidden": "true" }, h("div", { class: "st-bar-fill" }));
    this.topNav = h("div", { class: "st-nav st-nav-top" }, this.prevBtn, this.progress, this.nextBtn);
    this.section = h(
      "section",
      { class: "card st-walk", hidden: true, "aria-label": "The walk-through" },
      this.topNav,
      this.bar,
      this.view.sources.which,
      h("details", { class: "st-toc-box" }, h("summary", {}, "All steps"), this.toc),
      this.stepEl,
      h(
        "div",
        { class: "st-nav st-nav-bottom" },
        this.prevBottom,
        h("span", { class: "hint" }, "Keys: ← and → step, Home and End jump."),
        this.nextBottom,
      ),
      this.view.exporter.build(),
    );
    document.addEventListener("keydown", (e) => this.onKey(e));
    watchOverflow(this.stepEl);
    return this.section;
  }

  /** The id of the step on show, or null. */
  currentId() {
    return this.view.steps[this.at]?.id ?? null;
  }

  /** Shows the walk-through of the steps just built, on step `keepId` if it is still there. @param {string | null} keepId */
  show(keepId) {
    const at = keepId ? this.view.steps.findIndex((s) => s.id === keepId) : 0;
    this.at = Math.max(0, at);
    this.section.hidden = false;
    typesetSlice();
    this.renderToc();
    this.renderStep();
  }

  hide() {
    this.section.hidden = true;
  }

  /**
   * Moves to step `at`. With `focus` (Next, Back, the keys, the list of steps) the step's heading
   * takes the focus and the step's top comes into view.
   * @param {number} at
   * @param {{focus?: boolean}} [o]
   */
  go(at, { focus = false } = {}) {
    const steps = this.view.steps;
    if (!steps.length) return;
    const next = Math.max(0, Math.min(steps.length - 1, at));
    if (next !== this.at) {
      this.at = next;
      this.renderStep();
      this.view.diagram.render();
    }
    if (focus) this.focusStep();
  }

  /** The heading of the step takes the focus; the step's top is brought into view if it is not. */
  focusStep() {
    const title = /** @type {HTMLElement | null} */ (this.stepEl.querySelector(".st-title"));
    title?.focus({ preventScroll: true });
    const top = this.topNav.getBoundingClientRect().top;
    // The controls above the step stay in view with it; scroll only when the top is off screen.
    if (top < 0 || top > window.innerHeight * 0.6) this.topNav.scrollIntoView({ block: "start" });
  }

  /** @param {KeyboardEvent} e */
  onKey(e) {
    const v = this.view;
    if (!v.steps.length || this.section.hidden || v.root.offsetParent === null) return;
    if (e.altKey || e.ctrlKey || e.metaKey || isEditable(e.target)) return;
    /** @type {Record<string, number>} */
    const moves = { ArrowRight: this.at + 1, ArrowLeft: this.at - 1, Home: 0, End: v.steps.length - 1 };
    if (!(e.key in moves)) return;
    // Arrow keys scroll a focused table or formula sideways: they are not for the walk there.
    const t = /** @type {HTMLElement} */ (e.target);
    if ((e.key === "ArrowRight" || e.key === "ArrowLeft") && t?.closest?.(".st-scrolls")) return;
    e.preventDefault();
    this.go(moves[e.key], { focus: true });
  }

  renderToc() {
    this.toc.replaceChildren(
      ...this.view.steps.map((s, k) =>
        h(
          "li",
          { class: `st-toc-item phase-${s.phase}` },
          h(
            "button",
            { type: "button", class: "st-toc-btn", dataset: { stepId: s.id }, onclick: () => this.go(k, { focus: true }) },
            h("span", { class: "st-toc-n" }, String(k + 1)),
            " ",
            rich(s.short),
          ),
        ),
      ),
    );
    this.updateToc();
  }

  updateToc() {
    const steps = this.view.steps;
    this.toc.querySelectorAll(".st-toc-btn").forEach((b, k) => {
      if (k === this.at) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    });
    const s = steps[this.at];
    this.progress.replaceChildren(h("strong", {}, `Step ${this.at + 1} of ${steps.length}`), ` · ${PHASES[s.phase]}`);
    this.progress.dataset.at = String(this.at + 1);
    this.progress.dataset.total = String(steps.length);
    const fill = /** @type {HTMLElement} */ (this.bar.firstChild);
    fill.style.width = `${((this.at + 1) / steps.length) * 100}%`;
    this.bar.dataset.phase = s.phase;
    const first = this.at === 0;
    const last = this.at === steps.length - 1;
    for (const b of [this.prevBtn, this.prevBottom]) /** @type {HTMLButtonElement} */ (b).disabled = first;
    for (const b of [this.nextBtn, this.nextBottom]) /** @type {HTMLButtonElement} */ (b).disabled = last;
  }

  renderStep() {
    typesetSlice();
    const v = this.view;
    const s = v.steps[this.at];
    const el = this.stepEl;
    el.dataset.stepId = s.id;
    el.dataset.phase = s.phase;
    if (s.param) Object.assign(el.dataset, { layer: String(s.param.layer), param: s.param.name, index: String(s.param.index) });
    else for (const k of ["layer", "param", "index"]) delete el.dataset[k];
    el.replaceChildren(
      ...[
        h("p", { class: `st-phase phase-${s.phase}` }, PHASES[s.phase]),
        rich(s.title, "h3", { class: "st-title", id: "st-step-title", tabindex: "-1" }),
        rich(s.caption, "p", { class: "st-caption" }),
        s.hint ? h("p", { class: "hint st-hint" }, s.hint) : null,
        ...s.blocks.map((/** @type {any} */ b) => renderBlock(b, v)),
      ].filter(Boolean),
    );
    this.updateToc();
  }
}
