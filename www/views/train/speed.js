// @ts-check
// The speed control: a slider over the speeds the core's vocabulary offers, from a step every few
// seconds (left) to full speed (right), so that a class can watch each step; the worker paces
// training to it. At the vocabulary's watch_every_step_at or slower, every step is shown.

import { el, uid } from "../../lib/ui.js";
import vocabulary from "../../lib/vocabulary.js";

/** Slowest first, as the slider runs left to right. */
const SPEEDS = [...vocabulary.speeds].reverse();

/** @param {any} app the page (main.js) */
export function speedControl(app) {
  const id = uid("speed");
  const input = /** @type {HTMLInputElement} */ (
    el("input", {
      type: "range",
      id,
      min: "0",
      max: String(SPEEDS.length - 1),
      step: "1",
      value: String(SPEEDS.length - 1),
      class: "speed-range",
    })
  );
  const output = el("output", { for: id, class: "speed-value" });
  const hint = el(
    "p",
    { class: "hint" },
    `${vocabulary.terms.step} At ${vocabulary.watch_every_step_at} a second or slower, you see every one.`,
  );
  const root = el("div", { class: "speed" }, el("div", { class: "speed-row" }, el("label", { for: id }, "Speed"), input, output), hint);

  function show() {
    const s = SPEEDS[Number(input.value)];
    output.textContent = s.label;
    input.setAttribute("aria-valuetext", s.label);
  }

  input.addEventListener("input", show);
  input.addEventListener("change", async () => {
    const s = SPEEDS[Number(input.value)];
    app.speed = s.steps_per_second;
    show();
    app.emit("speed", app.speed);
    try {
      await app.client.request("setSpeed", { stepsPerSecond: s.steps_per_second });
    } catch (e) {
      output.textContent = `Could not change the speed: ${e.message}`;
    }
  });
  show();
  return { root };
}
