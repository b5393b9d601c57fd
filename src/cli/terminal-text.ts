/**
 * What the CLI prints reaches a terminal, and model names, layer names, class labels, file names and worker messages
 * are user text: an escape sequence in a CSV label could recolour, retitle or clear the user's terminal, or rewrite a
 * line already printed. Everything the CLI writes passes through `terminalSafe` (in `main`), which keeps newlines
 * and tabs and drops every other control character, whole escape sequences, and bidirectional overrides.
 */
/* eslint-disable no-control-regex -- matching control characters is this file's purpose */

/** ESC-introduced sequences: CSI (`ESC [ … final`), OSC/DCS/APC/PM/SOS strings (up to BEL or ST), and two-byte ones. */
const ESCAPE_SEQUENCE =
  /\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x20-\x7e]?)/g;
/** C1 CSI and string introducers (U+009B, U+009D …) with what follows, as some terminals honour them too. */
const C1_SEQUENCE =
  /\u009b[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|[\u0090\u009d\u009e\u009f\u0098][^\x07\u009c]*(?:\x07|\u009c)?/g;
/** Remaining control characters except tab and newline, DEL, and the bidirectional formatting characters. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(C1_SEQUENCE, '').replace(CONTROL, '');
}
