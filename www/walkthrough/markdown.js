// @ts-check
// The walk-through as Markdown, for course notes: every step's caption, its formulas (LaTeX
// between $$, symbolic and with the numbers in), the tagged values, the gradient checks with
// every number and the core's verdict, and the smaller tables. Renders in any Markdown viewer
// with maths (GitHub, Jupyter, Obsidian, Quarto, pandoc). The page's export and
// `npm run walkthrough` (scripts/walkthrough.mjs) both write it with `markdownWithChecks`.

import { fmt, full } from "./numbers.js";
import { checkKey, gradcheckBlocks, runChecks } from "./gradcheck.js";

const MAX_ROWS = 40;

/**
 * @param {import("./steps.js").Step[]} steps buildSteps(...)
 * @param {{title: string, subtitle?: string}} meta
 * @param {Map<string, object>} checks gradient-check results by "layer/param/index" (gradcheck.js
 *   `checkKey`); a check missing from the map is said to be missing
 */
export function toMarkdown(steps, meta, checks = new Map()) {
  const out = [`# ${meta.title}`, ""];
  if (meta.subtitle) out.push(meta.subtitle, "");
  out.push(
    "Every number comes from one training step of backprop-lab's Rust core (its worked trace). Values are rounded to 6 significant digits; each worked line prints its numbers with the digits a calculator needs to reproduce its result. The JSON trace has every digit.",
    "",
  );
  steps.forEach((st, n) => {
    // The first step is titled with the walk-through's title on the page; here the H1 says it.
    const title = st.title === meta.title ? "The example" : st.title;
    out.push(`## ${n + 1}. ${title}`, "", st.caption, "");
    for (const b of st.blocks) out.push(...block(b, checks));
  });
  // Plain hyphens for minus signs, everywhere: numbers copied from notes should paste into anything.
  return out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .replace(/−/g, "-");
}

/**
 * Runs every gradient check the walk-through shows (`run({layer, param, index})` asks the core),
 * then writes the Markdown: no check is left out because nobody opened it.
 * @param {import("./steps.js").Step[]} steps
 * @param {{title: string, subtitle?: string}} meta
 * @param {(req: {layer: number, param: string, index: number}) => any} run
 * @param {Map<string, object>} [checks] results already known (kept)
 */
export async function markdownWithChecks(steps, meta, run, checks = new Map()) {
  return toMarkdown(steps, meta, await runChecks(steps, run, new Map(checks)));
}

function value(it) {
  if (it.plain) return String(it.value);
  if (it.full) return full(it.value, { wide: !!it.wide });
  return fmt(it.value, it.sig || 6, { wide: !!it.wide });
}

function block(b, checks) {
  switch (b.kind) {
    case "text":
      return [b.text, ""];
    case "eq": {
      const tex = [b.symbolic, b.numeric].filter(Boolean).flatMap((t) => ["$$", t, "$$", ""]);
      return [...(b.caption ? [b.caption, ""] : []), ...tex];
    }
    case "values": {
      const items = b.items.filter((it) => !it.hidden);
      return items.length ? [...items.map((it) => `- ${it.label}: ${value(it)}`), ""] : [];
    }
    case "check":
      return [`${b.ok ? "✓" : "✗"} ${b.text}`, ""];
    case "gradcheck": {
      const r = checks.get(checkKey(b));
      return gradcheckBlocks(b, r).flatMap((x) => block(x, checks));
    }
    case "table":
      return table(b);
    default:
      return [];
  }
}

function cell(c) {
  if (c && typeof c === "object") return fmt(c.v, 6, { wide: !!c.wide });
  if (typeof c === "number") return Number.isInteger(c) && Math.abs(c) < 1e6 ? String(c) : fmt(c);
  return String(c).replace(/\|/g, "\\|");
}

function table(b) {
  if (b.count > 400) return [`(${b.title}: ${b.count} numbers, left out; download the JSON trace for all of them.)`, ""];
  const rows = b.rows();
  if (!rows.length) return [`**${b.title}**: none.`, ""];
  const lines = [
    `**${b.title}**`,
    "",
    `| ${b.columns.map((c) => c || " ").join(" | ")} |`,
    `| ${b.columns.map(() => "---:").join(" | ")} |`,
  ];
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
