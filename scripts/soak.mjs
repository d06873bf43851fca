// The soak benchmark: does memory stay flat over a long training run? The page itself (every view,
// its charts, its autosave) trains mlp-64 for 20 epochs in headless Chromium, and its memory is
// measured before the first step and after the last epoch's evaluation:
//   - the wasm heap (the worker's WebAssembly memory; it only grows, so "after" is its peak),
//     also after every epoch;
//   - the JavaScript heaps of the page and of the worker, from performance.measureUserAgentSpecificMemory()
//     (measured after a garbage collection; it needs the cross-origin isolation the server gives);
//   - the page's DOM elements.
// Each figure is printed with its ratio after/before: the run's own anchor.
//
//   node scripts/soak.mjs [--epochs 20] [--model mlp-64]        (run by npm run bench)
//   import { soak } from "./soak.mjs"                            -> the results; writes bench-results/soak.json

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./paths.mjs";

const MB = (n) => (n == null ? null : Math.round((n / 2 ** 20) * 10) / 10);

/** Memory as the page sees it; JS heaps are null where the browser cannot measure them. */
async function measure(page) {
  return page.evaluate(async () => {
    const app = window.backpropLab;
    const { heapBytes } = await app.client.request("describe");
    let pageJs = null;
    let workerJs = null;
    if (window.crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
      const m = await performance.measureUserAgentSpecificMemory();
      const bytes = (scope) => m.breakdown.filter((b) => b.attribution.some((a) => a.scope === scope)).reduce((s, b) => s + b.bytes, 0);
      pageJs = bytes("Window");
      workerJs = bytes("DedicatedWorkerGlobalScope");
    }
    return { wasm: heapBytes, pageJs, workerJs, domElements: document.getElementsByTagName("*").length };
  });
}

/**
 * Trains `model` for `epochs` epochs on the page and measures memory before and after.
 * @param {{epochs?: number, model?: string, batch?: number, log?: (s: string) => void}} options
 */
export async function soak({ epochs = 20, model = "mlp-64", batch = 64, log = (s) => console.log(`soak: ${s}`) } = {}) {
  const { startServer, launchBrowser, openPage, requireBuilt } = await import("../tests/browser/harness.mjs");
  requireBuilt();
  const server = await startServer();
  const browser = await launchBrowser();
  const query = `model=${model}&opt=adam&lr=0.001&batch=${batch}&epochs=${epochs}&seed=1`;
  const { page, consoleErrors, close } = await openPage(browser, `${server.url}/?${query}#train`, { width: 1280, height: 900 });
  try {
    await page.waitForFunction(() => window.backpropLab?.model && window.backpropLab?.data && window.backpropLab.state === "idle", null, {
      timeout: 120_000,
    });
    const data = await page.evaluate(() => window.backpropLab.data.description);
    log(`${model}, batch ${batch}, ${epochs} epochs on ${data}; measuring before`);
    const before = await measure(page);
    await page.evaluate(() => {
      const app = window.backpropLab;
      window.__soakHeaps = [];
      app.client.on("epoch", () => app.client.request("describe").then((d) => window.__soakHeaps.push(d.heapBytes)));
    });
    const t0 = Date.now();
    await page.click("text=Start training");
    await page.waitForFunction(() => window.backpropLab.state === "training", null, { timeout: 30_000 });
    let reported = 0;
    for (;;) {
      const s = await page.evaluate(() => ({ state: window.backpropLab.state, epoch: window.backpropLab.model.epoch }));
      if (s.state === "done" || s.state === "failed" || s.state === "paused") break;
      if (s.epoch >= reported + 5) log(`epoch ${(reported = s.epoch)} of ${epochs}`);
      await page.waitForTimeout(1000);
    }
    const seconds = (Date.now() - t0) / 1000;
    const state = await page.evaluate(() => window.backpropLab.state);
    if (state !== "done") throw new Error(`training ended in state "${state}"`);
    log(`trained in ${seconds.toFixed(0)} s; measuring after`);
    const after = await measure(page);
    const perEpoch = await page.evaluate(() => window.__soakHeaps);
    const accuracy = await page.evaluate(() => window.backpropLab.lastEvaluation?.accuracy ?? null);
    const row = (what, key, unit = MB) => ({
      what,
      before: unit(before[key]),
      after: unit(after[key]),
      ratio: before[key] && after[key] != null ? Math.round((after[key] / before[key]) * 100) / 100 : null,
    });
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, platform: `${os.platform()} ${os.arch()}` },
      browser: `Chromium ${browser.version()}`,
      data,
      settings: { model, batch, epochs, optimizer: "adam", lr: 0.001, seed: 1 },
      seconds: Math.round(seconds),
      test_accuracy: accuracy,
      memory: [
        row("wasm heap, MB", "wasm"),
        row("worker JS heap, MB", "workerJs"),
        row("page JS heap, MB", "pageJs"),
        row("DOM elements", "domElements", (n) => n),
      ],
      wasm_heap_mb_after_each_epoch: perEpoch.map(MB),
      console_errors: consoleErrors,
      notes: [
        "before: the page idle with the model and the data loaded; after: the last epoch and its evaluation done",
        "JS heaps: performance.measureUserAgentSpecificMemory(), which measures after a garbage collection",
      ],
    };
    fs.mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, "bench-results", "soak.json"), JSON.stringify(result, null, 2) + "\n");
    console.log(`\nsoak: ${model}, ${epochs} epochs of ${data} on the page, ${result.seconds} s (${result.browser})`);
    console.log(`${"".padEnd(20)} ${"before".padStart(8)} ${"after".padStart(8)} ${"after/before".padStart(13)}`);
    for (const r of result.memory) {
      console.log(
        `${r.what.padEnd(20)} ${String(r.before ?? "-").padStart(8)} ${String(r.after ?? "-").padStart(8)} ${String(r.ratio ?? "-").padStart(13)}`,
      );
    }
    console.log(`wasm heap after each epoch, MB: ${result.wasm_heap_mb_after_each_epoch.join(" ")}`);
    if (consoleErrors.length) console.log(`soak: console errors:\n${consoleErrors.join("\n")}`);
    console.log("wrote bench-results/soak.json");
    return result;
  } finally {
    await close();
    await browser.close();
    await server.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
  soak({ epochs: Number(opt("--epochs", 20)), model: opt("--model", "mlp-64") }).catch((e) => {
    console.error(`soak failed: ${e.message}`);
    process.exit(1);
  });
}
