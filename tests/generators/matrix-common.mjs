// What both phases of the generator matrix share (matrix.mjs build | run): its paths, the document's hash, running a
// command to its end, and the row order.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '..', '..');
export const document = path.resolve(process.env.KLING_DOCUMENT ?? path.join(repo, 'openapi', 'kling.openapi.yaml'));
export const out = path.join(here, 'out');
// The build phase's record of every row (generates, warnings, compiles), read by the run phase.
export const buildRecord = path.join(out, 'matrix-build.json');
export const bin = (name) => path.join(here, 'node_modules', '.bin', name);

// The SHA-256 of the document's bytes: the run phase refuses clients generated from other bytes.
export const documentHash = (bytes = fs.readFileSync(document)) => createHash('sha256').update(bytes).digest('hex');

export const order = [...['CSharp', 'TypeScript', 'Python', 'Go', 'Java', 'PHP', 'Ruby', 'Dart'].map((l) => `kiota-${l.toLowerCase()}`),
  'openapi-typescript+openapi-fetch', 'hey-api'];

// Runs one command to its end (killed after 10 minutes), collecting stdout then stderr.
export function run(command, args, options = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: here, ...options,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', KIOTA_TUTORIAL_ENABLED: 'false', DOTNET_NOLOGO: '1', ...options.env } });
    let stdout = '';
    let stderr = '';
    let error = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => { error = `killed after 600 s: ${command} ${args.join(' ')}`; child.kill('SIGKILL'); }, 600_000);
    child.on('error', (e) => { error = String(e); });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ ok: status === 0 && !error, output: `${stdout}${stderr}${error}`, seconds: Math.round((Date.now() - started) / 100) / 10 });
    });
  });
}

// The rows are independent (each writes its own folder): they run a few at a time, as the machine has cores.
export async function inParallel(jobs, atOnce = Math.max(2, Math.min(4, os.availableParallelism()))) {
  const queue = [...jobs];
  await Promise.all(Array.from({ length: atOnce }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
}

export const tail = (text, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');
