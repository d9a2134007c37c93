// Photos: shrunk in the browser before upload (long side 1600 px, JPEG), so a report leaves a cheap phone
// on a weak signal in seconds; the GPS position in a photo's EXIF, if any, is offered as the location.
import { gps } from "exifr/dist/mini.esm.mjs";

export const MAX_PHOTOS = 6;
const LONG_SIDE = 1600;

async function decode(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch { /* fall back to an <img> below */ }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A JPEG Blob no longer than 1600 px on its long side; the original file when it cannot be decoded. */
export async function shrink(file) {
  let image;
  try {
    image = await decode(file);
  } catch {
    return file;
  }
  const w = image.width, h = image.height;
  const scale = Math.min(1, LONG_SIDE / Math.max(w, h));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  image.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  return blob || file;
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
