// Types for the boundary table's helpers, so the test can call them under `strict`.
import type { ESLint } from 'eslint';
export declare const WEBVIEW_SHARED: string[];
export declare const WEBVIEW_IMPORT_EXEMPT: string[];
export declare const BOUNDARIES: {
  part: string;
  files: string[];
  except?: string[];
  allowOnly?: string[];
  deny?: string[];
  why: string;
}[];
export declare function matches(target: string, patterns: string[]): boolean;
export declare function importTarget(specifier: string, fromFile: string): string;
export declare function violations(file: string, specifier: string): string[];
declare const plugin: ESLint.Plugin;
export default plugin;
