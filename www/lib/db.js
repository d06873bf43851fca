// @ts-check
// The page's IndexedDB database, opened the same way by the page (lib/modelstore.js: the current
// and the previous model) and by the worker (lib/snapshotstore.js: the timeline's snapshots), so
// that both agree on its version and its stores.
//
//   models      "current" and "previous": a model file with what the page needs to redraw its run
//   snapshots   the timeline of the current run: one model file per step kept, keyed "run step"

export const DB = "backprop-lab";
export const VERSION = 2;
export const MODELS = "models";
export const SNAPSHOTS = "snapshots";

/**
 * Opens IndexedDB database `name` at `version`; `upgrade(db)` creates what a new version needs.
 * (The page's other databases, the user's digits and the step-through's spec, open this way too.)
 * @param {string} name @param {number} version @param {(db: IDBDatabase) => void} upgrade
 * @returns {Promise<IDBDatabase>}
 */
export function openDatabase(name, version, upgrade) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    req.onupgradeneeded = () => upgrade(req.result);
    req.onsuccess = () => {
      // Another tab (or a newer page) wants a newer version: let it.
      req.result.onversionchange = () => req.result.close();
      resolve(req.result);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("the browser's storage is held by another tab of this page"));
  });
}

/** @returns {Promise<IDBDatabase>} */
export function openDb() {
  return openDatabase(DB, VERSION, (db) => {
    if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS);
    if (!db.objectStoreNames.contains(SNAPSHOTS)) db.createObjectStore(SNAPSHOTS, { keyPath: "key" }).createIndex("run", "runId");
  });
}

/**
 * Runs `fn(store, keep)` in one transaction on `store`; resolves with the result of the request
 * passed to `keep`, once the transaction has completed.
 * @param {IDBDatabase} db @param {string} name @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore, keep: (req: IDBRequest) => void) => void} fn
 */
export function inStore(db, name, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(name, mode);
    let last = null;
    fn(tx.objectStore(name), (req) => (last = req));
    tx.oncomplete = () => resolve(last ? last.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("the browser's storage refused the write"));
  });
}

/**
 * Opens a database with `open`, runs [inStore] on its store `name`, and closes it again.
 * @param {() => Promise<IDBDatabase>} open @param {string} name @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore, keep: (req: IDBRequest) => void) => void} fn
 */
export async function once(open, name, mode, fn) {
  const db = await open();
  try {
    return await inStore(db, name, mode, fn);
  } finally {
    db.close();
  }
}
