// @ts-check
// The health panel: for every layer with weights, the numbers the core measured from the training
// itself after the last step (src/health.rs): the gradient norm, the update-to-weight ratio, dead
// ReLUs or saturated units, each with its level; what each means and what to try, in the words of
// the vocabulary; and the core's warning before divergence, with its smaller learning rate.
// While the timeline shows a past point, the panel shows the health measured nearest before it.

import { el, setChildren, columnHeads, int, num, pct } from "../../lib/ui.js";
import vocabulary, { healthStat } from "../../lib/vocabulary.js";
import { shortNumber } from "../../lib/settings.js";

/** @typedef {import("../../protocol.js").Health} Health */
/** @typedef {import("../../protocol.js").HealthLevel} HealthLevel */

/** At most this many measurements are kept for the timeline (older ones thin out). */
const LOG_SIZE = 400;

const LEVEL_WORDS = { low: "low", good: "good", watch: "high", alarm: "alarm" };

function layerName(/** @type {import("../../protocol.js").LayerSpec | undefined} */ spec) {
  if (spec?.type === "dense") return `dense ${spec.inputs} → ${spec.outputs}`;
  if (spec?.type === "conv2d") return `conv ${spec.out_channels} × ${spec.kernel}×${spec.kernel}`;
  return spec?.type ?? "layer";
}

/** A value with its level, as a word and a colour (the word carries it without colour). */
function badge(/** @type {string} */ text, /** @type {HealthLevel} */ level) {
  return el("span", { class: `health-value level-${level}` }, text, el("span", { class: "level-word" }, LEVEL_WORDS[level]));
}

/** @param {{onUseSmaller: (lr: number) => void}} hooks */
export function healthCard({ onUseSmaller }) {
  const when = el("p", { class: "hint health-when" }, "Measured while the model trains: start training to see it.");
  const tbody = el("tbody");
  const table = el(
    "table",
    { class: "health-table" },
    el("caption", { class: "visually-hidden" }, "Health of each layer with weights"),
    columnHeads("Layer", "‖g‖", "‖Δθ‖ / ‖θ‖", "Dead or saturated"),
    tbody,
  );
  const meanings = el(
    "dl",
    { class: "health-meanings" },
    vocabulary.health.stats.map((s) => [el("dt", {}, s.name), el("dd", {}, s.means, " ", el("em", {}, "What to try: "), s.try_this)]),
  );
  // The figures out of their usual range, each with what to try (the vocabulary's words).
  const advice = el("ul", { class: "health-advice", "aria-live": "polite" });
  const root = el(
    "section",
    { class: "card health-card" },
    el("h3", {}, "Health of the training"),
    when,
    el("div", { class: "table-scroll health-scroll" }, table),
    advice,
    // Open where there is room; on a phone, one tap away.
    el(
      "details",
      { class: "health-help", open: matchMedia("(min-width: 900px)").matches },
      el("summary", {}, "What these numbers mean, and what to try"),
      meanings,
    ),
  );
  // The warning before divergence, shown next to the progress (train.js places it).
  const warning = el("div", { class: "card health-warning", role: "alert", hidden: true });

  /** @type {Health[]} every measurement of this run, by step (thinned to LOG_SIZE) */
  let log = [];
  /** @type {import("../../protocol.js").Arch | null} */
  let arch = null;
  /** @type {number | null} the step the timeline shows, or null for now */
  let viewing = null;
  let dismissedAt = -1;

  /** @param {Health} h */
  function row(h, /** @type {import("../../protocol.js").LayerHealth} */ l) {
    const act = l.activation;
    const actText = act
      ? badge(`${pct(act.share, act.share < 0.1 ? 1 : 0)} ${act.stat === "dead" ? "dead" : "saturated"}`, act.level)
      : el("span", { class: "hint" }, h.window ? "no activation" : "—");
    return el(
      "tr",
      {},
      el("th", { scope: "row" }, `${l.index}: ${layerName(arch?.layers[l.index])}`),
      el("td", {}, num(l.grad_norm, 3)),
      el("td", {}, badge(num(l.update_ratio, 2), l.update_level)),
      el("td", {}, actText),
    );
  }

  /** One line per figure out of its usual range: which layer, the figure, what to try. @param {Health} h */
  function adviceLines(h) {
    const lines = [];
    for (const l of h.layers) {
      const where = `Layer ${l.index}`;
      if (l.update_level !== "good") {
        const stat = healthStat("update_ratio");
        lines.push(
          el(
            "li",
            {},
            el("strong", {}, `${where}, update / weight ${num(l.update_ratio, 2)} (${LEVEL_WORDS[l.update_level]}): `),
            stat.try_this,
          ),
        );
      }
      const act = l.activation;
      if (act && act.level !== "good") {
        const stat = healthStat(act.stat);
        lines.push(
          el("li", {}, el("strong", {}, `${where}, ${pct(act.share, 0)} ${act.stat} (${LEVEL_WORDS[act.level]}): `), stat.try_this),
        );
      }
    }
    return lines.length ? lines : [el("li", { class: "hint" }, "Every figure is in its usual range.")];
  }

  /** @param {Health | null} h */
  function render(h) {
    if (!h) {
      advice.replaceChildren();
      tbody.replaceChildren();
      when.textContent =
        viewing != null ? "No health was measured before this point." : "Measured while the model trains: start training to see it.";
      return;
    }
    setChildren(
      tbody,
      h.layers.map((l) => row(h, l)),
    );
    setChildren(advice, adviceLines(h));
    const window = h.window
      ? `; dead and saturated units over the last ${int(h.window)} training digits`
      : `; dead and saturated units once ${vocabulary.health.window} training digits have gone through`;
    when.textContent =
      viewing != null
        ? `As measured at step ${int(h.step)}, the nearest before the point shown${window}.`
        : `After step ${int(h.step)}, from that step's gradients and the optimizer's own update${window}.`;
  }

  /** @param {Health | null} h */
  function showWarning(h) {
    const w = h?.warning;
    if (!w || viewing != null || h.step <= dismissedAt) {
      warning.hidden = true;
      return;
    }
    const stat = healthStat("update_ratio");
    setChildren(
      warning,
      el("h3", {}, "Warning: training is likely to blow up"),
      el("p", {}, w.message.charAt(0).toUpperCase() + w.message.slice(1)),
      el("p", { class: "hint" }, stat.means),
      el(
        "div",
        { class: "buttons" },
        el(
          "button",
          { type: "button", class: "btn btn-primary", onclick: () => onUseSmaller(w.suggested_lr) },
          `Use ${shortNumber(w.suggested_lr)}`,
        ),
        el(
          "button",
          { type: "button", class: "btn btn-quiet", onclick: () => ((dismissedAt = h.step + 1000), (warning.hidden = true)) },
          "Dismiss",
        ),
      ),
    );
    warning.hidden = false;
  }

  /** The measurement nearest before `step` in the log. */
  function nearest(/** @type {number} */ step) {
    let best = null;
    for (const h of log) if (h.step <= step) best = h;
    return best;
  }

  /** A new measurement from the worker. @param {Health} h */
  function add(h) {
    if (log.length && log[log.length - 1].step === h.step) log[log.length - 1] = h;
    else log.push(h);
    if (log.length > LOG_SIZE) log = log.filter((_, i) => i % 2 === 0 || i === log.length - 1);
    if (viewing == null) {
      render(h);
      showWarning(h);
    }
  }

  return {
    root,
    warning,
    add,
    /** @param {import("../../protocol.js").Arch | null} a */
    setArch: (a) => (arch = a),
    /** A new model: no measurements yet. */
    clear() {
      log = [];
      dismissedAt = -1;
      render(null);
      showWarning(null);
    },
    /** Measurements after `step` are of a future that training left (continuing from a point). */
    truncate(/** @type {number} */ step) {
      log = log.filter((h) => h.step <= step);
    },
    /** The timeline shows `step` (null: now). @param {number | null} step */
    view(step) {
      viewing = step;
      const h = step == null ? (log[log.length - 1] ?? null) : nearest(step);
      render(h);
      showWarning(step == null ? h : null);
    },
  };
}
