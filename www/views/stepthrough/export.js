// @ts-check
// What leaves the page: the spec (the core's own export, which reads back to the same network and
// optimizer), the trace as JSON, and the walk-through as Markdown for course notes, written by
// www/walkthrough/markdown.js, the same writer as `npm run walkthrough`. Every gradient check of
// the walk-through is run before the Markdown is written, so that it prints each one's numbers.

import { markdownWithChecks } from "../../walkthrough/markdown.js";
import { neededChecks } from "../../walkthrough/gradcheck.js";
import { traceJsonParts } from "../../lib/trace-arrays.js";
import { h, download, pause } from "./dom.js";
import { runCheck } from "./gradcheck.js";

export class Exporter {
  /** @param {import("./view.js").StepThroughView} view */
  constructor(view) {
    this.view = view;
  }

  build() {
    this.note = h("span", { class: "hint st-export-note", role: "status" });
    return h(
      "div",
      { class: "buttons st-export" },
      h("span", { class: "hint" }, "Export this walk-through:"),
      h(
        "button",
        { type: "button", class: "btn btn-small", dataset: { action: "export-json" }, onclick: () => this.exportJson() },
        "Trace (JSON)",
      ),
      h(
        "button",
        { type: "button", class: "btn btn-small", dataset: { action: "export-md" }, onclick: () => this.exportMarkdown() },
        "Markdown with formulas",
      ),
      h(
        "button",
        { type: "button", class: "btn btn-small", dataset: { action: "copy-md" }, onclick: () => this.copyMarkdown() },
        "Copy Markdown",
      ),
      this.note,
    );
  }

  /** The trace, as the core wrote it, written a piece at a time (a big one takes a while). */
  async exportJson() {
    const trace = this.view.trace;
    if (!trace) return;
    this.note.textContent = "Writing the trace…";
    const parts = await traceJsonParts(trace, { pause });
    download("backprop-trace.json", parts, "application/json");
    this.note.textContent = "";
  }

  /** Runs every gradient check the walk-through has (with progress), then writes the Markdown. */
  async markdown() {
    const v = this.view;
    const { trace, steps, meta } = v;
    const total = neededChecks(steps).length;
    let done = 0;
    const run = async (/** @type {{layer: number, param: string, index: number}} */ req) => {
      this.note.textContent = `Running gradient check ${++done} of ${total}…`;
      const r = await runCheck(v, req);
      if (v.trace !== trace) throw new Error("the walk-through changed while its gradient checks ran; export it again");
      return r;
    };
    try {
      return await markdownWithChecks(steps, meta, run, v.checks);
    } finally {
      this.note.textContent = "";
    }
  }

  async exportMarkdown() {
    if (!this.view.trace) return;
    try {
      download("backprop-walkthrough.md", await this.markdown(), "text/markdown");
    } catch (e) {
      this.note.textContent = `The Markdown could not be written: ${e.message}`;
    }
  }

  async copyMarkdown() {
    if (!this.view.trace) return;
    try {
      const md = await this.markdown();
      await navigator.clipboard.writeText(md);
      this.note.textContent = "The Markdown is on the clipboard.";
    } catch {
      this.note.textContent = "The clipboard is not available here; use the Markdown download instead.";
    }
  }

  /** The tiny network as the core exports it: current weights and optimizer state. */
  async exportSpec() {
    const ed = this.view.editor;
    if (!ed.custom.loaded) return;
    try {
      const blob = await this.view.client.request("specExport", { lab: "stepthrough", blob: true });
      download(fileName(ed.custom.name, "spec"), blob, "application/json");
    } catch (e) {
      ed.specError.textContent = `The spec could not be exported: ${e.message}`;
    }
  }

  /** The spec as it was loaded (before any step). */
  downloadSource() {
    const ed = this.view.editor;
    download(fileName(ed.custom.name, "spec"), ed.custom.source, "application/json");
  }
}

/** "mazur-2-2-2.spec.json" from a spec's name. @param {string | null} name @param {string} what */
function fileName(name, what) {
  const base = (name || "network")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 48);
  return `${base || "network"}.${what}.json`;
}
