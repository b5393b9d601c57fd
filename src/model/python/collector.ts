/** What reading one model accumulates: source ranges by path, diagnostics, and whether the model was cut short. */
import type { Node } from './py-node';
import { pathKey } from '../paths';
import type {
  DefPath,
  Diagnostic,
  ModelDefinition,
  ParsedModel,
  Range,
  Severity,
  SummaryPrint,
  TrainingOption,
} from '../types';
import { rangeOf } from './syntax';

/**
 * Why a Sequential model nothing gives an input shape is incomplete (models.ts `buildsOnData`); used as a layer it
 * is still read whole, built on what it is called on (nested-models.ts).
 */
export const BUILDS_ON_DATA = 'summary needs an input shape: Keras builds it when it is first called on data';

/**
 * One string per path key: every model of a file has `layers[1].units` and the like, and each made its own (a
 * concatenation, kept to the read's end with its pieces). Bounded, as the paths a long session meets are not.
 */
const KEYS = new Map<string, string>();
const MAX_KEYS = 20_000;
function keyOf(path: DefPath, base?: string): string {
  const key = pathKey(path, base);
  const known = KEYS.get(key);
  if (known !== undefined) return known;
  if (KEYS.size >= MAX_KEYS) KEYS.clear();
  KEYS.set(key, key);
  return key;
}

export class Collector {
  readonly values = new Map<string, Range>();
  readonly keys = new Map<string, Range>();
  readonly diagnostics: Diagnostic[] = [];
  /** Why part of the model could not be read, when it could not. */
  incomplete?: string;

  value(path: DefPath, range: Range): void {
    this.values.set(keyOf(path), range);
  }

  key(path: DefPath, range: Range): void {
    this.keys.set(keyOf(path), range);
  }

  /** Ranges a reader returned relative to `base`. */
  addRanges(base: DefPath, values: [DefPath, Range][], keys: [DefPath, Range][] = []): void {
    const b = pathKey(base);
    for (const [p, r] of values) this.values.set(keyOf(p, b), r);
    for (const [p, r] of keys) this.keys.set(keyOf(p, b), r);
  }

  /** The model read: `def` with the ranges and diagnostics collected, cut short where `incomplete` says. */
  toParsed(
    def: ModelDefinition | undefined,
    range: Range,
    extra: { trainings?: TrainingOption[]; print?: SummaryPrint } = {},
  ): ParsedModel {
    const parsed: ParsedModel = {
      ...(def ? { definition: def } : {}),
      ranges: { values: this.values, keys: this.keys },
      diagnostics: this.diagnostics,
      range,
      language: 'python',
    };
    if (this.incomplete) parsed.incomplete = this.incomplete;
    if (extra.trainings && extra.trainings.length > 0) parsed.trainings = extra.trainings;
    if (extra.print && Object.keys(extra.print).length > 0) parsed.summaryPrint = extra.print;
    return parsed;
  }

  report(at: Node | Range, severity: Severity, code: string, message: string, path?: DefPath): void {
    const range = 'start' in at ? at : rangeOf(at);
    this.diagnostics.push({ range, severity, code, message, ...(path ? { path: pathKey(path) } : {}) });
  }
}
