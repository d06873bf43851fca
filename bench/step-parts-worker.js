// @ts-check
// The optimizer's share of a training step in wasm (examples/step_parts.rs, the measurement of
// `cargo bench` built for wasm32), in a worker like the page's training.
//
// Request: {variant: "simd" | "nosimd", model, steps, runs}. Reply: {stepMs, optimizerMs} or {error}.

onmessage = async (/** @type {MessageEvent} */ e) => {
  const { variant, model, steps, runs } = e.data;
  try {
    const wasm = await import(`/__bench__/pkg/${variant}/step_parts.js`);
    await wasm.default();
    const [stepMs, optimizerMs] = wasm.time_steps(model, steps, runs);
    postMessage({ stepMs, optimizerMs });
  } catch (err) {
    postMessage({ error: String(err?.stack ?? err) });
  }
};
