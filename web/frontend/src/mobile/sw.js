// The report page's service worker (served at /m/sw.js, scope /m/): the page opens without signal.
// The page shell, its bundles and the vendored MapLibre are cached at install; the shell is fetched
// network-first (a new release shows at once when there is signal), MapLibre from the cache (refreshed
// in the background), and the worker's own data (me, categories, cells, cases) network-first with the
// last answer kept for offline use. Reports themselves are never cached here: the page queues them.
const SHELL = "gridops-m-shell-v1";
const DATA = "gridops-m-data";
const SHELL_URLS = [
  "/m/", "/m/manifest.webmanifest", "/static/dist/mobile.js", "/static/dist/mobile.css", "/static/dist/ui.css",
  "/static/vendor/maplibre/maplibre-gl.mjs", "/static/vendor/maplibre/maplibre-gl-worker.mjs",
  "/static/vendor/maplibre/maplibre-gl-shared.mjs", "/static/vendor/maplibre/maplibre-gl.css",
];
const LIVE_ONLY = /^\/api\/v1\/(locate|nearby|login|logout|tickets\/\d+\/photos)/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => Promise.all(
    SHELL_URLS.map((url) => cache.add(new Request(url, { cache: "reload" })).catch(() => null)),
  )));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith("gridops-m-shell") && key !== SHELL) await caches.delete(key);
    await self.clients.claim();
  })());
});

async function networkFirst(request, cacheName, fallbackUrl) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(cacheName);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (err) {
    const cache = await caches.open(cacheName);
    const cached = await cache.match(request) || (fallbackUrl && await cache.match(fallbackUrl));
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request, event) {
  const cache = await caches.open(SHELL);
  const cached = await cache.match(request);
  const refresh = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => null));
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (request.mode === "navigate" && path.startsWith("/m/")) {
    event.respondWith(networkFirst(request, SHELL, "/m/"));
  } else if (path.startsWith("/static/vendor/maplibre/")) {
    event.respondWith(cacheFirst(request, event));
  } else if (path.startsWith("/static/dist/") || path === "/m/manifest.webmanifest") {
    event.respondWith(networkFirst(request, SHELL));
  } else if (path.startsWith("/api/v1/") && !LIVE_ONLY.test(path)) {
    event.respondWith(networkFirst(request, DATA));
  }
});
