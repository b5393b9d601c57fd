/** Text a definition front end refuses before parsing: shared by the JSON parser and the CLI loader. */

export const MAX_MODEL_BYTES = 5 * 1024 * 1024;

/** Why this text cannot be a model file (one sentence), or undefined when it may be one. */
export function unreadableText(text: string, byteLength = utf8Length(text)): string | undefined {
  if (byteLength > MAX_MODEL_BYTES) {
    return `The file is ${(byteLength / 1024 / 1024).toFixed(1)} MB, larger than the 5 MB a model definition may be; check that this is the right file.`;
  }
  if (text.includes('\u0000'))
    return 'The file contains NUL bytes, so it is binary, not a text model definition; check that this is the right file.';
  if (text.trim() === '') return 'The file is empty; a model definition needs at least { "layers": [ ... ] }.';
  return undefined;
}

/** UTF-8 size without Node's Buffer, so the core also runs in a browser. */
function utf8Length(text: string): number {
  if (text.length * 3 <= MAX_MODEL_BYTES) return text.length; // cannot exceed the limit; exact size not needed
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
