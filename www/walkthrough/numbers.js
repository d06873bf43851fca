// How the walk-through writes numbers: readable (6 significant digits), every digit (the f32's
// shortest round-trip decimal), and in TeX. Pure functions: no DOM, runnable in Node and in the
// browser. Nothing here computes a model's number; it only writes them down.

/**
 * The core computes in f32 and writes each number as the shortest decimal that reads back as the
 * same f32 ("0.3589165"). As a double that decimal is a hair away from the f32's true value
 * (0.35891649127…), which can flip the last shown digit; so numbers are taken back to f32 first.
 */
const f32 = (x) => {
  const v = Math.fround(x);
  return Number.isFinite(v) || !Number.isFinite(x) ? v : x;
};

/** A number for reading: 6 significant digits, trailing zeros dropped, exponent when tiny or huge. */
export function fmt(x, sig = 6) {
  if (typeof x !== "number") return String(x);
  x = f32(x);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (x === 0) return Object.is(x, -0) ? "0" : "0";
  const a = Math.abs(x);
  let s;
  if (a < 1e-4 || a >= 1e6) {
    const [m, e] = x.toExponential(sig - 1).split("e");
    s = `${trimZeros(m)}e${e.replace("+", "")}`;
  } else {
    s = trimZeros(x.toPrecision(sig));
    if (s.includes("e")) s = String(Number(s));
  }
  return s.replace("-", "−");
}

function trimZeros(s) {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * Every digit the core's number has: the shortest decimal that reads back as the same f32
 * (the core computes in f32, so 0.2 is shown as 0.2, not 0.20000000298023224).
 */
export function full(x) {
  if (typeof x !== "number" || !Number.isFinite(x)) return fmt(x);
  x = f32(x);
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

/** A number in TeX: 6 significant digits, ×10ⁿ for the exponent. */
export function tex(x, sig = 6) {
  if (typeof x !== "number") return String(x);
  if (Number.isNaN(x)) return "\\text{NaN}";
  if (!Number.isFinite(x)) return x > 0 ? "\\infty" : "-\\infty";
  const s = fmt(x, sig).replace("−", "-");
  const m = s.match(/^(-?[\d.]+)e(-?\d+)$/);
  return m ? `${m[1]} \\times 10^{${m[2]}}` : s;
}

/** A number in TeX inside parentheses when negative (for products like (−0.2)(0.5)). */
export function texp(x, sig = 6) {
  const t = tex(x, sig);
  return x < 0 || t.includes("\\times") ? `(${t})` : t;
}

/** Does `shown` (what the page computed for display) agree with `core` (the trace's f32)? */
export function agrees(shown, core, rel = 1e-5, abs = 1e-7) {
  return Math.abs(shown - core) <= Math.max(abs, rel * Math.max(Math.abs(shown), Math.abs(core)));
}
