/**
 * Checks `compare.variants`: every `set` path must lead somewhere the definition has, and each variant's own
 * definition is analysed, its new problems reported at the `set` entry that caused them.
 */
import { keyRangeFor, pathKey, parsePathKey, rangeFor, setPath } from './paths';
import { didYouMean } from './suggest';
import { sentence } from './validate';
import { ZERO_RANGE } from './text-lines';
import type { DefPath, Diagnostic, ModelDefinition, Range, SourceRanges } from './types';

const SETTABLE = ['name', 'dataset', 'layers', 'outputs', 'compile', 'fit'];

type AnalyzeFn = (def: ModelDefinition) => Diagnostic[];

export function checkVariants(def: ModelDefinition, ranges: SourceRanges, analyzeOne: AnalyzeFn): Diagnostic[] {
  const variants = def.compare?.variants;
  if (!Array.isArray(variants)) return [];
  const { compare: _compare, ...base } = def;
  const layerCount = Array.isArray(def.layers) ? def.layers.length : 0;
  const out: Diagnostic[] = [];
  let baseKeys: Set<string> | undefined;

  variants.forEach((v, k) => {
    if (!v || typeof v !== 'object' || !v.set || typeof v.set !== 'object' || Array.isArray(v.set)) return;
    const label = typeof v.label === 'string' ? v.label : `#${k + 1}`;
    const entryPath = (key: string): DefPath => ['compare', 'variants', k, 'set', key];
    const keyRange = (key: string): Range => keyRangeFor(ranges, entryPath(key)) ?? ZERO_RANGE;
    const valueRange = (key: string): Range => rangeFor(ranges, entryPath(key)) ?? ZERO_RANGE;
    const report = (
      key: string,
      message: string,
      code: string,
      range: Range,
      severity: Diagnostic['severity'] = 'error',
    ) => out.push({ range, severity, message: `Variant '${label}': ${message}`, code, path: pathKey(entryPath(key)) });

    let variantDef = base as ModelDefinition;
    const applied: { key: string; path: string }[] = [];
    for (const [key, value] of Object.entries(v.set)) {
      const path = parsePathKey(key);
      if (!path || path.length === 0) {
        report(
          key,
          `'${key}' is not a definition path; write it like "layers[1].activation" or "fit.batch_size".`,
          'variant-path',
          keyRange(key),
        );
        continue;
      }
      const head = String(path[0]);
      if (!SETTABLE.includes(head)) {
        const hint = didYouMean(head, SETTABLE) || `; paths start with ${SETTABLE.join(', ')}`;
        report(key, sentence(`'${key}' does not lead into the definition${hint}`), 'variant-path', keyRange(key));
        continue;
      }
      if (head === 'layers' && path.length > 1) {
        if (typeof path[1] !== 'number') {
          report(key, `'${key}' needs a layer index after layers, like layers[1].`, 'variant-path', keyRange(key));
          continue;
        }
        if (path[1] >= layerCount) {
          report(
            key,
            `layers[${path[1]}] does not exist: the model has ${layerCount} layer${layerCount === 1 ? '' : 's'} (layers[0] to layers[${layerCount - 1}]).`,
            'variant-path',
            keyRange(key),
          );
          continue;
        }
      }
      try {
        variantDef = setPath(variantDef, path, value);
        applied.push({ key, path: pathKey(path) });
      } catch (e) {
        report(
          key,
          `cannot set '${key}': ${e instanceof Error ? e.message : String(e)}.`,
          'variant-path',
          keyRange(key),
        );
      }
    }
    if (applied.length === 0) return;

    // Only problems the variant introduces: the base definition's own are reported once, where they are.
    baseKeys ??= new Set(analyzeOne(base as ModelDefinition).map(diagKey));
    for (const d of analyzeOne(variantDef)) {
      if (baseKeys.has(diagKey(d))) continue;
      const owner = ownerOf(d.path ?? '', applied);
      if (!owner) {
        const range = rangeFor(ranges, ['compare', 'variants', k, 'set']) ?? ZERO_RANGE;
        out.push({
          range,
          severity: d.severity,
          message: `Variant '${label}': ${d.message}`,
          code: d.code,
          path: d.path,
        });
        continue;
      }
      const range =
        d.code === 'unknown-argument' || d.code === 'variant-path' ? keyRange(owner.key) : valueRange(owner.key);
      report(owner.key, d.message, d.code, range, d.severity);
    }
  });
  return out;
}

function diagKey(d: Diagnostic): string {
  return `${d.code}|${d.path}|${d.message}`;
}

/**
 * The set entry a diagnostic is about: the longest set path that contains it or that it contains, else an entry
 * changing the same layer (units set, softmax warned about).
 */
function ownerOf(path: string, applied: { key: string; path: string }[]): { key: string; path: string } | undefined {
  let best: { key: string; path: string } | undefined;
  for (const a of applied) {
    const related = within(path, a.path) || within(a.path, path);
    if (related && (!best || a.path.length > best.path.length)) best = a;
  }
  const layer = /^layers\[\d+\]/.exec(path)?.[0];
  return best ?? (layer ? applied.find((a) => within(a.path, layer)) : undefined);
}

function within(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`) || outer === '';
}
