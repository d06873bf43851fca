// @ts-check
// Gradient descent's update of the picked weight in the walk-through, like src/optim/sgd.rs:
//
//   plain          θ ← θ − η g
//   with momentum  v_t = μ v_{t−1} + g,  θ ← θ − η v_t     (the PyTorch form)

import { worked, paren, fmt } from "../numbers.js";
import { tx } from "../tex.js";

const exact = (v) => ({ v, exact: true });

/** SGD's blocks for the picked weight; `e` holds its numbers from the trace. */
export function sgdBlocks(T, name, e) {
  const opt = T.trace.optimizer;
  const { lr, momentum: mu = 0 } = opt.config;
  /** @type {any[]} */
  const blocks = [
    {
      kind: "values",
      items: [
        { key: "lr", label: tx("\\eta"), value: lr, wide: true, full: true },
        mu ? { key: "momentum", label: tx("\\mu"), value: mu, wide: true, full: true } : null,
      ].filter(Boolean),
    },
  ];
  if (mu) {
    const v = worked([exact(mu), e.velPrev, e.g], ([m, vp, g]) => m * vp + g, e.vel);
    const th = worked([e.before, exact(lr), e.vel], ([a, l, b]) => a - l * b, e.after);
    blocks.push(
      {
        kind: "eq",
        symbolic: "v_t = \\mu\\, v_{t-1} + g",
        numeric: `v_{${opt.t}} = ${v.ops[0]} \\cdot ${paren(v.ops[1])} + ${paren(v.ops[2])} = ${v.res}`,
      },
      {
        kind: "eq",
        symbolic: `${name} \\leftarrow ${name} - \\eta\\, v_t`,
        numeric: `${name} = ${th.ops[0]} - ${th.ops[1]} \\cdot ${paren(th.ops[2])} = ${th.res}`,
      },
    );
  } else {
    const th = worked([e.before, exact(lr), e.g], ([a, l, g]) => a - l * g, e.after);
    blocks.push({
      kind: "eq",
      symbolic: `${name} \\leftarrow ${name} - \\eta\\, \\frac{\\partial L}{\\partial ${name}}`,
      numeric: `${name} = ${th.ops[0]} - ${th.ops[1]} \\cdot ${paren(th.ops[2])} = ${th.res}`,
    });
  }
  blocks.push({
    kind: "values",
    items: [
      { key: "g", label: tx("g"), value: e.g },
      mu ? { key: "velocity-prev", label: tx(`v_{${opt.t - 1}}`), value: e.velPrev } : null,
      { key: "velocity", label: mu ? tx(`v_{${opt.t}}`) : "velocity (= g without momentum)", value: e.vel },
      { key: "step", label: tx("\\Delta\\theta"), value: e.step },
      { key: "before", label: `${tx(name)} before`, value: e.before },
      { key: "after", label: `${tx(name)} after`, value: e.after, big: true },
    ].filter(Boolean),
  });
  return blocks;
}

/** The caption of an SGD update step. */
export function sgdCaption(cfg) {
  const mu = cfg.momentum || 0;
  return mu
    ? `Gradient descent with momentum: each weight keeps a velocity that adds up its recent gradients (the old velocity shrinks by μ = ${mu} each step), and steps by −η times it, so steady directions speed up.`
    : `Plain gradient descent: step every weight a little against its gradient. The learning rate η = ${cfg.lr} sets how big a step.`;
}

/** SGD's numbers of element `idx` of a parameter's trace. */
export function sgdNumbers(P, idx) {
  const u = P.update;
  return {
    g: P.grad[idx],
    velPrev: u.velocity_before[idx],
    vel: u.velocity[idx],
    step: u.step[idx],
    before: P.before[idx],
    after: P.after[idx],
  };
}

export const sgdColumns = ["", tx("\\theta"), tx("g"), tx("v"), tx("\\Delta\\theta"), tx("\\theta'")];
export function sgdRow(label, P, idx) {
  const u = P.update;
  return [label, P.before[idx], P.grad[idx], u.velocity[idx], u.step[idx], P.after[idx]];
}

/**
 * Said where biases are stepped with SGD: hand-worked examples often keep them fixed, and then
 * their loss after a step differs from ours.
 * @param {string} bias the TeX name of the picked unit's bias
 * @param {number} before @param {number} after its value before and after this step
 */
export function biasNote(bias, before, after) {
  return {
    kind: "text",
    text: `Every bias is updated too, by the same rule: ${tx(bias)} goes from ${fmt(before)} to ${fmt(after)} in this step. Some hand-worked examples keep the biases fixed (Matt Mazur's well-known 2-2-2 walk-through does); their loss after a step is then a little different from this network's.`,
  };
}
