// Photos shrunk in the browser before upload (long side 1600 px, JPEG 0.85), so a report leaves an old phone
// on slow 3G in seconds. The same as the worker's page (mobile/photos.js) without its EXIF reader, which would
// add 28 KB to this page's first load.
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
  const scale = Math.min(1, LONG_SIDE / Math.max(image.width, image.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  image.close?.();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  return blob || file;
}
