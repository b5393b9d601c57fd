/**
 * Quick fixes for the diagnostics people hit in a `*.model.json`, as text edits computed from the file's text and a
 * diagnostic's path: the nearest layer or optimizer name, units = the dataset's class count, a sigmoid for a single
 * output unit, the loss that matches the output, and removing an argument a layer does not take. Pure (jsonc-parser
 * edits), so the editor only turns them into code actions.
 */
import { findNodeAtLocation, modify, parseTree, type Edit, type JSONPath } from 'jsonc-parser';
import { LAYER_TYPES } from './layers/registry';
import { OPTIMIZER_ALIASES, OPTIMIZER_TYPES } from './optimizers';
import { closest } from './suggest';
import type { Diagnostic } from './types';

export interface QuickFix {
  title: string;
  edits: Edit[];
  /** The fix a user most likely wants (VS Code applies it with the "auto fix" shortcut). */
  preferred?: boolean;
}

/** `layers[1].units` → ['layers', 1, 'units']. */
export function parsePath(path: string): JSONPath {
  const out: JSONPath = [];
  for (const part of path.match(/[^.[\]]+|\[\d+\]/g) ?? [])
    out.push(part.startsWith('[') ? Number(part.slice(1, -1)) : part);
  return out;
}

const FORMAT = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } };

export function quickFixes(text: string, d: Pick<Diagnostic, 'code' | 'message' | 'path'>): QuickFix[] {
  if (!d.path) return [];
  const path = parsePath(d.path);
  const root = parseTree(text);
  if (!root) return [];
  const valueAt = (p: JSONPath): unknown => findNodeAtLocation(root, p)?.value;
  // Replacing or removing keeps the user's layout; only an inserted property is formatted.
  const set = (p: JSONPath, value: unknown) => modify(text, p, value, findNodeAtLocation(root, p) ? {} : FORMAT);
  const fixes: QuickFix[] = [];
  switch (d.code) {
    case 'unknown-layer': {
      const value = valueAt(path);
      const nearest = typeof value === 'string' ? closest(value, LAYER_TYPES) : undefined;
      if (nearest) fixes.push({ title: `Change to '${nearest}'`, edits: set(path, nearest), preferred: true });
      break;
    }
    case 'unknown-optimizer': {
      const value = valueAt(path);
      const names = path[path.length - 1] === 'type' ? OPTIMIZER_TYPES : [...OPTIMIZER_ALIASES, ...OPTIMIZER_TYPES];
      const nearest = typeof value === 'string' ? closest(value, names) : undefined;
      if (nearest) fixes.push({ title: `Change to '${nearest}'`, edits: set(path, nearest), preferred: true });
      break;
    }
    case 'unknown-argument': {
      const name = path[path.length - 1];
      if (findNodeAtLocation(root, path))
        fixes.push({ title: `Remove '${String(name)}'`, edits: set(path, undefined), preferred: true });
      break;
    }
    case 'classes-mismatch': {
      const classes = /has (\d+) classes/.exec(d.message)?.[1];
      if (classes)
        fixes.push({
          title: `Set units to ${classes} (one per class)`,
          edits: set(path, Number(classes)),
          preferred: true,
        });
      break;
    }
    case 'loss-mismatch': {
      const layers = findNodeAtLocation(root, ['layers']);
      const last = layers?.type === 'array' ? (layers.children?.length ?? 0) - 1 : -1;
      const suggested = /use '([a-z_]+)' for \d+ classes/.exec(d.message)?.[1];
      if (suggested) {
        fixes.push({ title: `Use loss '${suggested}'`, edits: set(['compile', 'loss'], suggested), preferred: true });
      } else if (/with a sigmoid unit/.test(d.message) && last >= 0) {
        // A categorical loss on one unit: two classes, as Keras does them.
        const edits = mergeEdits(text, [
          set(['compile', 'loss'], 'binary_crossentropy'),
          ['layers', last, 'activation'],
          'sigmoid',
        ]);
        fixes.push({ title: "Use 'binary_crossentropy' with a sigmoid output unit", edits, preferred: true });
      }
      break;
    }
    case 'loss-activation': {
      const layers = findNodeAtLocation(root, ['layers']);
      const last = layers?.type === 'array' ? (layers.children?.length ?? 0) - 1 : -1;
      if (last >= 0) {
        fixes.push({
          title: "Use activation 'sigmoid' on the output layer",
          edits: set(['layers', last, 'activation'], 'sigmoid'),
          preferred: true,
        });
      }
      break;
    }
  }
  return fixes.filter((f) => f.edits.length > 0);
}

/** Two modifications in one fix: the second is computed on the text the first produces, then both map back. */
function mergeEdits(text: string, [first, path, value]: [Edit[], JSONPath, unknown]): Edit[] {
  // Edits of one fix must not overlap; apply the first, compute the second on the result, and express the whole
  // change as one replacement of the span both touch.
  const once = applyEdits(text, first);
  const exists = findNodeAtLocation(parseTree(once) ?? { type: 'null', offset: 0, length: 0 }, path);
  const second = modify(once, path, value, exists ? {} : FORMAT);
  const after = applyEdits(once, second);
  let start = 0;
  while (start < text.length && start < after.length && text[start] === after[start]) start++;
  let endOld = text.length;
  let endNew = after.length;
  while (endOld > start && endNew > start && text[endOld - 1] === after[endNew - 1]) {
    endOld--;
    endNew--;
  }
  return [{ offset: start, length: endOld - start, content: after.slice(start, endNew) }];
}

export function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset))
    out = out.slice(0, e.offset) + e.content + out.slice(e.offset + e.length);
  return out;
}
