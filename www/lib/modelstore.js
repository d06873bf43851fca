// @ts-check
// Keeps the current model in IndexedDB so a reload (or a crash) never loses it: the model file's
// bytes as the worker saved them, plus what the page needs to redraw the run (settings, charts).
// When a different run takes its place, the one before is kept as "previous", so starting again
// by mistake loses nothing either.

const DB = "backprop-lab";
const STORE = "models";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Runs `fn(store)` in one transaction; resolves with the last request's result. */
async function run(mode, fn) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let last = null;
      fn(tx.objectStore(STORE), (req) => (last = req));
      tx.oncomplete = () => resolve(last ? last.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("the browser's storage refused the write"));
    });
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
