/**
 * A Python file's bytes as text, the way Python decodes them (PEP 263): UTF-8 unless a `# -*- coding: X -*-`
 * comment on the first or second line names another encoding. Pure: no Node Buffer, so the core runs anywhere.
 */

/** Python's cookie: a comment on line 1, or on line 2 after a comment or blank line 1. */
const COOKIE = /^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)/;

const LATIN_1 = new Set(['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1', 'iso-latin-1', 'l1']);
const UTF_8 = new Set(['utf-8', 'utf8', 'utf_8', 'u8']);

/** The encoding a cookie in the first two lines declares, lower-cased, or undefined. */
export function declaredEncoding(bytes: Uint8Array): string | undefined {
  // The cookie is ASCII in every encoding Python accepts, so the first two lines can be read as Latin-1 here.
  let end = 0;
  let lines = 0;
  while (end < bytes.length && end < 4096 && lines < 2) if (bytes[end++] === 0x0a) lines++;
  const head = latin1(bytes.subarray(0, end)).split(/\r?\n/);
  const first = COOKIE.exec(head[0] ?? '');
  if (first) return first[1].toLowerCase().replace(/_/g, '-');
  if (head.length > 1 && /^[ \t\f]*(#.*)?$/.test(head[0])) {
    const second = COOKIE.exec(head[1] ?? '');
    if (second) return second[1].toLowerCase().replace(/_/g, '-');
  }
  return undefined;
}

/** True ISO-8859-1 (every byte is the code point of the same value), unlike the web's 'latin1' (windows-1252). */
function latin1(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/**
 * The text of a Python source file, or a one-line error with the line where Python would stop. Without a cookie
 * the bytes are UTF-8 (invalid bytes are replaced; the caller's binary-file checks see them).
 */
export function decodePythonSource(bytes: Uint8Array): { text: string } | { error: string; line: number } {
  const declared = declaredEncoding(bytes);
  const withoutBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (declared === undefined || UTF_8.has(declared)) return { text: new TextDecoder('utf-8').decode(withoutBom) };
  if (LATIN_1.has(declared)) return { text: latin1(bytes) };
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(declared, { fatal: true });
  } catch {
    return {
      error: `unknown encoding '${declared}' in the coding comment; Python refuses the file. Write '# -*- coding: utf-8 -*-' or save the file as UTF-8.`,
      line: 0,
    };
  }
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    return {
      error: `the file is not valid ${declared}, as its coding comment declares; Python refuses the file.`,
      line: 0,
    };
  }
}
