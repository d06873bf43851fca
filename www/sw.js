// @ts-check
// The service worker of the static build (`npm run build` → dist/): it keeps every file of the
// page in the browser, so that after the first visit the page works with no network at all.
//
// scripts/build.mjs replaces the `BUILD` line below with the precache manifest: every file of the
// build with the SHA-256 of its bytes, and a version, the hash of that list. So the cache's name
// changes exactly when some file's content does, and the browser, which compares this script byte
// for byte on every visit, sees a new build.
//
//   install   downloads every file into a new cache named after the version, bypassing the HTTP
//             cache and checking each file's hash; a file that is already in an older cache with
//             the same hash is copied from there (an update downloads only what changed). One
//             missing or wrong file and the install fails and its cache is deleted: the old version
//             stays in charge, whole.
//   waiting   while a page of the old version is open, the new one waits (that page may still load
//             modules lazily, and they must come from its own version); the page offers a reload
//             (www/lib/offline.js), which sends "skipWaiting".
//   activate  deletes the caches of older versions, then takes control of open pages.
//   fetch     files of the build come from the cache (cache first); anything else goes to the network.
//
// In www/ itself (the development server, `npm start`) nothing registers this worker and `BUILD`
// stays null. A null BUILD makes it remove itself: if a static build was once served from the same
// origin, its worker would go on serving the old cached files over the live ones; the page it
// serves asks for this script again, gets this version, and this version deletes the caches,
// unregisters and reloads the pages it controlled, which then come from the server.

/** @type {{version: string, files: Record<string, string>} | null} */
const BUILD = null;

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const SCOPE = sw.registration.scope;
// Several builds can live on one origin (one per folder), and CacheStorage is per origin: each
// scope only ever touches its own caches.
const PREFIX = `backprop-lab ${SCOPE} `;
const HASH_HEADER = "X-Backprop-Lab-SHA256";

if (BUILD) serveBuild(BUILD);
else removeSelf();

/** @param {{version: string, files: Record<string, string>}} build */
function serveBuild(build) {
  const cacheName = PREFIX + build.version;

  sw.addEventListener("install", (event) => event.waitUntil(precache(cacheName, build.files)));

  sw.addEventListener("activate", (event) => {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys()) {
          if (name.startsWith(PREFIX) && name !== cacheName) await caches.delete(name);
        }
        await sw.clients.claim();
      })(),
    );
  });

  sw.addEventListener("message", (event) => {
    if (event.data?.type === "skipWaiting") sw.skipWaiting();
  });

  sw.addEventListener("fetch", (event) => {
    const request = event.request;
    if (request.method !== "GET" || !request.url.startsWith(SCOPE)) return;
    const path = relativePath(request.url);
    if (path === null || !Object.hasOwn(build.files, path)) return;
    event.respondWith(
      (async () => {
        const cache = await caches.open(cacheName);
        // Only if the browser evicted the cache: the network, as without a service worker.
        return (await cache.match(SCOPE + path)) || fetch(request);
      })(),
    );
  });
}

/** The file a URL of the scope names ("index.html" for a folder), or null; query and fragment aside. */
function relativePath(url) {
  const u = new URL(url);
  let path;
  try {
    path = decodeURIComponent(u.pathname.slice(new URL(SCOPE).pathname.length));
  } catch {
    return null;
  }
  return path === "" || path.endsWith("/") ? `${path}index.html` : path;
}

/**
 * Fills cache `cacheName` with every file, each checked against its hash; all or nothing.
 * @param {string} cacheName
 * @param {Record<string, string>} files path → SHA-256 (hex)
 */
async function precache(cacheName, files) {
  const cache = await caches.open(cacheName);
  const results = await Promise.allSettled(
    Object.entries(files).map(async ([path, hash]) => {
      const url = SCOPE + path;
      const old = await caches.match(url);
      if (old && old.headers.get(HASH_HEADER) === hash) return cache.put(url, old);
      // "reload": past the HTTP cache, which may hold the previous build's file for a while.
      const res = await fetch(url, { cache: "reload" });
      if (!res.ok) throw new Error(`${path}: the server answered ${res.status}`);
      const bytes = await res.arrayBuffer();
      if ((await sha256(bytes)) !== hash) throw new Error(`${path}: not the file this version lists (an upload under way?)`);
      // A new response, with the bytes as they are (any transfer encoding undone) and the hash; it
      // also drops any redirect the host made, which a navigation would refuse.
      const headers = new Headers({ "Content-Length": String(bytes.byteLength), [HASH_HEADER]: hash });
      const type = res.headers.get("Content-Type");
      if (type) headers.set("Content-Type", type);
      await cache.put(url, new Response(bytes, { status: 200, headers }));
    }),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) {
    await caches.delete(cacheName);
    throw failed.reason;
  }
}

/** @param {ArrayBuffer} bytes */
async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function removeSelf() {
  sw.addEventListener("install", () => sw.skipWaiting());
  sw.addEventListener("activate", (event) => {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys()) if (name.startsWith(PREFIX)) await caches.delete(name);
        await sw.registration.unregister();
        for (const client of await sw.clients.matchAll({ type: "window" })) {
          await client.navigate(client.url).catch(() => {});
        }
      })(),
    );
  });
}
