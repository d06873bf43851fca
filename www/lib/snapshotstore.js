// @ts-check
// The timeline's snapshots in IndexedDB (used by the worker, which holds them): one record per step
// kept, {key, runId, step, entry, bytes}, bytes being a model file with the optimizer's state and
// the trainer's place. Only the current run's are kept: what the core's timeline lets go is
// deleted, and a new run deletes the others, so the stored bytes stay within the timeline's bound.
// A record is also all a resume needs: loading its bytes gives a trainer that goes on exactly
// where the run was.

import { openDb, inStore, SNAPSHOTS } from "./db.js";

/** @typedef {{step: number, epoch: number, epoch_end: boolean, bytes: number}} Entry */
/** @typedef {{key: string, runId: string, step: number, entry: Entry, bytes: Uint8Array}} SnapshotRecord */

const key = (/** @type {string} */ runId, /** @type {number} */ step) => `${runId} ${String(step).padStart(12, "0")}`;

/** @type {Promise<IDBDatabase> | null} */
let db = null;
function database() {
  db ??= openDb().then((d) => {
    d.addEventListener("close", () => (db = null));
    return d;
  });
  return db;
}

// Writes happen one after the other, in the order they were asked for.
let queue = Promise.resolve();
/** @param {(db: IDBDatabase) => Promise<any>} fn */
function write(fn) {
  const next = queue.then(async () => fn(await database()));
  queue = next.catch(() => {});
  return next;
}

/** Stores the snapshot of `runId` at `entry.step`. @param {string} runId @param {Entry} entry @param {Uint8Array} bytes */
export function putSnapshot(runId, entry, bytes) {
  return write((d) =>
    inStore(d, SNAPSHOTS, "readwrite", (s) => s.put({ key: key(runId, entry.step), runId, step: entry.step, entry, bytes })),
  );
}

/** Deletes the snapshots of `runId` at `steps`. @param {string} runId @param {number[]} steps */
export function deleteSnapshots(runId, steps) {
  if (!steps.length) return Promise.resolve();
  return write((d) => inStore(d, SNAPSHOTS, "readwrite", (s) => steps.forEach((step) => s.delete(key(runId, step)))));
}

/** Deletes every snapshot that is not of `runId`. @param {string} runId */
export function keepOnlyRun(runId) {
  return write((d) =>
    inStore(d, SNAPSHOTS, "readwrite", (s) => {
      const req = s.openCursor();
      req.onsuccess = () => {
        const c = req.result;
        if (!c) return;
        if (c.value.runId !== runId) c.delete();
        c.continue();
      };
    }),
  );
}

/**
 * Every snapshot of `runId`, by step.
 * @param {string} runId
 * @returns {Promise<SnapshotRecord[]>}
 */
export async function loadRun(runId) {
  await queue;
  const d = await database();
  const records = /** @type {SnapshotRecord[]} */ (
    await inStore(d, SNAPSHOTS, "readonly", (s, keep) => keep(s.index("run").getAll(runId)))
  );
  return records.sort((a, b) => a.step - b.step);
}
