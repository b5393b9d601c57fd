/**
 * The bundled CLI (`node dist/cli.js`, or $MODEL_LAB_DIST/cli.js) run in `cwd` with its own cache folder and no
 * $MODEL_LAB_DATA, killed after `timeoutMs`: its exit code and output.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(process.env.MODEL_LAB_DIST ?? join(__dirname, '..', '..', 'dist'), 'cli.js');

export function runCli(
  cwd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, XDG_CACHE_HOME: join(cwd, 'cache'), MODEL_LAB_DATA: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
