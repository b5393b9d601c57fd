/** Number and shape formatting shared by the panel, the report and exports. Locale-independent on purpose. */
import { formatShape, thousands } from '../../src/model/number-format';

/** 79510 → "79,510", as Keras prints parameter totals (independent of the viewer's locale). */
export function formatInt(n: number): string {
  return Number.isFinite(n) ? thousands(Math.round(n)) : String(n);
}

/** [null, 100] → "(None, 100)", Keras's Python tuple form: the summary's own formatting. */
export { formatShape };

/** A metric with 4 decimals like Keras's epoch lines; an em dash when there is no value. */
export function formatMetric(value: number | undefined | null, digits = 4): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '-∞';
  return value.toFixed(digits);
}

/** 0.8765 → "87.7%". */
export function formatPercent(value: number | undefined | null, digits = 1): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(digits)}%`;
}

/** Durations the way people read them: "850 ms", "12.3 s", "4 min 05 s". */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  const min = Math.floor(whole / 60);
  const sec = whole % 60;
  return `${min} min ${String(sec).padStart(2, '0')} s`;
}

/** An ISO timestamp as "2026-11-28 19:05" (local time), or the input when it does not parse. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A run's name where its variant has repeats: `Adam #2` (one rule for every front end, in src/run-state.ts). */
export { runName } from '../../src/run-state';
