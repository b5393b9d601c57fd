/**
 * Checks for messages crossing the webview boundary. The webview's messages are untrusted input to the extension
 * host (a compromised or buggy page must not be able to make the host write anywhere or run anything), so
 * `parseWebviewMessage` is strict and returns a fresh object holding only the known fields. Messages from the host
 * are trusted but may come from an older or newer extension version: `parseHostMessage` checks their shape just
 * enough for the UI not to break on them. Pure: runs in Node and in the webview bundle.
 */
import type { ExamplesReply, HostToWebview, RunRecord, WebviewToHost } from './protocol';
import { EXAMPLES_PER_REQUEST, TITLE_MAX_LENGTH } from './protocol';

/** Record and run ids: what the run store generates (letters, digits, dash, underscore). */
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Chart names in `savePng`: a short slug such as `loss` or `accuracy`. */
const CHART = /^[a-z0-9][a-z0-9-]{0,63}$/i;
const PNG_PREFIX = 'data:image/png;base64,';
/** A PNG of a chart is well under a megabyte; 20 MB bounds what the host will decode. */
export const MAX_DATA_URL_LENGTH = 20 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_NOTICE_LENGTH = 10_000;

type Plain = Record<string, unknown>;

/** A plain object (not an array, not a class instance) whose own keys are exactly within `allowed`. */
function plainWith(msg: unknown, allowed: readonly string[]): msg is Plain {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return false;
  const proto = Object.getPrototypeOf(msg);
  if (proto !== Object.prototype && proto !== null) return false;
  return Reflect.ownKeys(msg).every((k) => typeof k === 'string' && allowed.includes(k));
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && ID.test(v);
}

/** A record's name from the history's Rename: printable text, no control characters, at most TITLE_MAX_LENGTH. */
export function cleanTitle(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > TITLE_MAX_LENGTH * 4) return undefined;
  const title = v.trim();
  // eslint-disable-next-line no-control-regex
  if (title.length > TITLE_MAX_LENGTH || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(title)) return undefined;
  return title;
}

function isSplit(v: unknown): v is 'validation' | 'test' {
  return v === 'validation' || v === 'test';
}

function isCount(v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
}

function isPngDataUrl(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > MAX_DATA_URL_LENGTH || !v.startsWith(PNG_PREFIX)) return false;
  const body = v.slice(PNG_PREFIX.length);
  return body.length > 0 && body.length % 4 === 0 && BASE64.test(body);
}

export function parseWebviewMessage(msg: unknown): WebviewToHost | undefined {
  if (typeof msg !== 'object' || msg === null) return undefined;
  const type = (msg as Plain).type;
  switch (type) {
    case 'ready':
      return plainWith(msg, ['type']) ? { type } : undefined;
    case 'stop': {
      if (!plainWith(msg, ['type', 'runId'])) return undefined;
      if (msg.runId === undefined) return { type };
      return isId(msg.runId) ? { type, runId: msg.runId } : undefined;
    }
    case 'openRecord':
      return plainWith(msg, ['type', 'id']) && isId(msg.id) ? { type, id: msg.id } : undefined;
    case 'pinRecord':
      return plainWith(msg, ['type', 'id', 'pinned']) && isId(msg.id) && typeof msg.pinned === 'boolean'
        ? { type, id: msg.id, pinned: msg.pinned }
        : undefined;
    case 'deleteRecord':
      return plainWith(msg, ['type', 'id']) && isId(msg.id) ? { type, id: msg.id } : undefined;
    case 'export':
      return plainWith(msg, ['type', 'format']) &&
        (msg.format === 'csv' || msg.format === 'json' || msg.format === 'history-csv')
        ? { type, format: msg.format }
        : undefined;
    case 'savePng':
      return plainWith(msg, ['type', 'chart', 'dataUrl']) &&
        typeof msg.chart === 'string' &&
        CHART.test(msg.chart) &&
        isPngDataUrl(msg.dataUrl)
        ? { type, chart: msg.chart, dataUrl: msg.dataUrl }
        : undefined;
    case 'examples': {
      if (!plainWith(msg, ['type', 'requestId', 'recordId', 'runId', 'split', 'positions'])) return undefined;
      const { requestId, recordId, runId, split, positions } = msg;
      if (!isCount(requestId) || !isId(recordId) || !isId(runId) || !isSplit(split)) return undefined;
      if (!Array.isArray(positions) || positions.length === 0 || positions.length > EXAMPLES_PER_REQUEST)
        return undefined;
      if (!positions.every((p) => isCount(p)) || new Set(positions).size !== positions.length) return undefined;
      return { type, requestId, recordId, runId, split, positions: [...(positions as number[])] };
    }
    case 'renameRecord': {
      if (!plainWith(msg, ['type', 'id', 'title']) || !isId(msg.id)) return undefined;
      const title = cleanTitle(msg.title);
      return title === undefined ? undefined : { type, id: msg.id, title };
    }
    case 'repeatComparison':
      return plainWith(msg, ['type', 'id']) && isId(msg.id) ? { type, id: msg.id } : undefined;
    default:
      return undefined;
  }
}

const MAX_IMAGE_SIDE = 1024;

/** A gallery reply the webview can draw without throwing: sizes agree with the pixels, rows are numbers. */
function isExamplesReply(msg: Plain): msg is ExamplesReply & Plain {
  if (!isCount(msg.requestId) || !isId(msg.recordId) || !isId(msg.runId) || !isSplit(msg.split)) return false;
  if (msg.kind === 'unavailable') return typeof msg.reason === 'string' && msg.reason.length <= MAX_NOTICE_LENGTH;
  if (!Array.isArray(msg.items) || msg.items.length > EXAMPLES_PER_REQUEST) return false;
  const items = msg.items as unknown[];
  if (!items.every((i) => isObject(i) && isCount(i.position))) return false;
  if (msg.kind === 'image') {
    const shape = msg.shape;
    if (!Array.isArray(shape) || shape.length !== 3) return false;
    const [h, w, c] = shape as unknown[];
    if (!isCount(h, MAX_IMAGE_SIDE) || !isCount(w, MAX_IMAGE_SIDE) || (c !== 1 && c !== 3) || h < 1 || w < 1)
      return false;
    const bytes = h * w * c;
    // Base64 of n bytes is 4·⌈n/3⌉ characters.
    return items.every(
      (i) =>
        typeof (i as Plain).pixels === 'string' &&
        ((i as Plain).pixels as string).length === 4 * Math.ceil(bytes / 3) &&
        BASE64.test((i as Plain).pixels as string),
    );
  }
  if (msg.kind === 'row') {
    return (
      Array.isArray(msg.columns) &&
      msg.columns.every((c) => typeof c === 'string') &&
      items.every(
        (i) =>
          Array.isArray((i as Plain).values) &&
          ((i as Plain).values as unknown[]).length <= (msg.columns as unknown[]).length &&
          ((i as Plain).values as unknown[]).every((v) => typeof v === 'number'),
      )
    );
  }
  return false;
}

function isObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Enough of a model summary for the summary section: an object with its layers. */
const isSummary = (v: unknown): boolean => isObject(v) && Array.isArray(v.layers);

/**
 * Enough of a record for the UI to render it without throwing: the fields every section reads. The run store
 * accepts a file as a record by the same test, so nothing it reads back can be refused by the panel.
 */
export function isRecord(v: unknown): v is RunRecord {
  if (!isObject(v)) return false;
  if (v.version !== 1 || typeof v.id !== 'string' || (v.kind !== 'train' && v.kind !== 'compare')) return false;
  if (typeof v.createdAt !== 'string' || !isSummary(v.model)) return false;
  if (!Array.isArray(v.runs)) return false;
  return v.runs.every(
    (r) =>
      isObject(r) &&
      typeof r.runId === 'string' &&
      typeof r.label === 'string' &&
      typeof r.status === 'string' &&
      isObject(r.history) &&
      isObject(r.optimizer) &&
      Array.isArray(r.epochMs) &&
      (r.steps === undefined || Array.isArray(r.steps)) &&
      (r.model === undefined || isSummary(r.model)),
  );
}

function isHistory(v: unknown): boolean {
  return Array.isArray(v) && v.every((i) => isObject(i) && typeof i.id === 'string' && typeof i.createdAt === 'string');
}

export function parseHostMessage(msg: unknown): HostToWebview | undefined {
  if (!isObject(msg)) return undefined;
  switch (msg.type) {
    case 'show':
      return isRecord(msg.record) && isHistory(msg.history) && Array.isArray(msg.pinned) && msg.pinned.every(isRecord)
        ? (msg as HostToWebview)
        : undefined;
    case 'update':
      return isRecord(msg.record) ? (msg as HostToWebview) : undefined;
    case 'history':
      return isHistory(msg.history) ? (msg as HostToWebview) : undefined;
    case 'notice':
      return (msg.level === 'info' || msg.level === 'error') &&
        typeof msg.message === 'string' &&
        msg.message.length <= MAX_NOTICE_LENGTH
        ? (msg as HostToWebview)
        : undefined;
    case 'examples':
      return isExamplesReply(msg) ? (msg as HostToWebview) : undefined;
    default:
      return undefined;
  }
}
