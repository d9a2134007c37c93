// Whether a built script parses at an old ECMAScript version (acorn), so that the public page's bundle cannot
// quietly grow syntax an old phone's browser would refuse (and stay on "正在加载…"). The one newer form
// allowed is a dynamic import(), which loads the map on phones that can draw it.
// Run by build.mjs after every build; `node check-syntax.mjs FILE:VERSION …` checks files by hand.
import { readFileSync } from "node:fs";
import { parse } from "acorn";

export function checkSyntax(file, ecmaVersion) {
  const code = readFileSync(file, "utf8").replace(/\bimport\(/g, "__import(");
  try {
    parse(code, { ecmaVersion, sourceType: ecmaVersion >= 2015 ? "module" : "script" });
  } catch (err) {
    const at = err.pos ?? 0;
    throw new Error(`${file} is not ES${ecmaVersion}: ${err.message} near ${JSON.stringify(code.slice(at - 40, at + 40))}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  for (const arg of process.argv.slice(2)) {
    const [file, version = "2017"] = arg.split(":");
    checkSyntax(file, Number(version));
    console.log(`${file}: ES${version}`);
  }
}
