/**
 * What the names in a script refer to, from its imports: `tf` → `tensorflow`, `layers` → `keras.layers`,
 * `Dense` → `keras.layers.Dense`. Every spelling of a Keras name is brought to one canonical form (`keras.…`), so
 * `tf.keras.layers.Dense`, `keras.layers.Dense` and a bare imported `Dense` all read the same.
 */
import type { Node } from './py-node';
import { knownKerasName } from './keras-names';
import type { ScriptIndex } from './script-index';
import { dottedParts } from './syntax';

export class Imports {
  private readonly aliases = new Map<string, string>();
  private readonly starModules: string[] = [];

  constructor(index: ScriptIndex) {
    for (const node of index.ofTypes(['import_statement', 'import_from_statement'])) {
      if (node.type === 'import_statement') this.readImport(node);
      else if (node.type === 'import_from_statement') this.readFromImport(node);
    }
  }

  /**
   * Canonical dotted name of a name or attribute chain, or undefined when it is not one. `boundElsewhere` says
   * whether the script binds the first name otherwise (an assignment, a parameter): then no default applies.
   */
  resolve(node: Node, boundElsewhere: (name: string) => boolean): string | undefined {
    const parts = dottedParts(node);
    if (!parts) return undefined;
    const [head, ...rest] = parts;
    let base = this.aliases.get(head);
    if (base === undefined && !boundElsewhere(head)) {
      // Snippets often skip their imports; the two conventional names are safe to assume.
      if (head === 'keras') base = 'keras';
      else if (head === 'tf') base = 'tensorflow';
      else if (rest.length === 0) {
        // Of several `from … import *`, the last module that has the name provides it, as in Python.
        for (const module of [...this.starModules].reverse()) {
          const candidate = canonical(`${module}.${head}`);
          if (knownKerasName(candidate)) return candidate;
        }
      }
    }
    return canonical([base ?? head, ...rest].join('.'));
  }

  private readImport(node: Node): void {
    for (const name of node.childrenForFieldName('name')) {
      if (!name) continue;
      if (name.type === 'aliased_import') {
        const module = name.childForFieldName('name');
        const alias = name.childForFieldName('alias');
        if (module && alias) this.aliases.set(alias.text, module.text);
      } else {
        // `import tensorflow.keras` binds `tensorflow`, and the full chain resolves through it.
        const first = name.text.split('.')[0];
        this.aliases.set(first, first);
      }
    }
  }

  private readFromImport(node: Node): void {
    const moduleNode = node.childForFieldName('module_name');
    if (!moduleNode || moduleNode.type !== 'dotted_name') return; // relative imports are the user's own code
    const module = moduleNode.text;
    if (node.namedChildren.some((c) => c?.type === 'wildcard_import')) {
      this.starModules.push(module);
      return;
    }
    for (const name of node.childrenForFieldName('name')) {
      if (!name) continue;
      if (name.type === 'aliased_import') {
        const imported = name.childForFieldName('name');
        const alias = name.childForFieldName('alias');
        if (imported && alias) this.aliases.set(alias.text, `${module}.${imported.text}`);
      } else {
        this.aliases.set(name.text, `${module}.${name.text}`);
      }
    }
  }
}

const PREFIXES: [RegExp, string][] = [
  [/^tensorflow\.(python\.)?keras(\.|$)/, 'keras$2'],
  [/^tf_keras(\.|$)/, 'keras$1'],
  [/^keras\.api\._v2\.keras(\.|$)/, 'keras$1'],
  [/^keras\.src(\.|$)/, 'keras$1'],
  [/^tensorflow\.optimizers\./, 'keras.optimizers.'],
  [/^tensorflow\.losses\./, 'keras.losses.'],
  [/^tensorflow\.metrics\./, 'keras.metrics.'],
  [/^keras\.optimizers\.(legacy|experimental)\./, 'keras.optimizers.'],
  [/^keras\.models\.Sequential$/, 'keras.Sequential'],
  [/^keras\.(engine\.)?sequential\.Sequential$/, 'keras.Sequential'],
  [/^keras\.layers\.Input$/, 'keras.Input'],
  [
    /^keras\.layers\.(core|convolutional|pooling|reshaping|regularization|normalization|experimental\.preprocessing)\.(\w+)$/,
    'keras.layers.$2',
  ],
];

/** Brings a dotted name to Keras's public spelling (`tensorflow.keras.models.Sequential` → `keras.Sequential`). */
export function canonical(name: string): string {
  let out = CANONICAL.get(name);
  if (out !== undefined) return out;
  out = name;
  for (const [pattern, replacement] of PREFIXES) out = out.replace(pattern, replacement);
  // Every call's name is brought here several times per read: eleven regular expressions each time showed in the
  // profile of a large file. The distinct names of a script are few; the memo is dropped when it grows large.
  if (CANONICAL.size >= 10_000) CANONICAL.clear();
  CANONICAL.set(name, out);
  return out;
}

const CANONICAL = new Map<string, string>();
