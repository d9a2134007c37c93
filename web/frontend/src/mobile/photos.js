// Photos: shrunk in the browser before upload (common/shrink.js); the GPS position in a photo's EXIF, if any,
// is offered as the location.
import { gps } from "exifr/dist/mini.esm.mjs";

export { shrink } from "../common/shrink.js";
export const MAX_PHOTOS = 6;

/** {lat, lng} from the photo's EXIF GPS tags, or null. */
export async function photoPosition(file) {
  try {
    const found = await gps(file);
    if (found && Number.isFinite(found.latitude) && Number.isFinite(found.longitude)) {
      return { lat: found.latitude, lng: found.longitude };
    }
  } catch { /* no EXIF: nothing to offer */ }
  return null;
}
