// @ts-check
// Formulas assembled from the core's numbers: inline TeX in text, long sums broken over lines,
// and the worked sums of products (z = Σ W x + b, ∂L/∂x = Σ W δ, ∂L/∂W = Σ δ x), printed to the
// calculator standard by numbers.js's `worked`.

import { worked, paren } from "./numbers.js";

/** Inline TeX inside plain text: $...$ (the page typesets it, Markdown keeps it). */
export const tx = (s) => `$${s}$`;

/** `v_0, v_1, v_2` or `v_0, \ldots, v_{n-1}`. */
export const vecNames = (v, n) =>
  n <= 4 ? Array.from({ length: n }, (_, k) => `${v}_{${k}}`).join(", ") : `${v}_0, \\ldots, ${v}_{${n - 1}}`;

/** lhs = term + term + … = rhs, broken into lines of about the same width when long. */
export function sumTex(lhs, parts, rhs) {
  if (parts.length <= 4) return `${lhs} = ${parts.join(" + ")} = ${rhs}`;
  const width = (t) =>
    t
      .replace(/_\{\\text\{[^}]*\}\}/g, "")
      .replace(/\\[a-zA-Z]+/g, "x")
      .replace(/[{}]/g, "").length + 3;
  const lines = [];
  let line = [];
  let used = 0;
  for (const p of parts) {
    if (line.length && used + width(p) > 56) {
      lines.push(line.join(" + "));
      line = [];
      used = 0;
    }
    line.push(p);
    used += width(p);
  }
  lines.push(line.join(" + "));
  if (lines.length === 1) return `${lhs} = ${lines[0]} = ${rhs}`;
  return `\\begin{aligned} ${lhs} &= ${lines[0]} \\\\ ${lines
    .slice(1)
    .map((l) => `&\\quad + ${l}`)
    .join(" \\\\ ")} \\\\ &= ${rhs} \\end{aligned}`;
}

/**
 * @typedef {{a: number, b?: number, c: number} & Record<string, any>} Product a term a·b, or a
 *   single number a when b is undefined (c = its value, in f64)
 */

/**
 * The terms of a sum, to write out: all of them when there are at most `max`; else the largest
 * non-zero ones (up to max − 1), and the others added up in f64 (`rest`, with how many there are
 * and how many of them are 0).
 * @param {Product[]} list
 * @param {number} max
 */
export function terms(list, max) {
  if (list.length <= max) return { shown: list, rest: 0, restCount: 0, zeros: 0 };
  const sorted = [...list].sort((x, y) => Math.abs(y.c) - Math.abs(x.c));
  const shown = sorted.slice(0, max - 1).filter((t) => t.c !== 0);
  const others = sorted.slice(shown.length);
  return {
    shown,
    rest: others.reduce((s, t) => s + t.c, 0),
    restCount: others.length,
    zeros: others.filter((t) => t.c === 0).length,
  };
}

/**
 * `lhs = a·b + a·b + … [+ rest] [+ bias] = result`, a worked line: the terms written out (products
 * a·b, or single numbers when b is undefined), the terms not written out added up in one number
 * under a brace that says so, and the core's result with the digits the printed numbers reproduce.
 * @param {string} lhs
 * @param {ReturnType<typeof terms>} t
 * @param {{bias?: number, result: number, wide?: boolean, minDigits?: number}} opts `wide`: the
 *   result is an f64; `minDigits`: the result's fewest digits before operands get more (4)
 */
export function productSum(lhs, t, { bias, result, wide = false, minDigits = 4 }) {
  const operands = [];
  const at = t.shown.map((s) => {
    operands.push(s.a);
    if (s.b !== undefined) operands.push(s.b);
    return s.b === undefined ? [operands.length - 1] : [operands.length - 2, operands.length - 1];
  });
  // The rest is a sum of f32 numbers computed in f64 for the page: not a number of the core's.
  if (t.restCount) operands.push({ v: t.rest, wide: true });
  const tail = at.length ? Math.max(...at.flat()) + 1 : 0;
  if (bias !== undefined) operands.push(bias);
  const line = worked(
    operands,
    (v) => at.reduce((s, ix) => s + (ix.length === 2 ? v[ix[0]] * v[ix[1]] : v[ix[0]]), 0) + v.slice(tail).reduce((s, x) => s + x, 0),
    result,
    { wide, minDigits },
  );
  const parts = at.map((ix) => ix.map((m) => paren(line.ops[m])).join(" \\cdot "));
  if (t.restCount) {
    const z = t.zeros === t.restCount ? ", all 0" : t.zeros ? `, ${t.zeros} of them 0` : "";
    parts.push(`\\underbrace{${paren(line.ops[tail])}}_{\\text{${t.restCount} more terms${z}}}`);
  }
  if (bias !== undefined) parts.push(paren(line.ops[line.ops.length - 1]));
  return sumTex(lhs, parts, line.res);
}

/** A check block: ✓ `okText` or ✗ `badText`. */
export const checkBlock = (ok, okText, badText) => ({ kind: "check", ok, text: ok ? okText : badText });
