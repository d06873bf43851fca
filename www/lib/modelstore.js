// @ts-check
// Keeps the current model in IndexedDB so a reload (or a crash) never loses it: the model file's
// bytes as the worker saved them, plus what the page needs to redraw the run (settings, charts).
// When a different run takes its place, the one before is kept as "previous", so starting again
// by mistake loses nothing either.

import { openDb, inStore, MODELS } from "./db.js";

/** Runs `fn(store, keep)` in one transaction; resolves with the kept request's result. */
async function run(mode, fn) {
  const db = await openDb();
  try {
    return await inStore(db, MODELS, mode, fn);
  } finally {
    db.close();
  }
}

/**
 * `training`: a run was under way, to `epochs` epochs (null: it was paused, done or never started).
 * @param {{bytes: Uint8Array, savedAt: number, runId: string, origin: string, settings: object,
 *          history: object, evaluation: object, training?: {epochs: number} | null}} record
 */
export function saveCurrent(record) {
  return run("readwrite", (store) => {
    const get = store.get("current");
    get.onsuccess = () => {
      const old = get.result;
      if (old && old.runId !== record.runId) store.put(old, "previous");
      store.put(record, "current");
    };
  });
}

/**
 * Keeps `record` as the previous model at once (a model about to be replaced by a new run, so
 * that the way back is there before the new run's first autosave).
 * @param {{bytes: Uint8Array, savedAt: number, runId: string, origin: string, settings: object,
 *          history: object, evaluation: object}} record
 */
export function savePrevious(record) {
  return run("readwrite", (store) => void store.put(record, "previous"));
}

async function read(key) {
  try {
    return (await run("readonly", (store, keep) => keep(store.get(key)))) || null;
  } catch {
    return null; // storage unavailable (some private windows): nothing saved
  }
}

/** The saved record, or null. */
export const loadCurrent = () => read("current");
/** The record of the run before the current one, or null. */
export const loadPrevious = () => read("previous");
