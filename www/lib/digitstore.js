// @ts-check
// The user's own digits, kept in IndexedDB so that they survive reloads: each the 28×28 input the
// network saw when it was kept (grey levels from the core), with the label the user gave it.
// A database of its own, so that it never has to agree on a version with the models' one.

import { openDatabase, once } from "./db.js";

const DB = "backprop-lab-digits";
const STORE = "digits";

/** @typedef {{id: number, label: number, pixels: Uint8Array, keptAt: number}} OwnDigit */

/** @returns {Promise<IDBDatabase>} */
const open = () => openDatabase(DB, 1, (db) => db.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }));

/**
 * Runs `fn(store)` in one transaction; resolves with the result of the request given to `keep`.
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore, keep: (req: IDBRequest) => void) => void} fn
 */
const inStore = (mode, fn) => once(open, STORE, mode, fn);

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
