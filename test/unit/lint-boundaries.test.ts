/**
 * The import boundaries of ARCHITECTURE.md are enforced by `npm run lint`: a planted violation fails it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { violations } from '../../scripts/lint/import-boundaries.mjs';

const root = path.resolve(__dirname, '../..');

async function lintAs(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'model-lab/import-boundaries').map((m) => m.message);
}

test(
  'ESLint fails on vscode and @tensorflow imports in src/model, through the real config',
  { timeout: 60_000 },
  async () => {
    assert.match(
      (await lintAs('src/model/planted.ts', "import * as vscode from 'vscode';\nexport const v = vscode;\n"))[0],
      /src\/model may not import 'vscode'/,
    );
    assert.equal(
      (
        await lintAs(
          'src/model/planted.ts',
          "import type * as tf from '@tensorflow/tfjs';\nexport type T = typeof tf;\n",
        )
      ).length,
      1,
    );
    assert.equal(
      (await lintAs('src/model/planted.ts', "export const x = require('@tensorflow/tfjs-core');\n")).length,
      1,
    );
    assert.equal((await lintAs('src/model/planted.ts', "export { a } from '../protocol';\n")).length, 1);
    // The real model files pass.
    assert.deepEqual(
      await lintAs('src/model/planted.ts', "import { LAYERS } from './layers/registry';\nexport const n = LAYERS;\n"),
      [],
    );
  },
);

test(
  '`eslint` exits non-zero on a planted `import "vscode"` in src/model (the command npm run lint runs)',
  { timeout: 60_000 },
  () => {
    const bin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
    const run = (code: string) =>
      spawnSync(process.execPath, [bin, '--stdin', '--stdin-filename', 'src/model/planted.ts'], {
        cwd: root,
        input: code,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const bad = run("import 'vscode';\n");
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /import-boundaries/);
    const good = run("import './types';\n");
    assert.equal(good.status, 0, good.stdout + good.stderr);
  },
);

test('each boundary of ARCHITECTURE.md', () => {
  const bad = (file: string, spec: string) =>
    assert.notEqual(violations(file, spec).length, 0, `${file} → ${spec} should be refused`);
  const ok = (file: string, spec: string) =>
    assert.deepEqual(violations(file, spec), [], `${file} → ${spec} should be allowed`);
  // model: pure
  bad('src/model/types.ts', 'vscode');
  bad('src/model/python/models.ts', '@tensorflow/tfjs-core/dist/x');
  bad('src/model/compare.ts', '../protocol');
  bad('src/model/compare.ts', '../training/backend');
  ok('src/model/python/models.ts', '../layers/registry');
  ok('src/model/parse-json.ts', 'jsonc-parser');
  // data and training: no vscode, nothing above them
  bad('src/data/csv.ts', 'vscode');
  bad('src/training/host/pool.ts', 'vscode');
  bad('src/training/host/pool.ts', '../../editor/trainer');
  bad('src/training/worker/run.ts', '../../panel/results-panel');
  ok('src/training/worker/run.ts', '@tensorflow/tfjs');
  ok('src/training/host/session.ts', '../../model/compare');
  // CLI: no editor, no VS Code part of the panel
  bad('src/cli/train.ts', '../editor/stores');
  bad('src/cli.ts', './editor/trainer');
  bad('src/cli/compare.ts', '../panel/results-panel');
  bad('src/cli/compare.ts', 'vscode');
  ok('src/cli/compare.ts', '../panel/report');
  ok('src/cli/compare.ts', '../panel/run-store.js');
  // panel: only results-panel talks to VS Code
  ok('src/panel/results-panel.ts', 'vscode');
  bad('src/panel/report.ts', 'vscode');
  // webview: its own code and the shared pure modules
  ok('webview/sections/summary.ts', '../../src/protocol');
  ok('webview/sections/summary.ts', '../../src/model/number-format');
  ok('webview/sections/summary.ts', '../logic/stats');
  ok('webview/charts/line-chart.ts', 'chart.js');
  bad('webview/sections/summary.ts', '../../src/model/analyze');
  bad('webview/main.ts', '../src/training/backend');
  bad('webview/main.ts', 'vscode');
  bad('webview/main.ts', 'node:fs');
  // src never imports webview: the results logic lives in src/results, which the webview imports
  bad('src/editor/commands.ts', '../../webview/logic/rows');
  bad('src/panel/comparison-export.ts', '../../webview/logic/curves');
  ok('src/panel/comparison-export.ts', '../results/comparison-rows');
  ok('webview/sections/comparison.ts', '../../src/results/comparison-rows.js');
  // src/results is pure: protocol types and number formatting, no VS Code, no training
  ok('src/results/comparison-text.ts', '../model/number-format');
  bad('src/results/comparison-rows.ts', 'vscode');
  bad('src/results/comparison-rows.ts', '../training/host/pool');
});
