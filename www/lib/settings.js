// The training settings: their defaults, how they sit in the URL (so a link reproduces a run),
// and how they are sent to the worker (the `Settings` of src/wasm.rs).

export const PRESETS = ["mlp-64", "mlp-128", "cnn", "mlp-512-dropout"];
/** Learning rates that train well for each optimizer (Adam's is the paper's default). */
export const DEFAULT_LR = { adam: 0.001, sgd: 0.05 };
export const DEFAULTS = { model: "mlp-128", opt: "adam", lr: 0.001, momentum: 0.9, batch: 64, epochs: 3, seed: 1 };

/** Reads settings from a URL query; anything missing or invalid takes its default. */
export function readSettings(search) {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULTS };
  const invalid = [];
  const number = (key, ok) => {
    if (!q.has(key)) return;
    const v = Number(q.get(key));
    if (q.get(key).trim() !== "" && Number.isFinite(v) && ok(v)) s[key] = v;
    else invalid.push(key);
  };
  if (q.has("model")) PRESETS.includes(q.get("model")) ? (s.model = q.get("model")) : invalid.push("model");
  if (q.has("opt")) ["adam", "sgd"].includes(q.get("opt")) ? (s.opt = q.get("opt")) : invalid.push("opt");
  s.lr = DEFAULT_LR[s.opt];
  number("lr", (v) => v > 0);
  number("momentum", (v) => v >= 0 && v < 1);
  number("batch", (v) => Number.isInteger(v) && v >= 1 && v <= 4096);
  number("epochs", (v) => Number.isInteger(v) && v >= 1 && v <= 100);
  number("seed", (v) => Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER);
  return { settings: s, invalid };
}

/** A setting as people write it: 0.001, 1e-5, 1e20 (not 100000000000000000000). */
export function shortNumber(v) {
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-4) ? v.toExponential().replace("e+", "e") : String(v);
}

/** The settings as a URL query, every one present. */
export function settingsQuery(s) {
  const q = new URLSearchParams({ model: s.model, opt: s.opt, lr: shortNumber(s.lr) });
  if (s.opt === "sgd") q.set("momentum", String(s.momentum));
  q.set("batch", String(s.batch));
  q.set("epochs", String(s.epochs));
  q.set("seed", String(s.seed));
  return q.toString();
}

/** The settings as the worker's `Settings` (src/wasm.rs). */
export function workerSettings(s) {
  const optimizer = s.opt === "adam" ? { type: "adam", lr: s.lr } : { type: "sgd", lr: s.lr, momentum: s.momentum };
  return { model: s.model, optimizer, batch: s.batch, seed: s.seed };
}
