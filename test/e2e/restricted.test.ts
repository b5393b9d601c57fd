/** Scenario 7: in Restricted Mode the editor features work and training explains why it is off. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { e2eSuite } from './support/scenario';
import { waitFor } from './support/workbench';

const suite = e2eSuite();

test('in an untrusted workspace hover works and Train explains that Restricted Mode disables it', async (t) => {
  await suite.withWorkspace(t, 'models', { trust: false }, async (wb, folder) => {
    await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 10_000 });
    await wb.openFile('mlp.model.json');
    await wb.hover(wb.token('"Dense"', 0), ['(None, 100)', '78,500']);

    await wb.runCommand('Model Lab: Train Model');
    const message = await waitFor('a message about Restricted Mode', async () => {
      const text = await wb.messagesText();
      return text.includes('Restricted Mode') ? text : undefined;
    });
    assert.match(message, /train/i);
    assert.equal(existsSync(join(folder, '.model-lab')), false, 'nothing may be trained or written while untrusted');
  });
});
