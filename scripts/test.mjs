// Every test: the set-up step (as for serving, plus Chromium), then the Rust tests in release mode
// (the accuracy tests train real models) and the browser tests.
//
//   node scripts/test.mjs        (npm test)
//
// Every suite runs even when one fails; the exit code says whether everything passed.

import { spawnSync } from "node:child_process";
import { setup, ROOT } from "./setup.mjs";

function run(name, cmd, args) {
  console.log(`\n== ${name}: ${cmd} ${args.join(" ")}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  const ok = !r.error && r.status === 0;
  return { name, ok, secs, why: r.error ? r.error.message : `exit ${r.status}` };
}

try {
  await setup({ test: true });
} catch (e) {
  console.error(`\nsetup failed: ${e.message}`);
  process.exit(1);
}

const results = [
  run("Rust tests", "cargo", ["test", "--release", "--locked"]),
  run("walk-through tests", process.execPath, ["--test", "tests/walkthrough/"]),
  run("browser tests", process.execPath, ["--test", "--test-concurrency=1", "tests/browser/"]),
];
console.log("");
for (const r of results) console.log(`${r.ok ? "passed" : "FAILED"}  ${r.name} (${r.secs} s)${r.ok ? "" : `: ${r.why}`}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
