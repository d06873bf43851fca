// @ts-check
// What the page says when training diverges: what happened, why (the learning rate), that the last
// good weights are back, and one button with the smaller learning rate the core suggests.

import { el, setChildren, int, num } from "../../lib/ui.js";
import { shortNumber } from "../../lib/settings.js";

/** @param {{onUseSmaller: (lr: number) => void}} hooks */
export function divergenceCard({ onUseSmaller }) {
  const root = el("div", { class: "card divergence", role: "alert", hidden: true });

  /** @param {{step: number, loss: number, restoredStep: number, lr: number, suggestedLr: number}} d */
  function show(d) {
    const apply = el(
      "button",
      { type: "button", class: "btn btn-primary", onclick: () => onUseSmaller(d.suggestedLr) },
      `Use ${shortNumber(d.suggestedLr)} and resume`,
    );
    setChildren(
      root,
      el("h3", {}, "Training paused itself: the loss blew up"),
      el(
        "p",
        {},
        `At step ${int(d.step)} the loss became ${num(d.loss)}. The weights grew so large that the arithmetic overflowed, so the model cannot learn from here. `,
        `The usual cause is a learning rate that is too large (it is ${shortNumber(d.lr)}): each step overshoots, and the overshoots grow. `,
        `The last good weights, from step ${int(d.restoredStep)}, are back in place.`,
      ),
      el("p", {}, "What to try: a smaller learning rate, then Resume."),
      el("div", { class: "buttons" }, apply, el("button", { type: "button", class: "btn btn-quiet", onclick: hide }, "Dismiss")),
    );
    root.hidden = false;
  }

  function hide() {
    root.hidden = true;
  }

  return { root, show, hide, shown: () => !root.hidden };
}
