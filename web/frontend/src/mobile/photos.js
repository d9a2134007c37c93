// Photos: shrunk in the browser before upload (common/shrink.js); the GPS position in a photo's EXIF, if any,
// is offered as the location.
import { gps } from "exifr/dist/mini.esm.mjs";
import { shrink } from "../common/shrink.js";

export { shrink };
export const MAX_PHOTOS = 6;

/** The picture shrunk for upload, or null when it is not one the browser can read (a PDF, a document, a
 * file named .jpg that is not): refused when picked, not by the server once the report is sent. */
export async function readPhoto(file) {
  if (file.type && !file.type.startsWith("image/")) return null;
  const blob = await shrink(file);
  return blob === file ? null : blob;  // shrink hands the file back when it cannot decode it
}

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
