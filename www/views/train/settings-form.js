// @ts-check
// The training settings form, built from the settings table (lib/settings.js), whose choices and
// limits come from the core. A valid change goes into the URL at once; an invalid one is marked
// and explained with the limit's own words.

import { el, field } from "../../lib/ui.js";
import { SETTINGS, defaultLr, parseSetting, settingMessage, shortNumber } from "../../lib/settings.js";

/** @typedef {import("../../lib/settings.js").Setting} Setting */

/** A control for one setting: a select for a choice, a number input for a limit. */
function control(/** @type {Setting} */ setting) {
  if (setting.choices) {
    return el(
      "select",
      { name: setting.key },
      setting.choices.map((c) => el("option", { value: c.value }, c.text)),
    );
  }
  const l = setting.limit;
  return el("input", {
    name: setting.key,
    type: "number",
    min: String(l.min),
    // An exclusive maximum (momentum < 1) is checked by the limit, not by the browser.
    max: l.max == null || l.max_exclusive ? null : String(l.max),
    step: l.integer ? "1" : "any",
    inputmode: l.integer ? "numeric" : "decimal",
    required: true,
  });
}

/**
 * @param {any} app the page (main.js)
 * @param {{onStart: () => void, onLearningRate: (lr: number) => void, buttons: HTMLElement, note: HTMLElement}} hooks
 * @returns {{root: HTMLFormElement, fill: () => void}}
 */
export function settingsForm(app, { onStart, onLearningRate, buttons, note }) {
  const s = app.settings;
  /** @type {Map<string, {setting: Setting, input: HTMLInputElement | HTMLSelectElement, field: HTMLElement}>} */
  const fields = new Map();
  for (const setting of SETTINGS) {
    const input = /** @type {HTMLInputElement | HTMLSelectElement} */ (control(setting));
    const f = field(setting.label, input, setting.hint);
    if (setting.key === "model") f.className = "field wide";
    fields.set(setting.key, { setting, input, field: f });
  }
  const formError = el("p", { class: "form-error", "aria-live": "polite" });

  function fill() {
    for (const { setting, input, field } of fields.values()) {
      const v = s[setting.key];
      input.value = typeof v === "number" && !setting.limit?.integer ? shortNumber(v) : String(v);
      field.hidden = !!setting.only && setting.only !== s.opt;
    }
  }

  /** @param {Event} e */
  function onChange(e) {
    formError.textContent = "";
    const entry = [...fields.values()].find((f) => f.input === e.target);
    if (!entry) return;
    const { setting, input } = entry;
    const r = parseSetting(setting, input.value);
    input.setAttribute("aria-invalid", r.ok ? "false" : "true");
    if (!r.ok) {
      formError.textContent = settingMessage(setting);
      return;
    }
    if (setting.key === "opt") {
      // Switching optimizer: move to the other one's usual learning rate if it was the default.
      const next = { opt: r.value };
      if (s.lr === defaultLr(s.opt)) next.lr = defaultLr(r.value);
      app.setSettings(next);
      fill();
      return;
    }
    app.setSettings({ [setting.key]: r.value });
    if (setting.key === "lr") onLearningRate(/** @type {number} */ (r.value));
  }

  const root = /** @type {HTMLFormElement} */ (
    el(
      "form",
      { class: "settings", onchange: onChange, onsubmit: (e) => (e.preventDefault(), onStart()), "aria-label": "Training settings" },
      el(
        "div",
        { class: "fields" },
        [...fields.values()].map((f) => f.field),
      ),
      formError,
      buttons,
      note,
    )
  );
  fill();
  return { root, fill };
}
