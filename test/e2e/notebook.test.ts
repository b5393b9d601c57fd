/**
 * Scenario 8: a Jupyter notebook in VS Code's notebook editor (the built-in `.ipynb` support, no kernel, no Jupyter
 * extension). Its cells are read as one program: the model's cell takes IMAGE_SIZE from an earlier cell, its compile
 * is a later cell, and a problem typed into that later cell is reported in that cell.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eSuite } from './support/scenario';
import { expectTwoModelComparison } from './support/records';
import { waitFor, type Workbench } from './support/workbench';

const suite = e2eSuite();
const NO_PROBLEMS = /No problems have been detected/;
const TRAINING_TIMEOUT = 240_000;

/**
 * Opens a notebook from the Explorer in the notebook editor. Right after the window loads, the workbench may not yet
 * know the built-in `.ipynb` notebook type and opens the file as JSON text; then the editor is closed and the file
 * opened again, as a user would.
 */
async function openNotebook(wb: Workbench, name: string): Promise<void> {
  const cell = wb.page.locator('.notebookOverlay .cell-editor-container .view-line').first();
  const jsonText = wb.page.locator('.editor-group-container.active .monaco-editor .view-line', {
    hasText: '"cell_type"',
  });
  for (let attempt = 1; ; attempt++) {
    await wb.openFile(name);
    // A loaded machine can take a while to draw the cells: wait for the cells or for the JSON text, whichever comes.
    const shown = await waitFor(
      `${name} in the notebook editor or as text`,
      async () => ((await cell.isVisible()) ? 'notebook' : (await jsonText.count()) > 0 ? 'text' : undefined),
      60_000,
    );
    if (shown === 'notebook') return;
    if (attempt === 3) throw new Error(`${name} opened as JSON text, not in the notebook editor (3 attempts).`);
    await wb.runCommand('View: Close Editor');
  }
}

test('in a notebook, a layer hovers with the shape earlier cells give it; a problem typed in a later cell is reported there', async (t) => {
  await suite.withWorkspace(t, 'notebook', { trust: true }, async (wb) => {
    await openNotebook(wb, 'tutorial.ipynb');
    // The notebook editor's widget lies over the editor group (not inside it); its code cells are Monaco editors.
    const notebook = wb.page.locator('.notebookOverlay');
    const token = (text: string) =>
      notebook
        .locator('.cell-editor-container .view-lines .view-line span span', {
          hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
        })
        .first();
    /** The notebook's list renders only the cells in view: scroll down until the token's cell is drawn. */
    const reveal = async (text: string) => {
      for (let i = 0; i < 15 && (await token(text).count()) === 0; i++) {
        const box = await notebook.locator('.cell-list-container').first().boundingBox();
        if (box) await wb.page.mouse.move(box.x + box.width / 2, box.y + 100);
        await wb.page.mouse.wheel(0, 250);
        await wb.page.waitForTimeout(300);
      }
      await token(text).scrollIntoViewIfNeeded();
    };
    /**
     * Replaces a cell's text as a user would: a click puts the cell in edit mode, Ctrl+A selects the cell's text,
     * the new text is inserted (as a paste: no auto-closed quotes or brackets).
     */
    const replaceCell = async (find: string, text: string) => {
      // The Problems panel covers the lower half of the notebook: hide it so the cell is clicked, not the panel.
      if (await wb.page.locator('.markers-panel').isVisible()) await wb.runCommand('View: Toggle Panel Visibility');
      await reveal(find);
      await token(find).click();
      await notebook.locator('.cell-editor-container .monaco-editor.focused').waitFor({ timeout: 10_000 });
      await wb.page.keyboard.press('Control+A');
      await wb.page.keyboard.insertText(text);
    };
    const compile = (optimizer: string) =>
      `model.compile(loss="sparse_categorical_crossentropy", optimizer="${optimizer}", metrics=["accuracy"])`;

    // Flatten(input_shape=[IMAGE_SIZE, IMAGE_SIZE]) with IMAGE_SIZE = 28 set two cells earlier: 784 inputs, so the
    // first Dense has 784*100 + 100 = 78,500 parameters.
    await wb.hover(token('100'), ['dense (Dense)', '(None, 100)', '78,500']);
    const lens = notebook.locator('.codelens-decoration a', { hasText: 'Train with Model Lab' });
    await lens.first().waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await notebook.locator('.codelens-decoration a', { hasText: 'Train with Model Lab' }).count(), 1);
    await wb.waitForProblems('an empty Problems panel', (s) => NO_PROBLEMS.test(s));

    // The compile cell (a later cell than the model's) gets a misspelt optimizer, typed as a user would.
    await replaceCell('"sgd"', compile('sgdd'));
    const problems = await wb.waitForProblems('the unknown-optimizer diagnostic', (s) =>
      s.includes("Unknown optimizer 'sgdd'"),
    );
    t.diagnostic(`Problems panel: ${JSON.stringify(problems)}`);
    // The squiggle is in the compile cell's editor, under the misspelt name.
    await reveal('"sgdd"'); // showing the Problems panel may have scrolled the notebook back up
    const squiggle = notebook.locator('.cell-editor-container .squiggly-error');
    await squiggle.first().waitFor({ state: 'attached', timeout: 20_000 });
    // The README's notebook screenshot (hints, lens, the squiggle in the compile cell); refreshed on request only.
    if (process.env.E2E_UPDATE_SCREENSHOT === '1') {
      const shot = join(suite.env.repoRoot, 'docs', 'notebook.png');
      await wb.page.screenshot({ path: shot });
      t.diagnostic(`screenshot: ${shot}`);
    }

    await replaceCell('"sgdd"', compile('sgd'));
    await wb.waitForProblems('the diagnostic to clear', (s) => NO_PROBLEMS.test(s));

    // The Summary lens of the model's cell acts on the notebook's model: Keras's summary, named after the notebook.
    // (The editor beside is narrow: the parameter column is out of view, the totals are not.)
    await reveal('100');
    await notebook.locator('.codelens-decoration a', { hasText: 'Summary' }).first().click();
    await wb.activeTab('tutorial.ipynb summary');
    const lines = wb.page.locator('.editor-group-container.active .monaco-editor .view-line');
    let seen = '';
    await waitFor(`the summary text (last seen: ${JSON.stringify(seen)})`, async () => {
      seen = (await lines.allTextContents()).join('\n').replace(/\u00a0/g, ' ');
      return /Total params: 79,510/.test(seen) && /dense \(Dense\)\s+\(None, 100\)/.test(seen) ? seen : undefined;
    });
  });
});

test('in a notebook of two models, "Compare the models in this file" over the first model trains both side by side', async (t) => {
  await suite.withWorkspace(t, 'notebook', { trust: true }, async (wb, folder) => {
    await openNotebook(wb, 'two_models.ipynb');
    const notebook = wb.page.locator('.notebookOverlay');
    const compareAll = notebook.locator('.codelens-decoration a', { hasText: 'Compare the models in this file' });
    await compareAll.first().waitFor({ state: 'visible', timeout: 30_000 });
    // Once per notebook: over the first model's cell, not over every cell.
    assert.equal(await compareAll.count(), 1);
    await compareAll.first().click();
    await expectTwoModelComparison(wb, folder, TRAINING_TIMEOUT);
  });
});
