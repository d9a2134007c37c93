// How long an extension may be: checked before the request (the desk's 申请延期, the map's 批准延期), so a
// wrong figure is said as such in the form.
import { t } from "../i18n/index.js";

let maxHours = Infinity; // the longest extension the server grants: GET /lifecycle's max_extension_hours

/** The page has read the lifecycle table (GET /lifecycle): its extension limit is the one checked here. */
export function useLifecycle(lifecycle) { maxHours = lifecycle.max_extension_hours; }

export const maxExtensionHours = () => maxHours;

/** What is wrong with the hours typed for an extension, in words; "" when the server grants them. */
export function extensionHoursProblem(value) {
  const hours = Number(value); // blank reads 0
  return hours > 0 && hours <= maxHours ? "" : t("error.extension_hours_out_of_range", { max_hours: maxHours });
}
