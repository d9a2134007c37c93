// Bundles the pages into ../static/dist and copies MapLibre GL's own files into ../static/vendor.
// Run at install time (make demo / make test); nothing is fetched from the internet at run time.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const out = new URL("../static/", import.meta.url).pathname;
rmSync(`${out}dist`, { recursive: true, force: true });
mkdirSync(`${out}vendor/maplibre`, { recursive: true });
for (const f of ["maplibre-gl.mjs", "maplibre-gl-shared.mjs", "maplibre-gl-worker.mjs", "maplibre-gl.css"]) {
  cpSync(`node_modules/maplibre-gl/dist/${f}`, `${out}vendor/maplibre/${f}`);
}
await build({
  entryPoints: {
    login: "src/login.js",
    mobile: "src/mobile/main.js",
    map: "src/map/main.js",
    desk: "src/desk/main.js",
    sheet: "src/sheet/main.js",
    admin: "src/admin/main.js",
    citizen: "src/citizen/main.js",
    hotline: "src/hotline/main.js",
    open: "src/open/main.js",
    board: "src/board/main.js",
    sw: "src/mobile/sw.js",
    ui: "src/common/ui.css",
  },
  outdir: `${out}dist`,
  bundle: true,
  format: "esm",
  target: ["chrome100", "safari15", "firefox100"],
  minify: true,
  sourcemap: true,
  external: ["/static/vendor/*"],
  logLevel: "info",
});

// Every script, style and font gzipped once here; the app sends x.js.gz to browsers that take gzip
// (web/api/staticfiles.py): a quarter of the bytes on a slow 3G phone, and nothing to compress per request.
for (const dir of [`${out}dist`, `${out}vendor/maplibre`]) {
  for (const name of readdirSync(dir)) {
    if (/\.(js|mjs|css|svg|json|woff2?)$/.test(name)) {
      writeFileSync(`${dir}/${name}.gz`, gzipSync(readFileSync(`${dir}/${name}`), { level: 9 }));
    }
  }
}
