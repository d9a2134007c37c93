// An act's form with something typed in it is not thrown away by a click elsewhere: the pages ask first, inside
// the form ("discard what you typed?"), and keep it unless the user says to drop it.
import { escapeHtml } from "./api.js";
import { t } from "../i18n/index.js";

/** Whether ``form`` holds anything the user typed or chose: a field changed from its default, a photo picked. */
export function hasDraft(form) {
  if (!form) return false;
  if (form.querySelector(".picked")?.childElementCount) return true;
  return [...form.querySelectorAll("input, textarea, select")].some((el) => {
    if (el.tagName === "SELECT") return [...el.options].some((o) => o.selected !== o.defaultSelected);
    if (["file", "checkbox", "radio", "button", "submit"].includes(el.type)) return false;
    return el.value.trim() !== el.defaultValue.trim();
  });
}

/** Ask inside ``form`` whether to drop what was typed; ``onDiscard()`` when the user says so, else nothing changes. */
export function askDiscard(form, onDiscard) {
  form.querySelector(".discard")?.remove();
  const box = document.createElement("div");
  box.className = "discard";
  box.setAttribute("role", "alert");
  box.innerHTML = `<span>${escapeHtml(t("draft.question"))}</span>
    <button type="button" class="danger" data-discard>${escapeHtml(t("draft.discard"))}</button>
    <button type="button" data-keep>${escapeHtml(t("draft.keep"))}</button>`;
  (form.querySelector("h3") || form.firstChild)?.after(box);
  box.querySelector("[data-keep]").addEventListener("click", () => {
    box.remove();
    form.querySelector("textarea, input, select")?.focus();
  });
  box.querySelector("[data-discard]").addEventListener("click", () => { box.remove(); onDiscard(); });
  box.scrollIntoView({ block: "nearest" });
  box.querySelector("[data-keep]").focus();
}

/** What is typed or chosen in ``form``'s fields, by name (files aside): to be put back with ``restoreFields`` into
 * the same form drawn again (a language switch). */
export function fieldValues(form) {
  const values = {};
  form?.querySelectorAll("input[name], textarea[name], select[name]").forEach((el) => {
    if (el.type !== "file") values[el.name] = el.value;
  });
  return values;
}

/** Put ``values`` (from ``fieldValues``) back into ``form``'s fields; a change event for each field that differs,
 * so what depends on it (a reason needed or not) follows. */
export function restoreFields(form, values) {
  if (!form || !values) return;
  form.querySelectorAll("input[name], textarea[name], select[name]").forEach((el) => {
    if (el.type === "file" || !(el.name in values) || el.value === values[el.name]) return;
    el.value = values[el.name];
    el.dispatchEvent(new Event("change", { bubbles: true }));
  });
}
