// The walk-through as Markdown, for course notes: every step's caption, its formulas (LaTeX
// between $$, symbolic and with the numbers in), the tagged values and the smaller tables.
// Renders in any Markdown viewer with maths (GitHub, Jupyter, Obsidian, Quarto, pandoc).

import { fmt } from "./numbers.js";

const MAX_ROWS = 40;

/**
 * @param steps buildSteps(...)
 * @param {{title: string, subtitle?: string}} meta
 * @param {Map<string, object>} checks gradient-check results by "layer/param/index"
 */
export function toMarkdown(steps, meta, checks = new Map()) {
  const out = [`# ${meta.title}`, ""];
  if (meta.subtitle) out.push(meta.subtitle, "");
  out.push(
    "Every number comes from one training step of backprop-lab's Rust core (its worked trace). Values are rounded to 6 significant digits; the JSON trace has every digit.",
    "",
  );
  steps.forEach((st, n) => {
    out.push(`## ${n + 1}. ${st.title}`, "", st.caption, "");
    for (const b of st.blocks) out.push(...block(b, checks));
  });
  // Plain hyphens for minus signs: numbers copied from notes should paste into anything.
  return out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/−/g, "-");
}

function block(b, checks) {
  switch (b.kind) {
    case "text":
      return [b.text, ""];
    case "eq":
      return [...(b.caption ? [b.caption, ""] : []), "$$", b.symbolic, "$$", "", "$$", b.numeric, "$$", ""];
    case "values":
      return [...b.items.map((it) => `- ${it.label}: ${it.plain ? it.value : fmt(it.value)}`), ""];
    case "check":
      return [`${b.ok ? "✓" : "✗"} ${b.text}`, ""];
    case "gradcheck": {
      const r = checks.get(`${b.layer}/${b.param}/${b.index}`);
      if (!r) return [`Gradient check of ${b.label}: not run.`, ""];
      return [
        `Gradient check of ${b.label}, by central differences with $h = ${r.h}$:`,
        "",
        "$$",
        `\\frac{L(\\theta + h) - L(\\theta - h)}{2h} = \\frac{${fmt(r.loss_plus, 9)} - ${fmt(r.loss_minus, 9)}}{${2 * r.h}} = ${fmt(r.numeric)}`,
        "$$",
        "",
        `- analytic (backprop): ${fmt(r.analytic)}`,
        `- numeric: ${fmt(r.numeric)}`,
        `- relative error: ${fmt(r.relative_error, 3)}`,
        "",
      ];
    }
    case "bars":
      return [];
    case "table":
      return table(b);
    default:
      return [];
  }
}

function cell(c) {
  if (c && typeof c === "object") return fmt(c.v);
  if (typeof c === "number") return Number.isInteger(c) && Math.abs(c) < 1e6 ? String(c) : fmt(c);
  return String(c).replace(/\|/g, "\\|");
}

function table(b) {
  if (b.count > 400) return [`(${b.title}: ${b.count} numbers, left out; download the JSON trace for all of them.)`, ""];
  const rows = b.rows();
  const lines = [`**${b.title}**`, "", `| ${b.columns.join(" | ")} |`, `| ${b.columns.map(() => "---:").join(" | ")} |`];
  const row = (i) =>
    `| ${rows[i]
      .map(cell)
      .map((c) => (i === b.highlightRow ? `**${c}**` : c))
      .join(" | ")} |`;
  const n = Math.min(rows.length, MAX_ROWS);
  for (let i = 0; i < n; i++) lines.push(row(i));
  // The picked row is always there, in bold.
  if (b.highlightRow >= n && b.highlightRow < rows.length) lines.push(`| ${b.columns.map(() => "…").join(" | ")} |`, row(b.highlightRow));
  if (n < rows.length) lines.push("", `(${rows.length - n} more rows in the JSON trace.)`);
  lines.push("");
  return lines;
}
