// @ts-check
// The user's own digits, kept in IndexedDB so that they survive reloads: each the 28×28 input the
// network saw when it was kept (grey levels from the core), with the label the user gave it.
// A database of its own, so that it never has to agree on a version with the models' one.

const DB = "backprop-lab-digits";
const STORE = "digits";

/** @typedef {{id: number, label: number, pixels: Uint8Array, keptAt: number}} OwnDigit */

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("the browser's storage is held by another tab of this page"));
  });
}

/**
 * Runs `fn(store)` in one transaction; resolves with the result of the request given to `keep`.
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore, keep: (req: IDBRequest) => void) => void} fn
 */
async function inStore(mode, fn) {
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

/** Digits read or written per transaction: the browser copies each record on the page's thread, and a
 * thousand at once held it for over 100 ms. */
const CHUNK = 100;

/** Every kept digit, oldest first, read a chunk at a time (see CHUNK). @returns {Promise<OwnDigit[]>} */
export async function listDigits() {
  /** @type {OwnDigit[]} */
  const all = [];
  for (;;) {
    const after = all.length ? IDBKeyRange.lowerBound(all[all.length - 1].id, true) : undefined;
    const part = (await inStore("readonly", (s, keep) => keep(s.getAll(after, CHUNK)))) || [];
    all.push(...part);
    if (part.length < CHUNK) return all;
  }
}

/**
 * Keeps digits; resolves with the new records' ids.
 * @param {{label: number, pixels: Uint8Array}[]} digits
 * @returns {Promise<number[]>}
 */
export async function addDigits(digits) {
  const ids = [];
  const keptAt = Date.now();
  for (let i = 0; i < digits.length; i += CHUNK) {
    await inStore("readwrite", (s) => {
      for (const d of digits.slice(i, i + CHUNK)) {
        const req = s.add({ label: d.label, pixels: d.pixels, keptAt });
        req.onsuccess = () => ids.push(/** @type {number} */ (req.result));
      }
    });
  }
  return ids;
}

/** @param {number} id @param {number} label */
export function relabelDigit(id, label) {
  return inStore("readwrite", (s) => {
    const get = s.get(id);
    get.onsuccess = () => get.result && s.put({ ...get.result, label });
  });
}

/** @param {number} id */
export function deleteDigit(id) {
  return inStore("readwrite", (s) => s.delete(id));
}
