// @ts-check
// Adam's update of the picked weight in the walk-through, like src/optim/adam.rs (Kingma & Ba,
// Algorithm 1), every line with the numbers the core used:
//
//   m_t = β1 m_{t−1} + (1 − β1) g          v_t = β2 v_{t−1} + (1 − β2) g²
//   m̂_t = m_t / (1 − β1ᵗ)                  v̂_t = v_t / (1 − β2ᵗ)
//   Δθ = −α m̂_t / (√v̂_t + ε)               θ ← θ + Δθ
//
// At t = 1, m̂ = g and v̂ = g², so Δθ ≈ −α·sign(g): every weight moves by about α, whatever the
// size of its gradient. Later, m carries the earlier gradients, and a step can even go against
// this example's gradient.

import { worked, paren, fmt, tex } from "../numbers.js";
import { tx } from "../tex.js";

const exact = (v) => ({ v, exact: true });

/** The lines of m, v, m̂, v̂, Δθ and θ' for one parameter element. */
function lines(cfg, bc, t, e, name) {
  const m = worked([exact(cfg.beta1), e.mPrev, exact(cfg.beta1), e.g], ([b, mp, b2, g]) => b * mp + (1 - b2) * g, e.m);
  const v = worked([exact(cfg.beta2), e.vPrev, exact(cfg.beta2), e.g], ([b, vp, b2, g]) => b * vp + (1 - b2) * g * g, e.v);
  const mh = worked([e.m, exact(cfg.beta1), exact(t), e.m, bc.bc1], ([mm, b, tt, m2, c]) => [mm / (1 - b ** tt), m2 / c], e.mh);
  const vh = worked([e.v, exact(cfg.beta2), exact(t), e.v, bc.bc2], ([vv, b, tt, v2, c]) => [vv / (1 - b ** tt), v2 / c], e.vh);
  const st = worked([exact(cfg.lr), e.mh, e.vh, exact(cfg.eps)], ([a, mm, vv, ep]) => (-a * mm) / (Math.sqrt(vv) + ep), e.step);
  const th = worked([e.before, e.step], ([a, b]) => a + b, e.after);
  return [
    {
      kind: "eq",
      symbolic: "m_t = \\beta_1 m_{t-1} + (1 - \\beta_1)\\, g",
      numeric: `m_{${t}} = ${m.ops[0]} \\cdot ${paren(m.ops[1])} + (1 - ${m.ops[2]}) \\cdot ${paren(m.ops[3])} = ${m.res}`,
    },
    {
      kind: "eq",
      symbolic: "v_t = \\beta_2 v_{t-1} + (1 - \\beta_2)\\, g^2",
      numeric: `v_{${t}} = ${v.ops[0]} \\cdot ${paren(v.ops[1])} + (1 - ${v.ops[2]}) \\cdot ${paren(v.ops[3])}^{2} = ${v.res}`,
    },
    {
      kind: "eq",
      symbolic: "\\hat m_t = \\frac{m_t}{1 - \\beta_1^t}",
      numeric: `\\hat m_{${t}} = \\frac{${mh.ops[0]}}{1 - ${mh.ops[1]}^{${mh.ops[2]}}} = \\frac{${mh.ops[3]}}{${mh.ops[4]}} = ${mh.res}`,
    },
    {
      kind: "eq",
      symbolic: "\\hat v_t = \\frac{v_t}{1 - \\beta_2^t}",
      numeric: `\\hat v_{${t}} = \\frac{${vh.ops[0]}}{1 - ${vh.ops[1]}^{${vh.ops[2]}}} = \\frac{${vh.ops[3]}}{${vh.ops[4]}} = ${vh.res}`,
    },
    {
      kind: "eq",
      symbolic: "\\Delta\\theta = -\\alpha\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\varepsilon}",
      numeric: `\\Delta\\theta = -${st.ops[0]} \\cdot \\frac{${st.ops[1]}}{\\sqrt{${st.ops[2]}} + ${st.ops[3]}} = ${st.res}`,
    },
    {
      kind: "eq",
      symbolic: `${name} \\leftarrow ${name} + \\Delta\\theta`,
      numeric: `${name} = ${th.ops[0]} + ${paren(th.ops[1])} = ${th.res}`,
    },
  ];
}

/** Why this step is the size it is, and which way it goes, in words with the numbers. */
function why(t, cfg, e) {
  const out = [];
  if (t === 1)
    out.push(
      `This is the first step (t = 1): m and v start at 0, and the bias correction makes m̂ = g and v̂ = g² exactly, so Δθ = −α·g/(|g| + ε) ≈ −α·sign(g). Every weight moves by about α = ${cfg.lr}, whatever the size of its gradient: this one's gradient is ${fmt(e.g)} and its step ${fmt(e.step)}.`,
    );
  else
    out.push(
      `This is step t = ${t}: m and v carry over from the ${t - 1} step${t === 2 ? "" : "s"} before, and 1 − β1ᵗ = ${fmt(e.bc1)}, 1 − β2ᵗ = ${fmt(e.bc2)} ${e.bc1 > 0.999 && e.bc2 > 0.999 ? "hardly correct them any more" : "still correct them"}.`,
    );
  const against = e.g !== 0 && e.step !== 0 && Math.sign(e.step) === Math.sign(e.g);
  if (against)
    out.push(
      `This step goes against this example's gradient: g = ${fmt(e.g)} says ${e.g < 0 ? "increase" : "decrease"} θ, yet Δθ = ${fmt(e.step)} ${e.step < 0 ? "decreases" : "increases"} it. Adam steps along −m̂, not −g, and m̂ = ${fmt(e.mh)} has the other sign: m is a running average that still remembers the earlier steps' gradients (m before this step was ${fmt(e.mPrev)}), and this example's g moves it only by (1 − β1)·g = ${fmt(1 - cfg.beta1)} · ${fmt(e.g)} = ${fmt((1 - cfg.beta1) * e.g)}. It is not a bug: on average over many examples, the steps go downhill.`,
    );
  return out.map((text) => ({ kind: "text", text }));
}

/** Adam's blocks for the picked weight; `e` holds its numbers from the trace. */
export function adamBlocks(T, name, e) {
  const opt = T.trace.optimizer;
  const cfg = opt.config;
  const t = opt.t;
  return [
    {
      kind: "values",
      items: [
        { key: "lr", label: tx("\\alpha"), value: cfg.lr, wide: true, full: true },
        { key: "beta1", label: tx("\\beta_1"), value: cfg.beta1, wide: true, full: true },
        { key: "beta2", label: tx("\\beta_2"), value: cfg.beta2, wide: true, full: true },
        { key: "eps", label: tx("\\varepsilon"), value: cfg.eps, wide: true, full: true },
        { key: "t", label: "step t", value: t, plain: true },
      ],
    },
    {
      kind: "eq",
      caption: `θ stands for the weight ${tx(name)}; g is its gradient from the backward pass.`,
      symbolic: "g = \\frac{\\partial L}{\\partial \\theta}",
      numeric: `g = ${tex(e.g)}`,
    },
    ...lines(cfg, opt.bias_correction, t, e, name),
    ...why(t, cfg, e),
    {
      kind: "values",
      items: [
        { key: "g", label: tx("g"), value: e.g },
        { key: "m-prev", label: tx(`m_{${t - 1}}`), value: e.mPrev },
        { key: "v-prev", label: tx(`v_{${t - 1}}`), value: e.vPrev },
        { key: "m", label: tx(`m_{${t}}`), value: e.m },
        { key: "v", label: tx(`v_{${t}}`), value: e.v },
        { key: "bc1", label: tx(`1 - \\beta_1^{${t}}`), value: e.bc1 },
        { key: "bc2", label: tx(`1 - \\beta_2^{${t}}`), value: e.bc2 },
        { key: "m-hat", label: tx("\\hat m"), value: e.mh },
        { key: "v-hat", label: tx("\\hat v"), value: e.vh },
        { key: "step", label: tx("\\Delta\\theta"), value: e.step },
        { key: "before", label: `${tx(name)} before`, value: e.before },
        { key: "after", label: `${tx(name)} after`, value: e.after, big: true },
      ],
    },
  ];
}

/** Adam's numbers of element `idx` of a parameter's trace. */
export function adamNumbers(T, P, idx) {
  const u = P.update;
  const bc = T.trace.optimizer.bias_correction;
  return {
    g: P.grad[idx],
    mPrev: u.m_before[idx],
    vPrev: u.v_before[idx],
    m: u.m[idx],
    v: u.v[idx],
    mh: u.m_hat[idx],
    vh: u.v_hat[idx],
    step: u.step[idx],
    before: P.before[idx],
    after: P.after[idx],
    bc1: bc.bc1,
    bc2: bc.bc2,
  };
}

/** The columns and one row of the table of every element's update. */
export const adamColumns = [
  "",
  tx("\\theta"),
  tx("g"),
  tx("m"),
  tx("v"),
  tx("\\hat m"),
  tx("\\hat v"),
  tx("\\Delta\\theta"),
  tx("\\theta'"),
];
export function adamRow(label, P, idx) {
  const u = P.update;
  return [label, P.before[idx], P.grad[idx], u.m[idx], u.v[idx], u.m_hat[idx], u.v_hat[idx], u.step[idx], P.after[idx]];
}
