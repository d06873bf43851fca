// A student with a calculator, in code: reads the worked lines of a walk-through's Markdown and
// redoes their arithmetic from the printed numbers.
//
// A worked line is an equation whose `=`-separated parts include numeric expressions. The rule:
// evaluating a numeric part from the printed operands, exactly as printed, gives the printed
// result next to it to its last printed digit (|value − printed| ≤ half a unit of its last digit).
//
// The TeX understood is the subset the walk-through writes: numbers (and `2.03 \times 10^{-5}`),
// + − \cdot \times /, \frac, \sqrt, ^{}, e^{}, \exp, \ln, \max(…, …), \tanh, parentheses (also
// \left( \right)), \underbrace{number}_{\text{…}}, spacing, and aligned environments. A part with
// anything else (a symbol, a subscript, a comma outside \max) is not numeric and is skipped.

class Symbolic extends Error {}

/** Splits TeX into tokens: numbers, commands, single characters (spaces dropped). */
function tokenize(s) {
  const out = [];
  for (let i = 0; i < s.length;) {
    const c = s[i];
    if (/\s/.test(c)) i++;
    else if (/[\d.]/.test(c)) {
      const m = s.slice(i).match(/^\d*\.?\d+|^\d+\.?/);
      out.push({ t: "num", v: m[0] });
      i += m[0].length;
    } else if (c === "\\") {
      const m = s.slice(i + 1).match(/^[a-zA-Z]+|^./);
      out.push({ t: "cmd", v: m[0] });
      i += 1 + m[0].length;
    } else {
      out.push({ t: "chr", v: c });
      i++;
    }
  }
  return out.filter((k) => !(k.t === "cmd" && [",", ";", " ", "!", "quad", "qquad", "left", "right", ":"].includes(k.v)));
}

/** Recursive descent over the tokens; a number literal on its own is remembered as `single`. */
class Parser {
  constructor(tokens) {
    this.k = tokens;
    this.i = 0;
  }
  peek(v, t) {
    const x = this.k[this.i];
    return x && (v === undefined || x.v === v) && (t === undefined || x.t === t);
  }
  take(v) {
    if (!this.peek(v)) throw new Symbolic(`expected ${v}`);
    return this.k[this.i++];
  }
  group() {
    this.take("{");
    const v = this.expr();
    this.take("}");
    return v;
  }
  expr() {
    let v = this.term();
    while (this.peek("+") || this.peek("-")) v = this.k[this.i++].v === "+" ? v + this.term() : v - this.term();
    return v;
  }
  term() {
    let v = this.unary();
    for (;;) {
      if (this.peek("cdot") || this.peek("times")) (this.i++, (v *= this.unary()));
      else if (this.peek("/")) (this.i++, (v /= this.unary()));
      else if (this.peek("(") || this.peek("frac") || this.peek("sqrt") || this.peek(undefined, "num")) v *= this.unary();
      else return v;
    }
  }
  unary() {
    if (this.peek("-")) return (this.i++, -this.unary());
    if (this.peek("+")) return (this.i++, this.unary());
    return this.power();
  }
  power() {
    const base = this.primary();
    if (!this.peek("^")) return base;
    this.i++;
    const e = this.peek("{") ? this.group() : Number(this.take(undefined).v);
    return base ** e;
  }
  /** A number, folding `\times 10^{n}` into it: its value and its printed form. */
  number() {
    const m = this.k[this.i++].v;
    let s = m;
    const save = this.i;
    if (this.peek("times") && this.k[this.i + 1]?.v === "10" && this.k[this.i + 2]?.v === "^") {
      this.i += 3;
      try {
        const e = this.group();
        s = `${m}e${e}`;
      } catch {
        this.i = save;
      }
    }
    this.lastNumber = s;
    return Number(s);
  }
  primary() {
    const x = this.k[this.i];
    if (!x) throw new Symbolic("end");
    if (x.t === "num") return this.number();
    if (x.v === "(" || x.v === "{") {
      const close = x.v === "(" ? ")" : "}";
      this.i++;
      const v = this.expr();
      this.take(close);
      return v;
    }
    if (x.t === "chr" && x.v === "e" && this.k[this.i + 1]?.v === "^") return (this.i++, Math.E);
    if (x.t !== "cmd") throw new Symbolic(x.v);
    this.i++;
    switch (x.v) {
      case "frac":
      case "tfrac":
      case "dfrac":
        return this.group() / this.group();
      case "sqrt":
        return Math.sqrt(this.group());
      case "ln":
        return Math.log(this.primary());
      case "exp":
        return Math.exp(this.primary());
      case "tanh":
        return Math.tanh(this.primary());
      case "max": {
        this.take("(");
        const args = [this.expr()];
        while (this.peek(",")) (this.i++, args.push(this.expr()));
        this.take(")");
        return Math.max(...args);
      }
      case "underbrace": {
        const v = this.group();
        this.take("_");
        this.take("{");
        for (let depth = 1; depth; this.i++) {
          if (!this.k[this.i]) throw new Symbolic("unclosed");
          if (this.k[this.i].v === "{") depth++;
          if (this.k[this.i].v === "}") depth--;
        }
        return v;
      }
      default:
        throw new Symbolic(x.v);
    }
  }
}

/**
 * One `=`-separated part: null when it is not purely numeric, else its value and, when it is a
 * single printed number (possibly negative), that number as printed ("-2.03e-5").
 */
export function evaluatePart(tex) {
  const tokens = tokenize(tex);
  if (!tokens.length) return null;
  // A single printed number: an optional minus, one number (with its power of ten), nothing else.
  const lone = new Parser(tokens);
  if (lone.peek("-")) lone.i++;
  if (lone.peek(undefined, "num")) {
    const v = lone.number();
    if (lone.i === tokens.length)
      return { value: tokens[0].v === "-" ? -v : v, single: `${tokens[0].v === "-" ? "-" : ""}${lone.lastNumber}` };
  }
  const p = new Parser(tokens);
  try {
    const value = p.expr();
    return p.i === tokens.length && Number.isFinite(value) ? { value, single: null } : null;
  } catch (e) {
    if (e instanceof Symbolic) return null;
    throw e;
  }
}

/** |value − printed| ≤ half a unit of the printed number's last digit (f64 slack). */
export function reproduces(value, printed) {
  const m = printed.replace(/^-/, "").match(/^(\d*)(?:\.(\d*))?(?:e(-?\d+))?$/);
  const unit = 10 ** (Number(m[3] || 0) - (m[2] || "").length);
  return Math.abs(value - Number(printed)) <= 0.5 * unit * (1 + 1e-9);
}

/** The maths of a Markdown document: every $$…$$ block, and every inline $…$ with an `=`. */
export function formulas(markdown) {
  const out = [];
  const display = /\$\$\n?([\s\S]*?)\n?\$\$/g;
  for (const m of markdown.matchAll(display)) out.push(m[1]);
  const rest = markdown.replace(display, "");
  for (const m of rest.matchAll(/\$([^$\n]+)\$/g)) if (m[1].includes("=") && /\d/.test(m[1])) out.push(m[1]);
  return out;
}

/**
 * Checks every worked line of one formula. Within each run of consecutive numeric parts, every
 * expression is compared with the nearest printed number after it (or, when there is none, the
 * nearest before it). Returns {checked, failures: [{line, value, printed}]}.
 */
export function checkFormula(tex) {
  const flat = tex.replace(/\\begin\{aligned\}|\\end\{aligned\}|&|\\\\/g, " ");
  const parts = flat.split(/=/).map(evaluatePart);
  const failures = [];
  let checked = 0;
  for (let a = 0; a < parts.length;) {
    if (!parts[a]) {
      a++;
      continue;
    }
    let b = a;
    while (b < parts.length && parts[b]) b++;
    const run = parts.slice(a, b);
    run.forEach((p, q) => {
      if (p.single) return;
      const target = run.slice(q + 1).find((x) => x.single) || [...run.slice(0, q)].reverse().find((x) => x.single);
      if (!target) return;
      checked++;
      if (!reproduces(p.value, target.single)) failures.push({ line: tex, value: p.value, printed: target.single });
    });
    a = b;
  }
  return { checked, failures };
}

/** Every worked line of a Markdown document: how many were checked, and the ones that fail. */
export function checkMarkdown(markdown) {
  let checked = 0;
  const failures = [];
  for (const f of formulas(markdown)) {
    const r = checkFormula(f);
    checked += r.checked;
    failures.push(...r.failures);
  }
  return { checked, failures };
}
