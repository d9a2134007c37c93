// The control room's search box: a case number (or its last digits), an area's name or code, or words of the
// description (GET /tickets?q=, in the caller's scope). One match opens the case at once; several are listed.
import { api, escapeHtml } from "../common/api.js";
import { statusLabel, t } from "../i18n/index.js";

export function searchBox(container, { categoryName, open }) {
  container.innerHTML = `
    <form class="search" role="search">
      <label class="filter"><span>${escapeHtml(t("map.search.label"))}</span>
        <input id="search" type="search" maxlength="100" autocomplete="off" enterkeyhint="search"
          placeholder="${escapeHtml(t("map.search.placeholder"))}"></label>
      <div id="search-results" class="search-results" role="listbox" hidden></div>
    </form>`;
  const form = container.querySelector("form");
  const input = container.querySelector("#search");
  const results = container.querySelector("#search-results");
  const close = () => { results.hidden = true; results.innerHTML = ""; };
  const choose = (id) => { close(); open(id); };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return close();
    let page;
    try {
      page = await api("/tickets", { query: { q, limit: 20 } });
    } catch (err) {
      results.hidden = false;
      results.innerHTML = `<p class="muted">${escapeHtml(err.message)}</p>`;
      return;
    }
    if (page.items.length === 1) return choose(page.items[0].id);
    results.hidden = false;
    results.innerHTML = page.items.length
      ? page.items.map((c) => `<button type="button" role="option" data-id="${c.id}">
          <b>${escapeHtml(c.case_number)}</b> <span class="muted">${escapeHtml(categoryName(c.category_code))} ·
          ${escapeHtml(statusLabel(c.status))}</span><br><span class="muted">${escapeHtml(c.description.slice(0, 40))}</span></button>`).join("")
        + (page.total > page.items.length ? `<p class="muted">${escapeHtml(t("map.search.more", { n: page.total - page.items.length }))}</p>` : "")
      : `<p class="muted">${escapeHtml(t("map.search.none", { q }))}</p>`;
  });
  results.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-id]");
    if (button) choose(Number(button.dataset.id));
  });
  input.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
}
