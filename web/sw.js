// The page's service worker: every same-origin response the page gets (the page, its scripts, the
// library bundle; the model is cached by worker.js) is kept in the Cache API, and used when the server cannot be
// reached, so that the page loads and prunes offline once it has been loaded. The network comes
// first, so a rebuilt page or bundle is picked up at once while the server runs.

const CACHE = "sparseswaps-page";
/** What the page needs to start, cached when the worker installs. */
const PAGE = ["/", "/app.js", "/worker.js", "/dist/sparseswaps.js", "/dist/sparseswaps_worker.js"];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    await (await caches.open(CACHE)).addAll(PAGE);
    await self.skipWaiting();
  })());
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  // The model files are cached by the page's worker itself (worker.js), once.
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/models/")) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      if (response.ok) await cache.put(request, response.clone());
      return response;
    } catch (error) {
      const cached = await cache.match(request);
      if (cached) return cached;
      throw error;
    }
  })());
});
