// How long an extension may be: checked before the request (the desk's 申请延期, the map's 批准延期), so a
// wrong figure is said as such in the form.
import { t } from "../i18n/index.js";

// the longest extension the server grants (dispatch/options.py max_extension_hours)
export const MAX_EXTENSION_HOURS = 720;

/** What is wrong with the hours typed for an extension, in words; "" when the server grants them. */
export function extensionHoursProblem(value) {
  const hours = Number(value); // blank reads 0
  return hours > 0 && hours <= MAX_EXTENSION_HOURS ? "" : t("error.extension_hours_out_of_range", { max_hours: MAX_EXTENSION_HOURS });
}
