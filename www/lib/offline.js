// @ts-check
// Offline use of the static build: registers its service worker (www/sw.js), says in the footer
// when the page is stored for use without a network, and offers a reload when a new build is ready.
//
// Only the static build registers it: scripts/build.mjs writes
// <meta name="backprop-lab:service-worker" content="sw.js"> into its index.html. The development
// server serves www/ as it is, without that tag, so while developing every file comes fresh from
// disk and no cache can hide a change.

/**
 * @param {{alert: (message: string, options?: {kind?: string, actions?: Array<[string, () => void]>}) => unknown}} app
 */
export function startOffline(app) {
  const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="backprop-lab:service-worker"]'));
  if (!meta || !("serviceWorker" in navigator)) return;
  const sw = navigator.serviceWorker;
  // A page that already had a worker reloads when a newer one takes over (after "Reload now" here
  // or in another tab), so that it never runs old modules beside new ones.
  const hadController = !!sw.controller;
  sw.addEventListener("controllerchange", () => {
    if (hadController) location.reload();
  });
  sw.register(new URL(meta.content, document.baseURI), { updateViaCache: "none" }).then(
    (registration) => {
      if (!registration) return; // service workers turned off (a test browser can do that)
      let offered = false;
      const offerUpdate = () => {
        const waiting = registration.waiting;
        if (!waiting || !sw.controller || offered) return;
        offered = true;
        app.alert("A new version of backprop-lab is ready. Reload to use it; your saved model and settings stay.", {
          kind: "info",
          actions: [["Reload now", () => waiting.postMessage({ type: "skipWaiting" })]],
        });
      };
      offerUpdate();
      registration.addEventListener("updatefound", () => {
        const installing = registration.installing;
        installing?.addEventListener("statechange", () => {
          if (installing.state === "installed") offerUpdate();
        });
      });
      return sw.ready.then(() => footerNote("Stored in this browser: this page now works without a network."));
    },
    (e) => footerNote(`This page could not be stored for offline use (${e.message}); it works while online.`),
  );
}

/** @param {string} text */
function footerNote(text) {
  const footer = document.querySelector(".site-footer");
  if (!footer) return;
  let note = footer.querySelector(".offline-note");
  if (!note) {
    note = document.createElement("p");
    note.className = "offline-note";
    footer.append(note);
  }
  note.textContent = text;
}
