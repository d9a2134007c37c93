// Bundles the pages into ../static/dist and copies MapLibre GL's own files into ../static/vendor.
// Run at install time (make demo / make test); nothing is fetched from the internet at run time.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { checkSyntax } from "./check-syntax.mjs";

const OLD_PHONES = ["es2017", "chrome63", "safari11.1", "firefox67"];

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
    hotline: "src/hotline/main.js",
    open: "src/open/main.js",
    board: "src/board/main.js",
    sw: "src/mobile/sw.js",
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

// The public page (/c/) and the styles every page shares, for old phones too: an Android WebView or iOS Safari
// from 2018 (ES2017 modules; the map's dynamic import kept, it is only for phones that can draw MapLibre). A
// browser older still runs oldphone.js (ES5, a classic script), which says so instead of loading for ever.
// check-syntax.mjs fails the build if the output holds newer syntax than that.
await build({
  entryPoints: { citizen: "src/citizen/main.js", ui: "src/common/ui.css" },
  outdir: `${out}dist`,
  bundle: true,
  format: "esm",
  target: OLD_PHONES,
  // esbuild's table marks destructuring unsupported before Safari 14.1 for a corner case (defaults' scope) it
  // cannot rewrite; Safari 11 parses and runs ordinary destructuring, which is all this code (and gcoord) use
  supported: { destructuring: true },
  minify: true,
  sourcemap: true,
  external: ["/static/vendor/*"],
  logLevel: "info",
});
await build({
  entryPoints: { "citizen-oldphone": "src/citizen/oldphone.js" },
  outdir: `${out}dist`,
  bundle: true,
  format: "iife",
  target: "es5",
  minify: true,
  logLevel: "info",
});
checkSyntax(`${out}dist/citizen.js`, 2017);
checkSyntax(`${out}dist/citizen-oldphone.js`, 5);

// Every script, style and font gzipped once here; the app sends x.js.gz to browsers that take gzip
// (web/api/staticfiles.py): a quarter of the bytes on a slow 3G phone, and nothing to compress per request.
for (const dir of [`${out}dist`, `${out}vendor/maplibre`]) {
  for (const name of readdirSync(dir)) {
    if (/\.(js|mjs|css|svg|json|woff2?)$/.test(name)) {
      writeFileSync(`${dir}/${name}.gz`, gzipSync(readFileSync(`${dir}/${name}`), { level: 9 }));
    }
  }
}
