// @ts-check
// How the walk-through writes numbers. Pure functions: no DOM, runnable in Node and in the
// browser. Nothing here computes a model's number; it only writes the core's numbers down.
//
// - `fmt`, `full`, `tex`, `texp`: a number for reading (6 significant digits), with every digit
//   (the f32's shortest round-trip decimal), in TeX.
// - `worked`: the calculator standard. A worked line such as `0.15 · 0.05 + 0.2 · 0.1 + 0.35 =
//   0.3775` prints its operands, evaluates the operation on the printed decimals, and prints the
//   core's result with the most digits (at most 6) at which that evaluation reproduces it: a
//   student with a calculator gets the printed result, to its last digit, from the printed
//   operands. Where digits cancel (1 − p for p near 1), the operands get more digits until the
//   result keeps at least 4.
//
// Read next: tex.js (formulas assembled from these numbers), steps.js (the walk-through).

/**
 * The core computes in f32 and writes each number as the shortest decimal that reads back as the
 * same f32 ("0.3589165"). As a double that decimal is a hair away from the f32's true value
 * (0.35891649127…), which can flip the last shown digit; so numbers are taken back to f32 first.
 * @param {number} x
 */
const f32 = (x) => {
  const v = Math.fround(x);
  return Number.isFinite(v) || !Number.isFinite(x) ? v : x;
};

/** Plain decimals between 1e-4 and 1e6; outside, a power of ten. */
const plainRange = (a) => a >= 1e-4 && a < 1e6;

/**
 * x with `sig` significant digits, as ASCII ("-0.000203", "2.03e-5"); `trim` drops trailing
 * zeros. Rounding is JavaScript's exact decimal rounding of the double.
 * @param {number} x
 * @param {number} sig
 * @param {boolean} [trim]
 */
function decimal(x, sig, trim = true) {
  if (x === 0) return "0";
  const [m, e] = x.toExponential(sig - 1).split("e");
  const exp = Number(e);
  let mant = trim && m.includes(".") ? m.replace(/\.?0+$/, "") : m;
  if (!plainRange(Math.abs(Number(`${mant}e${exp}`)))) return `${mant}e${exp}`;
  // Move the decimal point by hand: no second rounding.
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let s;
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    const frac = digits.slice(exp + 1);
    s = frac ? `${int}.${frac}` : int;
  } else s = `0.${"0".repeat(-exp - 1)}${digits}`;
  return (neg ? "-" : "") + s;
}

/** A number for reading: 6 significant digits, trailing zeros dropped, exponent when tiny or huge. */
export function fmt(x, sig = 6, { wide = false } = {}) {
  if (typeof x !== "number") return String(x);
  if (!wide) x = f32(x);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  return decimal(x, sig).replaceAll("-", "−");
}

/** The number of significant digits of the shortest decimal that reads back as x (f32, or f64 when `wide`). */
export function shortestDigits(x, wide = false) {
  if (!Number.isFinite(x) || x === 0) return 1;
  const v = wide ? x : f32(x);
  for (let p = 1; p < 17; p++) {
    const back = Number(v.toPrecision(p));
    if (wide ? back === v : Math.fround(back) === v) return p;
  }
  return 17;
}

/**
 * Every digit the core's number has: the shortest decimal that reads back as the same f32
 * (the core computes in f32, so 0.2 is shown as 0.2, not 0.20000000298023224).
 */
export function full(x, { wide = false } = {}) {
  if (typeof x !== "number" || !Number.isFinite(x)) return fmt(x);
  return decimal(wide ? x : f32(x), shortestDigits(x, wide)).replaceAll("-", "−");
}

/** An ASCII decimal ("2.03e-5", "-0.5") in TeX ("2.03 \times 10^{-5}", "-0.5"). */
export function texOf(s) {
  const m = s.match(/^(-?[\d.]+)e(-?\d+)$/);
  return m ? `${m[1]} \\times 10^{${m[2]}}` : s;
}

/** A number in TeX: 6 significant digits, ×10ⁿ for the exponent. */
export function tex(x, sig = 6, { wide = false } = {}) {
  if (typeof x !== "number") return String(x);
  if (Number.isNaN(x)) return "\\text{NaN}";
  if (!Number.isFinite(x)) return x > 0 ? "\\infty" : "-\\infty";
  return texOf(fmt(x, sig, { wide }).replaceAll("−", "-"));
}

/** TeX for a factor: in parentheses when negative or written with a power of ten. */
export function paren(t) {
  return t.startsWith("-") || t.includes("\\times") ? `(${t})` : t;
}

/** A number in TeX inside parentheses when negative (for products like (−0.2)(0.5)). */
export function texp(x, sig = 6, opts = {}) {
  return paren(tex(x, sig, opts));
}

/** Does `shown` (what the page computed for display) agree with `core` (the trace's f32)? */
export function agrees(shown, core, rel = 1e-5, abs = 1e-7) {
  return Math.abs(shown - core) <= Math.max(abs, rel * Math.max(Math.abs(shown), Math.abs(core)));
}

// ---- The calculator standard ------------------------------------------------------------------

/** The unit of the last digit of an ASCII decimal: "0.000203" → 1e-6, "2.03e-5" → 1e-7, "12" → 1. */
export function lastUnit(s) {
  const m = s.replace(/^-/, "").match(/^(\d*)(?:\.(\d*))?(?:e(-?\d+))?$/);
  if (!m) throw new Error(`not a decimal: ${s}`);
  return 10 ** (Number(m[3] || 0) - (m[2] || "").length);
}

/**
 * The rule a worked line obeys: the value of the printed operation is within half a unit of the
 * printed result's last digit (with room for the last bits of f64 arithmetic, which differ with
 * the order of operations).
 * @param {number} value
 * @param {string} printed ASCII decimal
 */
export function reproduces(value, printed) {
  return Math.abs(value - Number(printed)) <= 0.5 * lastUnit(printed) * (1 + 1e-9);
}

/**
 * @typedef {number | {v: number, wide?: boolean, exact?: boolean}} Operand
 *   A core number (an f32), `wide` when the core computed it in f64 (the gradient check's
 *   losses), `exact` when it is written as given (a setting such as β1 = 0.9, a count).
 */

/**
 * An operand with at most `digits` significant digits (fewer when its shortest decimal is shorter).
 * @param {Operand} o
 * @param {number} digits
 */
function printOperand(o, digits) {
  const { v, wide = false, exact = false } = typeof o === "number" ? { v: o } : o;
  if (exact) return String(v).replace("e+", "e");
  const x = wide ? v : f32(v);
  return decimal(x, Math.min(digits, shortestDigits(x, wide)));
}

/**
 * The core's result with `sig` digits: trailing zeros kept when the result is not exactly that
 * short (0.0020000 for 0.0019999999), so the digits printed are the digits meant.
 */
function printResult(x, sig, wide) {
  const v = wide ? x : f32(x);
  return decimal(v, sig, shortestDigits(v, wide) <= sig);
}

/**
 * A worked line, printed to the calculator standard.
 *
 * `evaluate` gets the operands' printed values (f64) and returns the value of every numeric part
 * of the line (one number, or one per part: `\frac{m}{1 − 0.9^2} = \frac{m}{0.19}` has two).
 * `result` is the core's number the line ends with; `null` when the line's result is the
 * calculator's own (a step of a derivation): it is then the value of the operation at the
 * operands' full precision, printed like a core's result (digits that the printed operands
 * reproduce).
 *
 * Returns the operands and the result as TeX, and the operands' printed values.
 * @param {Operand[] | ArrayLike<number>} given the operands
 * @param {(values: number[]) => number | number[]} evaluate
 * @param {number | null} result
 * @param {{wide?: boolean, minDigits?: number, digits?: number, resultDigits?: number}} [opts] `wide`:
 *   the result is an f64; `digits`: the operands' usual digits (6); `resultDigits`: the result's
 *   most digits (6)
 * @returns {{ops: string[], res: string, values: number[], resultValue: number, sig: number}}
 */
export function worked(given, evaluate, result, { wide = false, minDigits = 4, digits = 6, resultDigits = 6 } = {}) {
  // A typed array's map would turn the printed strings back into numbers.
  /** @type {Operand[]} */
  const operands = Array.from(given);
  const most = Math.max(digits, ...operands.map((o) => (typeof o === "number" ? shortestDigits(o) : shortestDigits(o.v, !!o.wide))));
  if (result === null) {
    // The core's numbers as the decimals they stand for (an f32's shortest decimal).
    const exact = operands.map((o) =>
      typeof o === "number" ? Number(full(o).replaceAll("−", "-")) : o.wide || o.exact ? o.v : Number(full(o.v).replaceAll("−", "-")),
    );
    return worked(operands, evaluate, [evaluate(exact)].flat().pop(), { wide: true, minDigits: Math.max(minDigits, 6), digits });
  }
  let best = null;
  for (let p = digits; p <= most; p++) {
    const printed = operands.map((o) => printOperand(o, p));
    const values = printed.map(Number);
    const parts = [evaluate(values)].flat();
    let res;
    for (let r = resultDigits; r >= 1 && !res; r--) {
      const s = printResult(result, r, wide);
      if (parts.every((e) => reproduces(e, s))) res = s;
    }
    const sig = res ? significant(res) : 0;
    const exact = res !== undefined && Number(res) === (wide ? result : f32(result));
    const line = { ops: printed.map(texOf), res: res === undefined ? null : texOf(res), values, resultValue: Number(res), sig };
    if (res !== undefined && (sig >= minDigits || exact)) return line;
    if (res !== undefined && (!best || sig > best.sig)) best = line;
  }
  if (best) return best;
  // No printing reproduces the core's number: the line is not what the core computed. It is
  // printed anyway (the calculator test then names it) rather than hidden.
  const printed = operands.map((o) => printOperand(o, digits));
  const res = printResult(result, 6, wide);
  return { ops: printed.map(texOf), res: texOf(res), values: printed.map(Number), resultValue: Number(res), sig: 0 };
}

/** Significant digits of an ASCII decimal ("0.00020" → 2, "2.03e-5" → 3, "0" → 1). */
function significant(s) {
  const m = s.replace(/^-/, "").split("e")[0].replace(".", "").replace(/^0+/, "");
  return Math.max(1, m.length);
}

/**
 * A probability for reading, never shown as 1 or 0 unless it is: `p` and `rest` = 1 − p are the
 * core's f64s (the trace's `p_predicted` and `p_rest`, `rest` computed without cancellation).
 * "0.973", "0.99987", "1 − 3.2e−8" (when fewer than 3 nines would print as 1), "1" only when
 * rest is 0; a small p gets a power of ten ("4.1e−9"), never "0".
 * @param {number} p
 * @param {number} rest
 */
export function probabilityText(p, rest) {
  if (rest === 0) return "1";
  if (p === 0) return "0";
  if (rest < 1e-3) {
    // Up to 5 nines print plainly ("0.99987"); beyond, 1 − rest.
    if (rest >= 1e-5) return decimal(p, Math.ceil(-Math.log10(rest)) + 2).replaceAll("-", "−");
    return `1 − ${decimal(rest, 2).replaceAll("-", "−")}`;
  }
  return fmt(p, 3, { wide: true });
}
