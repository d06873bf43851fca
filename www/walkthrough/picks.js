// @ts-check
// The learner's picks: which example of the batch, and one element per tensor (which unit, which
// input, which filter weight), kept consistent through the layers that only pass elements along
// (activations, flatten, dropout) and through max-pooling's winners. The walk-through follows
// the picked unit and weight through every step.
//
//   P = {n, el: [element of tensor 0, …, of tensor L], kp: {[conv layer]: {c, u, v}}}

import { unflat } from "./trace.js";

const ELEMENTWISE = new Set(["relu", "sigmoid", "tanh", "dropout", "flatten"]);

/** Picks that tell the most interesting story: the true class, then the biggest gradients. */
export function defaultPicks(T, n = 0) {
  const P = { n, el: new Array(T.L + 1).fill(0), kp: {} };
  let top = 0;
  if (T.loss.labels) top = T.loss.labels[n];
  else if (T.loss.kind === "softmax_cross_entropy") top = argmaxAbs(T.loss.targets.slice(n * T.K, (n + 1) * T.K));
  setElement(T, P, T.L, top, "down");
  for (let i = T.L - 1; i >= 0; i--) {
    const ly = T.layers[i];
    if (ly.kind === "dense") setElement(T, P, i, defaultInput(T, P, i), "down");
    else if (ly.kind === "conv2d") {
      P.kp[i] = defaultKernel(T, P, i);
      setElement(T, P, i + 1, P.el[i + 1], "down");
    }
  }
  return P;
}

/** The index of the largest |v_k|. */
export function argmaxAbs(v) {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (Math.abs(v[k]) > Math.abs(v[best])) best = k;
  return best;
}

function defaultInput(T, P, i) {
  const ly = T.layers[i];
  const j = P.el[i + 1];
  const g = ly.params.weight.grad.slice(j * ly.inSize, (j + 1) * ly.inSize);
  if (ly.inSize <= 8) {
    const k = g.findIndex((x) => x !== 0);
    return k < 0 ? 0 : k;
  }
  if (g.some((x) => x !== 0)) return argmaxAbs(g);
  const w = ly.params.weight.before.slice(j * ly.inSize, (j + 1) * ly.inSize);
  const x = T.value(i, P.n);
  return argmaxAbs(w.map((wk, k) => wk * x[k]));
}

function defaultKernel(T, P, i) {
  const { in_channels: C, kernel: k } = T.layers[i].spec;
  const o = unflat(T.layers[i].outShape, P.el[i + 1])[0];
  const g = T.layers[i].params.weight.grad.slice(o * C * k * k, (o + 1) * C * k * k);
  const best = argmaxAbs(g);
  return { c: Math.floor(best / (k * k)), u: Math.floor((best % (k * k)) / k), v: best % k };
}

/** The input element under kernel cell (c, u, v) for output element e of conv layer i, or -1 in the padding. */
export function convInput(T, i, e, kp) {
  const ly = T.layers[i];
  const { stride: s, padding: pad } = ly.spec;
  const [, p, q] = unflat(ly.outShape, e);
  const [, H, W] = ly.inShape;
  const r = p * s + kp.u - pad;
  const c = q * s + kp.v - pad;
  if (r < 0 || c < 0 || r >= H || c >= W) return -1;
  return kp.c * H * W + r * W + c;
}

/**
 * Sets the picked element of tensor t and carries it up ("up"), down ("down") or both ways
 * through the layers that pass elements along.
 */
export function setElement(T, P, t, idx, dir = "both") {
  P.el[t] = idx;
  if (dir !== "down") {
    for (let i = t; i < T.L; i++) {
      const k = T.layers[i].kind;
      if (ELEMENTWISE.has(k)) P.el[i + 1] = P.el[i];
      else if (k === "maxpool2d") {
        let e = -1;
        for (let o = 0; o < T.layers[i].outSize; o++) if (T.winner(i, P.n, o) === P.el[i]) e = o;
        if (e < 0) break;
        P.el[i + 1] = e;
      } else break;
    }
  }
  if (dir !== "up") {
    for (let i = t - 1; i >= 0; i--) {
      const k = T.layers[i].kind;
      if (ELEMENTWISE.has(k)) P.el[i] = P.el[i + 1];
      else if (k === "maxpool2d") P.el[i] = T.winner(i, P.n, P.el[i + 1]);
      else if (k === "conv2d") {
        const x = convInput(T, i, P.el[i + 1], P.kp[i] || { c: 0, u: 0, v: 0 });
        if (x < 0) break;
        P.el[i] = x;
      } else break;
    }
  }
  return P;
}

/** Picks unit j of layer i's output (and what feeds it). */
export function pickUnit(T, P, i, j) {
  return setElement(T, P, i + 1, j, "both");
}

/** Picks input k of layer i (the weight from it to the picked unit). */
export function pickInput(T, P, i, k) {
  return setElement(T, P, i, k, "down");
}

/** Picks the conv layer i's kernel cell (c, u, v). */
export function pickKernel(T, P, i, kp) {
  P.kp[i] = kp;
  return setElement(T, P, i + 1, P.el[i + 1], "down");
}
