/** The panel's HTML and the standalone report: CSP with a matching nonce, nothing remote, no way out of the JSON. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RunRecord } from '../../src/protocol';
import { makeNonce, panelHtml } from '../../src/panel/html';
import { findWebviewBundle, jsonForScript, renderReport, scriptForInline } from '../../src/panel/report';

const dir = mkdtempSync(path.join(tmpdir(), 'model-lab-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in bundle holding exactly the sequences that could break an inline <script>.
const bundle = path.join(dir, 'webview.js');
writeFileSync(
  bundle,
  'var a = "</script><script>x()</script>"; var b = `<!--${1}-->`; var c = /<\\/SCRIPT>/;\n//# sourceMappingURL=webview.js.map\n',
);

const EVIL = '</script><script>alert(1)</script>';
const record: RunRecord = {
  version: 1,
  id: 'rec-1',
  kind: 'compare',
  createdAt: '2026-11-28T19:05:12.000Z',
  definition: { name: `net ${EVIL}`, layers: [] },
  model: { name: 'net', layers: [], totalParams: 79510, trainableParams: 79510, nonTrainableParams: 0 },
  backend: 'cpu',
  runs: [
    {
      runId: 'r1',
      label: EVIL,
      optimizer: { type: 'adam' },
      status: 'failed',
      error: 'line\u2028sep & <b>bold</b>',
      repeat: 0,
      seed: 1,
      history: { loss: [0.5] },
      epochMs: [1],
      durationMs: 1,
      backend: 'cpu',
      epochs: 1,
    },
  ],
};

function dataOf(html: string): string {
  const m = /<script type="application\/json" id="model-lab-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the data block is present');
  return m[1];
}

describe('renderReport', () => {
  const html = renderReport(record, {
    bundlePath: bundle,
    history: [{ id: 'rec-0', kind: 'train', createdAt: 'x', modelName: 'net', runs: 1 }],
  });

  test('embeds the record so it parses back identically', () => {
    const data = JSON.parse(dataOf(html));
    assert.equal(data.type, 'show');
    assert.deepEqual(data.record, record);
    assert.equal(data.history[0].id, 'rec-0');
    assert.deepEqual(data.pinned, []);
  });

  test('a label with </script> cannot end the data block or start a script', () => {
    const data = dataOf(html);
    assert.ok(!/[<>&\u2028\u2029]/.test(data));
    assert.ok(!html.includes('<script>alert(1)'));
    // Exactly two script elements end: the data block and the nonce-tagged bundle.
    assert.equal(html.match(/<\/script/gi)?.length, 2);
  });

  test('the title is HTML-escaped', () => {
    assert.match(
      html,
      /<title>net &#60;\/script&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62; — Model Lab report<\/title>/,
    );
  });

  test('CSP: default-src none, scripts and styles only by a nonce that matches the tags', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp);
    const nonce = /script-src 'nonce-([A-Za-z0-9]{32})'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(csp, /^default-src 'none'; /);
    assert.ok(csp.includes(`style-src 'nonce-${nonce}'`));
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
    assert.ok(html.includes(`<script nonce="${nonce}">`));
    assert.ok(html.includes(`<style nonce="${nonce}">`));
    assert.ok(html.includes(`<meta property="csp-nonce" content="${nonce}">`));
  });

  test('the inlined bundle cannot close its own script element', () => {
    const script = /<script nonce="[^"]+">\n([\s\S]*)\n<\/script>\n<\/body>/.exec(html)?.[1];
    assert.ok(script);
    assert.ok(!/<\/script/i.test(script));
    assert.ok(!script.includes('<!--'));
    assert.ok(!script.includes('sourceMappingURL'));
    // The escapes keep the string values: evaluate the stand-in and compare.
    const fn = new Function(`${script}; return [a, b, c.source];`);
    assert.deepEqual(fn(), ['</script><script>x()</script>', '<!--1-->', '<\\/SCRIPT>']);
  });

  test('nothing remote: no http(s) URL anywhere, light and dark default themes', () => {
    assert.ok(!/https?:\/\//i.test(html));
    assert.match(html, /@media \(prefers-color-scheme: dark\)/);
    assert.match(html, /--vscode-editor-background: #ffffff/);
    assert.match(html, /--vscode-editor-background: #1f1f1f/);
  });

  test('a fresh nonce per report', () => {
    const again = renderReport(record, { bundlePath: bundle });
    const n = (h: string) => /'nonce-([^']+)'/.exec(h)?.[1];
    assert.notEqual(n(again), n(html));
  });
});

describe('helpers', () => {
  test('jsonForScript escapes exactly the dangerous characters', () => {
    assert.equal(jsonForScript({ a: '<&>\u2028\u2029' }), '{"a":"\\u003c\\u0026\\u003e\\u2028\\u2029"}');
  });
  test('scriptForInline leaves ordinary code untouched', () => {
    assert.equal(scriptForInline('if (a < b) x = "<div>";'), 'if (a < b) x = "<div>";');
  });
  test('findWebviewBundle: beside the running bundle, then dist/ up to the package root, else one clear error', () => {
    const pkg = path.join(dir, 'pkg');
    const nested = path.join(pkg, 'src', 'panel');
    writeFileSync(path.join(dir, 'package.json'), '{}');
    require('node:fs').mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    require('node:fs').mkdirSync(nested, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), '{}');
    assert.throws(() => findWebviewBundle(nested), /dist\/webview\.js was not found near .*npm run build/);
    writeFileSync(path.join(pkg, 'dist', 'webview.js'), '');
    assert.equal(findWebviewBundle(nested), path.join(pkg, 'dist', 'webview.js'));
    assert.equal(findWebviewBundle(path.join(pkg, 'dist')), path.join(pkg, 'dist', 'webview.js'));
  });
});

describe('panelHtml', () => {
  test('strict CSP with the webview source and a nonce on the script', () => {
    const nonce = makeNonce();
    const html = panelHtml({
      scriptUri: 'vscode-resource://ext/dist/webview.js',
      cspSource: 'vscode-webview://abc',
      nonce,
      title: 'A <b>',
    });
    const csp = /content="([^"]+)"/.exec(html)?.[1] ?? '';
    assert.equal(
      csp,
      `default-src 'none'; img-src vscode-webview://abc data:; style-src vscode-webview://abc 'nonce-${nonce}'; script-src 'nonce-${nonce}'; font-src vscode-webview://abc; base-uri 'none'; form-action 'none'`,
    );
    assert.ok(html.includes(`<script nonce="${nonce}" src="vscode-resource://ext/dist/webview.js"></script>`));
    assert.ok(html.includes('<title>A &#60;b&#62;</title>'));
    assert.ok(!/https?:\/\//.test(html));
  });
  test('an optional stylesheet; a missing or weak nonce is refused', () => {
    const nonce = makeNonce();
    const html = panelHtml({ scriptUri: 's.js', styleUri: 'x.css', cspSource: 'src', nonce });
    assert.ok(html.includes(`<link rel="stylesheet" href="x.css" nonce="${nonce}">`));
    assert.throws(() => panelHtml({ scriptUri: 's.js', cspSource: 'src', nonce: '' }), /nonce/);
    assert.throws(() => panelHtml({ scriptUri: 's.js', cspSource: 'src', nonce: `abc" onload="x` }), /nonce/);
  });
  test('makeNonce: 32 alphanumerics, different every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const n = makeNonce();
      assert.match(n, /^[A-Za-z0-9]{32}$/);
      seen.add(n);
    }
    assert.equal(seen.size, 200);
  });
});
