// Runs before the page's module in every browser, old ones included (written in ES5, built as a classic
// script): a browser without ES modules (an old Android WebView, iOS 10) never runs citizen.js, and one whose
// engine cannot parse it reports an error before the page has drawn itself; either way the citizen is told so,
// and given the hotline, instead of "正在加载…" for ever. Once the page has drawn (#main), errors are not its
// business.
(function () {
  var TEXT = "这个页面无法在您的浏览器中运行：请更新浏览器或换用其他浏览器，也可以拨打 12345 热线反映问题。" +
    " This page cannot run in your browser: update it or use another one, or call the 12345 hotline.";

  function tooOld() {
    var app = document.getElementById("app");
    if (!app || document.getElementById("main") || document.getElementById("too-old")) return;
    app.innerHTML = "";
    var p = document.createElement("p");
    p.id = "too-old";
    p.className = "pad";
    p.setAttribute("role", "alert");
    p.appendChild(document.createTextNode(TEXT + " "));
    var call = document.createElement("a");
    call.href = "tel:12345";
    call.className = "button";
    call.appendChild(document.createTextNode("12345"));
    p.appendChild(call);
    app.appendChild(p);
  }

  function whenParsed(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  if (!("noModule" in document.createElement("script"))) {
    whenParsed(tooOld);
    return;
  }
  window.addEventListener("error", function () { whenParsed(tooOld); });
})();
