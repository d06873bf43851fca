// Every test: the set-up step (as for serving, plus Chromium), the guard rails, then the Rust
// tests in release mode (the accuracy tests train real models) and the browser tests.
//
//   node scripts/test.mjs                 (npm test)
//   node scripts/test.mjs --guards-only   the guard rails alone (npm run check), after a set-up
//
// The guard rails run first and fail fast: formatting (cargo fmt, prettier), the JavaScript's
// types (tsc, against the .d.ts of the wasm build and protocol.js's message types) and clippy,
// natively and for wasm32. Each failure says what to run to fix it, and the test suites do not
// start until every guard rail passes. Every test suite runs even when another fails; the exit
// code says whether everything passed.

import { spawnSync } from "node:child_process";
import path from "node:path";
import { setup } from "./setup.mjs";
import { ROOT } from "./paths.mjs";

const BIN = path.join(ROOT, "node_modules", ".bin");

function run(name, cmd, args, fix) {
  console.log(`\n== ${name}: ${path.basename(cmd)} ${args.join(" ")}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  const ok = !r.error && r.status === 0;
  return { name, ok, secs, why: r.error ? r.error.message : `exit ${r.status}`, fix };
}

function report(results) {
  console.log("");
  for (const r of results) {
    console.log(`${r.ok ? "passed" : "FAILED"}  ${r.name} (${r.secs} s)${r.ok ? "" : `: ${r.why}${r.fix ? `; to fix: ${r.fix}` : ""}`}`);
  }
  return results.every((r) => r.ok);
}

/** The guard rails, quickest first; stops at the first that fails. */
function guardRails() {
  const rails = [
    ["Rust formatting", "cargo", ["fmt", "--check"], "run `cargo fmt`"],
    ["JS/CSS/HTML formatting", path.join(BIN, "prettier"), ["--check", "--log-level", "warn", "."], "run `npx prettier --write .`"],
    [
      "JavaScript types",
      path.join(BIN, "tsc"),
      ["-p", "."],
      "correct the types or JSDoc named above (`npx tsc -p .`; files opt in with // @ts-check)",
    ],
    [
      "clippy (native)",
      "cargo",
      ["clippy", "--locked", "--all-targets", "--", "-D", "warnings"],
      "change what clippy names above (`cargo clippy --all-targets`)",
    ],
    [
      "clippy (wasm32)",
      "cargo",
      ["clippy", "--locked", "--target", "wasm32-unknown-unknown", "--lib", "--", "-D", "warnings"],
      "change what clippy names above (`cargo clippy --target wasm32-unknown-unknown --lib`)",
    ],
  ];
  const results = [];
  for (const [name, cmd, args, fix] of rails) {
    const r = run(`guard rail: ${name}`, cmd, args, fix);
    results.push(r);
    if (!r.ok) break;
  }
  return results;
}

const guardsOnly = process.argv.includes("--guards-only");
if (!guardsOnly) {
  try {
    await setup({ test: true });
  } catch (e) {
    console.error(`\nsetup failed: ${e.message}`);
    process.exit(1);
  }
}

const guards = guardRails();
if (guardsOnly || !guards.every((r) => r.ok)) {
  const ok = report(guards);
  if (!ok) console.log("\nThe tests did not run: fix the guard rail above first.");
  process.exit(ok ? 0 : 1);
}

const results = [
  ...guards,
  run("Rust tests", "cargo", ["test", "--release", "--locked"]),
  run("walk-through tests", process.execPath, ["--test", "tests/walkthrough/"]),
  run("browser tests", process.execPath, ["--test", "--test-concurrency=1", "tests/browser/"]),
];
process.exit(report(results) ? 0 : 1);
