/**
 * The page's link to its host. Inside VS Code: `acquireVsCodeApi()` (messages and persisted state). In the
 * standalone HTML report there is no host: the page is read-only and its data is embedded in the document.
 */
import type { WebviewToHost } from '../src/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

export interface Host {
  /** True in the standalone report: no Stop, no history actions, exports download in the page. */
  readonly standalone: boolean;
  post(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export function createHost(): Host {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    return {
      standalone: false,
      post: (m) => api.postMessage(m),
      getState: () => api.getState(),
      setState: (s) => api.setState(s),
    };
  }
  return { standalone: true, post: () => undefined, getState: () => undefined, setState: () => undefined };
}

/** The report's embedded data: a `show` message (or a bare record) as JSON in `#model-lab-data`. */
export function embeddedData(): unknown {
  const el = document.getElementById('model-lab-data');
  if (!el?.textContent) return undefined;
  try {
    const data: unknown = JSON.parse(el.textContent);
    if (data && typeof data === 'object' && !('type' in data) && 'runs' in data) {
      return { type: 'show', record: data, history: [], pinned: [] };
    }
    return data;
  } catch (e) {
    console.warn(`Model Lab: the report's embedded data is not valid JSON (${(e as Error).message}).`);
    return undefined;
  }
}
