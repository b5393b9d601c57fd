/**
 * The extension's settings, checked. Pure (no vscode import): `config.ts` reads the raw values from VS Code and
 * passes them here, so a bad value becomes a clear warning and a safe default, and is unit-tested.
 */
import { SUMMARY_STYLES, type SummaryStyle } from '../model/summary-format';
import type { BackendName } from '../protocol';

export interface Settings {
  backend: BackendName;
  /** 0 = one per CPU core. */
  maxParallelRuns: number;
  dataFolder?: string;
  runsFolder: string;
  saveWeights: boolean;
  inlineHints: boolean;
  /** Which Keras's model.summary() the Summary view and the summary hover print. */
  summaryStyle: SummaryStyle;
}

export const DEFAULT_SETTINGS: Settings = {
  backend: 'auto',
  maxParallelRuns: 0,
  runsFolder: '.model-lab/runs',
  saveWeights: false,
  inlineHints: true,
  summaryStyle: 'keras2',
};

const BACKENDS: BackendName[] = ['auto', 'tensorflow', 'tensorflow-gpu', 'wasm', 'cpu'];

/** Checks raw setting values; every problem is one sentence naming the setting and what was used instead. */
export function checkSettings(raw: Record<string, unknown>): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const s: Settings = { ...DEFAULT_SETTINGS };

  const backend = raw.backend;
  if (backend !== undefined) {
    if (typeof backend === 'string' && (BACKENDS as string[]).includes(backend)) s.backend = backend as BackendName;
    else problems.push(`modelLab.backend must be one of ${BACKENDS.join(', ')}; got ${show(backend)}, using auto.`);
  }
  const parallel = raw.maxParallelRuns;
  if (parallel !== undefined) {
    if (typeof parallel === 'number' && Number.isInteger(parallel) && parallel >= 0 && parallel <= 64) {
      s.maxParallelRuns = parallel;
    } else {
      problems.push(
        `modelLab.maxParallelRuns must be a whole number from 0 to 64; got ${show(parallel)}, using 0 (one per core).`,
      );
    }
  }
  const data = raw.dataFolder;
  if (data !== undefined && data !== '') {
    if (typeof data === 'string') s.dataFolder = data;
    else problems.push(`modelLab.dataFolder must be a folder path; got ${show(data)}, ignoring it.`);
  }
  const runs = raw.runsFolder;
  if (runs !== undefined) {
    if (typeof runs === 'string' && runs.trim() !== '') s.runsFolder = runs.trim();
    else
      problems.push(
        `modelLab.runsFolder must be a folder path; got ${show(runs)}, using ${DEFAULT_SETTINGS.runsFolder}.`,
      );
  }
  for (const key of ['saveWeights', 'inlineHints'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v === 'boolean') s[key] = v;
    else problems.push(`modelLab.${key} must be true or false; got ${show(v)}, using ${DEFAULT_SETTINGS[key]}.`);
  }
  const style = raw.summaryStyle;
  if (style !== undefined) {
    if (typeof style === 'string' && (SUMMARY_STYLES as readonly string[]).includes(style))
      s.summaryStyle = style as SummaryStyle;
    else
      problems.push(
        `modelLab.summaryStyle must be one of ${SUMMARY_STYLES.join(', ')}; got ${show(style)}, using ${DEFAULT_SETTINGS.summaryStyle}.`,
      );
  }
  return { settings: s, problems };
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? text.slice(0, 37) + '…' : text;
}
