// A small static server for www/, on 127.0.0.1 only.
//
// It sends what the page needs and nothing looser: the right MIME types (application/wasm lets the
// browser compile while downloading), Cross-Origin-Opener-Policy / Embedder-Policy (an isolated
// page), and a strict Content-Security-Policy: scripts only from this origin and never inline,
// 'wasm-unsafe-eval' so WebAssembly may compile, connections only back to this origin.
//
//   node scripts/serve.mjs            serves www/ on http://127.0.0.1:8080 (PORT=... to change)
//   import { createServer } from "./serve.mjs"   used by the browser tests (port 0 = any free port)

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./paths.mjs";

export const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".gz": "application/gzip",
  ".safetensors": "application/octet-stream",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/**
 * The Content-Security-Policy, defined once: sent as a header here, and written into the static
 * build's index.html as a <meta http-equiv> tag by scripts/build.mjs (CSP_META below).
 */
export const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

export const CSP = CSP_DIRECTIVES.join("; ");

// A policy in a <meta> tag cannot carry frame-ancestors (browsers ignore it there and say so in the
// console; only a header can stop other sites from framing the page), so the meta version leaves
// it out. Nor can a meta tag set the other headers below: a static build on a plain host is not
// cross-origin isolated (no COOP/COEP, so no SharedArrayBuffer), and its worker scripts run
// without a policy of their own (a worker's policy comes only from its response's headers).
export const CSP_META = CSP_DIRECTIVES.filter((d) => !d.startsWith("frame-ancestors")).join("; ");

export const SECURITY_HEADERS = {
  "Content-Security-Policy": CSP,
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};
const HEADERS = SECURITY_HEADERS;
const NOT_ISOLATED_HEADERS = Object.fromEntries(
  Object.entries(SECURITY_HEADERS).filter(([h]) => h !== "Cross-Origin-Opener-Policy" && h !== "Cross-Origin-Embedder-Policy"),
);

/**
 * A static server. `mounts` maps URL prefixes to directories, first match wins; the default serves
 * www/ at "/". A mount's optional third element adds response headers by file extension (the
 * tests use it to play a host that sends its own, e.g. {".gz": {"Content-Encoding": "gzip"}}).
 * `isolated: false` leaves out COOP/COEP (a page that is not cross-origin isolated, as on a host
 * that does not send them). Returns the (not yet listening) http.Server.
 * @param {{mounts?: Array<[string, string] | [string, string, Record<string, Record<string, string>>]>, log?: boolean, isolated?: boolean}} options
 */
export function createServer({ mounts = [["/", path.join(ROOT, "www")]], log = false, isolated = true } = {}) {
  const SECURITY_HEADERS = isolated ? HEADERS : NOT_ISOLATED_HEADERS;
  return http.createServer(async (req, res) => {
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      if (log) console.log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "only GET and HEAD\n");
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://127.0.0.1").pathname);
    } catch {
      return send(400, "bad URL\n");
    }
    const mount = mounts.find(
      ([prefix]) => pathname === prefix.replace(/\/$/, "") || pathname.startsWith(prefix.endsWith("/") ? prefix : prefix + "/"),
    );
    if (!mount) return send(404, "not found\n");
    const [prefix, dir, extraHeaders = {}] = mount;
    const rel = pathname.slice(prefix.replace(/\/$/, "").length);
    const root = path.resolve(dir);
    let file = path.join(root, rel);
    if (file !== root && !file.startsWith(root + path.sep)) return send(403, "forbidden\n");
    try {
      let stat = await fs.promises.stat(file);
      if (stat.isDirectory()) {
        if (!pathname.endsWith("/")) {
          res.writeHead(301, { ...SECURITY_HEADERS, Location: pathname + "/" });
          return res.end();
        }
        file = path.join(file, "index.html");
        stat = await fs.promises.stat(file);
      }
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        "Content-Type": MIME[path.extname(file).toLowerCase()] || "application/octet-stream",
        "Content-Length": stat.size,
        // Everything is rebuilt in place by the set-up step, so the browser must always ask again.
        "Cache-Control": "no-cache",
        ...extraHeaders[path.extname(file).toLowerCase()],
      });
      if (log) console.log(`200 ${req.method} ${req.url}`);
      if (req.method === "HEAD") return res.end();
      fs.createReadStream(file)
        .on("error", () => res.destroy())
        .pipe(res);
    } catch {
      send(404, `not found: ${pathname}\n`);
    }
  });
}

/** Starts listening on 127.0.0.1:`port` (0 = a free port); resolves to {server, port, url}. */
export function listen(server, port = 0) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const actual = server.address().port;
      resolve({ server, port: actual, url: `http://127.0.0.1:${actual}` });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, found "${process.env.PORT}"`);
    process.exit(2);
  }
  const server = createServer({ log: process.env.LOG === "1" });
  listen(server, port).then(
    ({ url }) => console.log(`backprop-lab is at ${url}/  (Ctrl+C to stop)`),
    (e) => {
      console.error(e.code === "EADDRINUSE" ? `port ${port} is in use; choose another with PORT=...` : `cannot serve: ${e.message}`);
      process.exit(1);
    },
  );
}
