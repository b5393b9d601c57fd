/** Scenarios 1 and 2: the model editor (hover, diagnostics) and New Model Definition, in a real VS Code. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eSuite } from './support/scenario';
import { waitFor } from './support/workbench';

const suite = e2eSuite();
const NO_PROBLEMS = /No problems have been detected/;

test('hovering a Dense layer shows its output shape and parameters; a misspelt layer type is reported until fixed', async (t) => {
  await suite.withWorkspace(t, 'models', { trust: true }, async (wb) => {
    await wb.openFile('mlp.model.json');
    // Flatten gives 28*28 = 784 inputs: the first Dense has 784*100 weights + 100 biases = 78,500 parameters.
    await wb.hover(wb.token('"Dense"', 0), ['dense (Dense)', '(None, 100)', '78,500']);
    await wb.waitForProblems('an empty Problems panel', (s) => NO_PROBLEMS.test(s));

    // The second Dense becomes Dense2, typed as a user would.
    await wb.token('"Dense"', 1).dblclick();
    await wb.page.keyboard.type('Dense2');
    await wb.waitForProblems('the unknown-layer diagnostic', (s) =>
      s.includes("Unknown layer type 'Dense2'; did you mean 'Dense'?"),
    );
    // One diagnostic per problem: VS Code's JSON service gets a completion-only schema and adds none of its own.
    assert.doesNotMatch(
      await wb.problemsText(),
      /Value is not accepted|Incorrect type|is not allowed|Missing property/,
    );

    await wb.token('"Dense2"', 0).dblclick();
    await wb.page.keyboard.type('Dense');
    await wb.waitForProblems('the diagnostic to clear', (s) => NO_PROBLEMS.test(s));
  });
});

test('New Model Definition creates a model file from a template that summarises without problems', async (t) => {
  await suite.withWorkspace(t, 'empty', { trust: true }, async (wb, folder) => {
    await wb.runCommand('Model Lab: New Model Definition');
    await wb.pickQuickItem('Fashion-MNIST MLP (relu)');
    // A Fashion-MNIST template asks which data: the bundled sample or the full set.
    await wb.pickQuickItem('Bundled sample');

    // The same quick-input widget turns into the file-name box, pre-filled with the template's own name.
    const input = wb.page.locator('.quick-input-widget input.input');
    const suggested = await waitFor('the file-name input box', async () => {
      const rows = await wb.page.locator('.quick-input-widget .monaco-list-row').count();
      const value = await input.inputValue();
      return rows === 0 && value !== '' && !value.startsWith('>') ? value : undefined;
    });
    assert.equal(suggested, 'fashion-mlp');
    await input.fill('e2e-new');
    await input.press('Enter');

    await wb.activeTab('e2e-new.model.json');
    const file = join(folder, 'e2e-new.model.json');
    await waitFor('the new file on disk', async () => (existsSync(file) ? true : undefined));
    assert.match(readFileSync(file, 'utf8'), /"type": "Dense"/);
    assert.match(readFileSync(file, 'utf8'), /"name": "fashion-mnist-sample"/);

    await wb.hover(wb.token('"Dense"', 0), ['(None, 100)', '78,500']);
    await wb.waitForProblems('an empty Problems panel', (s) => NO_PROBLEMS.test(s));
  });
});

test('in a Keras Python file, hover and CodeLens work on the Sequential model (the packaged Python reader loads)', async (t) => {
  await suite.withWorkspace(t, 'models', { trust: true }, async (wb) => {
    await wb.openFile('tutorial.py');
    // keras.layers.Dense(100) after Flatten(input_shape=[28, 28]): 784*100 + 100 = 78,500 parameters.
    // Python highlighting keeps `keras.layers.Dense` in one span: hover the layer's `100` argument instead.
    await wb.hover(wb.token('100', 0), ['dense (Dense)', '(None, 100)', '78,500']);
    const lens = wb.page.locator('.editor-group-container.active .codelens-decoration a', {
      hasText: 'Train with Model Lab',
    });
    await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(
      await wb.page
        .locator('.editor-group-container.active .codelens-decoration a', { hasText: 'Compare optimizers' })
        .count(),
      1,
    );
  });
});

test('with modelLab.summaryStyle "keras3", the Summary lens shows Keras 3\'s boxed summary with sizes', async (t) => {
  await suite.withWorkspace(t, 'models', { trust: true }, async (wb, folder) => {
    mkdirSync(join(folder, '.vscode'), { recursive: true });
    writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'modelLab.summaryStyle': 'keras3' }));
    await wb.openFile('tutorial.py');
    const lens = wb.page.locator('.editor-group-container.active .codelens-decoration a', { hasText: 'Summary' });
    await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
    const lines = wb.page.locator('.editor-group-container.active .monaco-editor .view-line');
    // On a loaded machine VS Code may read the folder's settings.json only after the first click: the lens then
    // shows Keras 2's table, and a later click (the setting read by then) shows Keras 3's.
    let attempt = 0;
    const summary = await waitFor(
      'the Keras 3 summary',
      async () => {
        if (attempt++ > 0) {
          await wb.openFile('tutorial.py');
          await lens.first().waitFor({ state: 'visible', timeout: 10_000 });
        }
        await lens.first().click();
        await wb.activeTab('tutorial.py summary');
        for (let i = 0; i < 20; i++) {
          const seen = (await lines.allTextContents()).join('\n').replace(/\u00a0/g, ' ');
          if (
            seen.includes('┏━') &&
            /│ dense \(Dense\) +│ \(None, 100\) +│ +78,500 │/.test(seen) &&
            /Total params: 79,510 \(310\.59 KB\)/.test(seen)
          )
            return seen;
          await new Promise((res) => setTimeout(res, 250));
        }
        return undefined;
      },
      60_000,
    );
    assert.match(summary, /Model: "sequential"/);
  });
});
