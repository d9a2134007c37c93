// The category picker: 部件 / 事件, then a major class, then a minor class as large buttons; or a search
// across names (Chinese and English), codes and major classes that lists the matching minor classes.
import { escapeHtml } from "../common/api.js";
import { t } from "../i18n/index.js";

const en = () => document.documentElement.lang === "en";

export function categoryName(c) {
  return c ? (en() ? c.name_en : c.name) : "";
}

export function majorName(c) {
  return c ? (en() ? c.major_name_en : c.major_name) : "";
}

export class CategoryPicker {
  constructor(root, categories, onPick) {
    this.root = root;
    this.categories = categories;
    this.onPick = onPick;
    this.kind = "event";
    this.major = null;  // "E01"
    this.query = "";
    root.addEventListener("click", (e) => {
      const b = e.target.closest("button");
      if (!b) return;
      if (b.dataset.kind) { this.kind = b.dataset.kind; this.major = null; this.render(); }
      if (b.dataset.major) { this.major = b.dataset.major; this.render(); }
      if (b.dataset.back !== undefined) { this.major = null; this.render(); }
      if (b.dataset.code) this.onPick(b.dataset.code);
    });
  }

  search(text) {
    this.query = text.trim().toLowerCase();
    this.render();
  }

  minorButton(c, withMajor) {
    return `<button type="button" class="choice" data-code="${c.code}"><b>${escapeHtml(categoryName(c))}</b>
      <small>${c.code}${withMajor ? ` · ${escapeHtml(majorName(c))}` : ""}</small></button>`;
  }

  render() {
    const cats = this.categories;
    if (this.query) {
      const q = this.query;
      const hits = cats.filter((c) => [c.code, c.name, c.name_en, c.major_name, c.major_name_en]
        .some((s) => String(s).toLowerCase().includes(q)));
      this.root.innerHTML = hits.length
        ? `<div class="choices">${hits.slice(0, 30).map((c) => this.minorButton(c, true)).join("")}</div>`
        : `<p class="muted">${t("m.category.none")}</p>`;
      return;
    }
    const kinds = ["event", "component"].map((k) => `<button type="button" class="seg ${this.kind === k ? "on" : ""}"
      data-kind="${k}" aria-pressed="${this.kind === k}">${t(`m.kind.${k}`)}</button>`).join("");
    let body;
    if (this.major) {
      const minors = cats.filter((c) => c.code.slice(0, 3) === this.major);
      body = `<button type="button" class="link" data-back>‹ ${escapeHtml(majorName(minors[0]))}</button>
        <div class="choices">${minors.map((c) => this.minorButton(c, false)).join("")}</div>`;
    } else {
      const majors = new Map();
      for (const c of cats.filter((x) => x.kind === this.kind)) if (!majors.has(c.code.slice(0, 3))) majors.set(c.code.slice(0, 3), c);
      body = `<div class="choices two">${[...majors].map(([code, c]) =>
        `<button type="button" class="choice" data-major="${code}"><b>${escapeHtml(majorName(c))}</b><small>${code}</small></button>`).join("")}</div>`;
    }
    this.root.innerHTML = `<div class="segs">${kinds}</div>${body}`;
  }
}
