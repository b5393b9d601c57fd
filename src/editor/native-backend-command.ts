/**
 * `Model Lab: Install Native Backend`: the VS Code side only (quick pick, cancellable progress, messages, log). The
 * install itself — npm, its time limit, its errors — is `training/host/native-install.ts`, VS Code-free and tested
 * with the real npm; the worker finds the package in the same folder (`nativeFolder`, passed by the trainer).
 */
import * as vscode from 'vscode';
import type { ExtensionContextLike } from './context';
import {
  installNative,
  InstallError,
  nativeFolder,
  nativeLoadProblem,
  npmProgressLine,
  type NativeBackend,
} from '../training/host/native-install';
import { nativePackage } from '../training/backend';

let installing = false;

/** `backend` skips the quick pick (keybindings, tests); anything else asks. */
export async function installNativeBackend(ctx: ExtensionContextLike, backend?: unknown): Promise<void> {
  if (installing) {
    void vscode.window.showInformationMessage('Model Lab: the native backend is already being installed.');
    return;
  }
  const choice = backend === 'tensorflow' || backend === 'tensorflow-gpu' ? backend : await pickBackend();
  if (!choice) return;
  const pkg = nativePackage(choice);
  const dir = nativeFolder(ctx.globalStorageUri.fsPath);
  installing = true;
  ctx.log.info(`Installing ${pkg} with npm into ${dir}`);
  try {
    const installed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Model Lab: installing ${pkg}`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: 'running npm install…' });
        return installNative({
          backend: choice,
          dir,
          signal: controller.signal,
          onOutput: (text) => {
            ctx.log.info(text.trimEnd());
            const line = npmProgressLine(text);
            if (line) progress.report({ message: line });
          },
        });
      },
    );
    ctx.log.info(`Installed ${installed.pkg} ${installed.version} (${installed.path})`);
    const problem = await nativeLoadProblem(installed.path);
    if (problem) {
      ctx.log.warn(`${installed.pkg} does not load here: ${problem}`);
      void vscode.window.showWarningMessage(
        `Model Lab: ${installed.pkg} ${installed.version} installed, but it does not load here (${problem}); training stays on WebAssembly.`,
      );
      return;
    }
    void vscode.window.showInformationMessage(
      `Model Lab: ${installed.pkg} ${installed.version} installed. Training with the modelLab.backend setting "auto" now uses native TensorFlow.`,
    );
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof InstallError && e.kind === 'cancelled') {
      ctx.log.info(message);
      void vscode.window.showInformationMessage(`Model Lab: ${message}`);
      return;
    }
    // The message is one sentence; a bug's stack goes to the log only.
    ctx.log.error(e instanceof InstallError ? message : e instanceof Error ? (e.stack ?? message) : message);
    const shown = e instanceof InstallError ? message : `The native backend could not be installed: ${message}`;
    void vscode.window.showErrorMessage(`Model Lab: ${shown}`, 'Show Log').then((c) => c && ctx.log.show());
  } finally {
    installing = false;
  }
}

async function pickBackend(): Promise<NativeBackend | undefined> {
  const items: (vscode.QuickPickItem & { backend: NativeBackend })[] = [
    {
      label: 'CPU',
      description: nativePackage('tensorflow'),
      detail: 'Native TensorFlow on the CPU (Linux, macOS, Windows). Downloads libtensorflow, about 100–300 MB.',
      backend: 'tensorflow',
    },
    {
      label: 'GPU (CUDA)',
      description: nativePackage('tensorflow-gpu'),
      detail: 'Native TensorFlow with CUDA: Linux x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1 installed.',
      backend: 'tensorflow-gpu',
    },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Model Lab: Install Native Backend',
    placeHolder: 'Which TensorFlow build should npm install into Model Lab’s storage?',
  });
  return picked?.backend;
}
