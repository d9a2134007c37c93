// Photos shrunk in the browser before upload (long side 1600 px, JPEG 0.85), so a report leaves a cheap phone
// on a weak signal or slow 3G in seconds. Shared by the worker's page and the public page (which must not
// load the worker page's EXIF reader: 28 KB of its first load).
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
