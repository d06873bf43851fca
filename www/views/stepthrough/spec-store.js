// @ts-check
// The tiny network being edited, kept in IndexedDB so that a reload (or a crash) loses nothing:
// the spec as last accepted, the editor's text as typed (even when it is not valid JSON yet), the
// steps taken and their losses, and the network after those steps (the core's export, with the
// optimizer's state, so that it goes on where it stopped). localStorage would not do: its 5 MB
// cannot hold a spec with a million weights.

import { openDatabase, once } from "../../lib/db.js";

const DB = "backprop-lab-stepthrough";
const STORE = "specs";
const KEY = "custom";

/**
 * @typedef {object} SpecRecord
 * @property {string | Blob} [source] the spec the tiny network was last built from (the core accepted
 *   it): its JSON, as a Blob when big (IndexedDB keeps a Blob without copying it on the page's thread)
 * @property {string | Blob | null} [draft] the editor's content when it differs from `source`
 * @property {"form" | "json"} [tab] the editor's tab
 * @property {boolean} [editorOpen]
 * @property {number} [taken]    steps taken since `source`
 * @property {number[]} [losses] the loss before each of them
 * @property {Blob | string | null} [state] the network after those steps: the core's export of it
 * @property {string} [mode]     the view's mode when last used
 */

/** @returns {Promise<IDBDatabase>} */
const open = () => openDatabase(DB, 1, (db) => db.createObjectStore(STORE));

/**
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest | void} fn
 * @returns {Promise<any>}
 */
function run(mode, fn) {
  return once(open, STORE, mode, (store, keep) => {
    const req = fn(store);
    if (req) keep(req);
  });
}

/** The record of the last visit, or null. @returns {Promise<SpecRecord | null>} */
export async function loadSpecRecord() {
  try {
    const record = (await run("readonly", (s) => s.get(KEY))) ?? null;
    current = { ...record };
    return record;
  } catch {
    return null; // storage unavailable (private mode, blocked): the view starts afresh
  }
}

/** @type {Promise<void>} */
let queue = Promise.resolve();
/** What the store holds (this page is its only writer). @type {SpecRecord} */
let current = {};

/**
 * Merges `changes` into the stored record. Writes are queued so that they land in order.
 * @param {SpecRecord} changes
 * @returns {Promise<Error | null>} why the write failed, or null
 */
export function saveSpecRecord(changes) {
  const done = queue
    .then(() => {
      current = { ...current, ...changes };
      return run("readwrite", (s) => s.put({ ...current, savedAt: Date.now() }, KEY));
    })
    .then(
      () => null,
      (e) => (e instanceof Error ? e : new Error(String(e))),
    );
  queue = done.then(() => undefined);
  return done;
}
