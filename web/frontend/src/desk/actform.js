// The form of an act that needs more than a click: a reason, hours, photos (the resolve's after-photos, an
// appeal's evidence), checked before it is sent. Which acts have which fields: FORMS.
import { escapeHtml, publicNote as publicNoteField } from "../common/api.js";
import { fieldValues, restoreFields } from "../common/draft.js";
import { extensionHoursProblem, maxExtensionHours } from "../common/extension.js";
import { actionLabel, t } from "../i18n/index.js";

// the words of a required photo: the rule shown above the field, and the error when none was chosen
export const PHOTO_RULE = {
  resolve: ["desk.photo_rule", "desk.error.after_photo_required"],
  appeal: ["desk.appeal_photo_rule", "desk.error.appeal_photo_required"],
};

const picked = new WeakMap(); // an open form ([data-form]) → the photos chosen in it

/** What is filled in the act's form open in ``box`` ({action, values, files}), to open it again as it was (a
 * language switch draws the case again); null when no form is open. */
export function draftOf(box) {
  const form = box?.querySelector("[data-form]");
  return form ? { action: form.dataset.form, values: fieldValues(form), files: [...(picked.get(form) || [])] } : null;
}

const FORMS = {
  request_return: ["reason"], request_extension: ["hours", "reason"], request_suspension: ["reason"],
  resolve: ["reason", "photos"], comment: ["reason"], appeal: ["reason", "photos"], uphold_appeal: ["reason"],
  dismiss_appeal: ["reason"],
};

/** Open the form of ``action`` in ``box``; false when the act needs no form (send it at once). ``publicNote``:
 * the reporter will read the reason (resolve on a citizen's case), so its field says so.
 * ``onSubmit({reason, payload, photos})`` gets what was filled in; ``onCancel()`` follows a cancel. ``draft``
 * (from ``draftOf``): what was filled in before, put back. */
export function openActForm(box, action, { needPhoto = false, publicNote = false, draft = null, onCancel, onSubmit }) {
  const fields = FORMS[action];
  if (!fields) return false;
  const shown = publicNoteField(publicNote, "act-reason-public");  // a citizen's case: the reply is on their tracking page
  const files = [...(draft?.files || [])];
  box.innerHTML = `<div class="card form" data-form="${action}">
      <h3>${escapeHtml(actionLabel(action))}</h3>
      ${fields.includes("hours") ? `<label for="act-hours">${t("desk.hours")}</label><input id="act-hours" name="hours" type="number" min="1" max="${maxExtensionHours()}" value="8">` : ""}
      ${fields.includes("reason") ? `<label for="act-reason">${t(action === "resolve" ? "desk.note" : "reason")}${shown.badge}</label>${shown.hint}
        <textarea id="act-reason" name="reason" rows="3"${shown.describedBy} required></textarea>` : ""}
      ${fields.includes("photos") ? `<label for="after-photos">${t(action === "appeal" ? "photo.appeal" : "desk.after_photos")}${needPhoto
        ? ` <span class="required">${t("desk.required")}</span>` : ""}</label>
        ${needPhoto ? `<p class="hint" id="photo-rule">${t(PHOTO_RULE[action][0])}</p>` : ""}
        <input id="after-photos" name="photos" type="file" accept="image/*" multiple ${needPhoto
          ? "required aria-describedby=\"photo-rule\"" : ""}>
        <div class="picked"></div>` : ""}
      <div class="actions"><button class="primary" data-go>${t("confirm")}</button><button data-cancel>${t("cancel")}</button></div>
      <p class="error" role="alert"></p></div>`;
  const showFiles = () => {
    const list = box.querySelector(".picked");
    list.innerHTML = files.map((f, i) => `<span class="pick"><img src="${URL.createObjectURL(f)}" alt="">
      <button type="button" class="remove" data-remove="${i}" aria-label="${escapeHtml(t("desk.remove_photo"))}">×</button></span>`).join("");
    list.querySelectorAll("[data-remove]").forEach((b) => b.addEventListener("click", () => {
      files.splice(Number(b.dataset.remove), 1);
      showFiles();
    }));
  };
  picked.set(box.querySelector("[data-form]"), files);
  restoreFields(box.querySelector("[data-form]"), draft?.values);
  if (files.length) showFiles();
  box.querySelector("[data-cancel]").addEventListener("click", () => {
    box.innerHTML = "";
    onCancel?.();
  });
  box.querySelector("[name=photos]")?.addEventListener("change", (ev) => {
    files.push(...ev.target.files);
    ev.target.value = ""; // the list below holds them: choose more, remove one
    showFiles();
  });
  box.querySelector("[data-go]").addEventListener("click", () => {
    const get = (n) => box.querySelector(`[name=${n}]`);
    const extra = {};
    if (get("reason")) extra.reason = get("reason").value;
    if (get("hours")) {
      const problem = extensionHoursProblem(get("hours").value);
      if (problem) {
        box.querySelector(".error").textContent = problem;
        get("hours").focus();
        return;
      }
      extra.payload = { hours: Number(get("hours").value) };
    }
    if (get("photos")) extra.photos = [...files];
    if (needPhoto && !files.length) {
      box.querySelector(".error").textContent = t(PHOTO_RULE[action][1]);
      return;
    }
    onSubmit(extra);
  });
  return true;
}
