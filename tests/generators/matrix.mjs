// The generator matrix: generators nobody on the project wrote, run against openapi/kling.openapi.yaml.
//   Kiota (the .NET tool pinned in .config/dotnet-tools.json) for C#, TypeScript, Python, Go, Java, PHP, Ruby, Dart;
//   openapi-typescript + openapi-fetch; hey-api. NSwag is the build itself.
// Each row: generates (exit 0), the generator's warnings, compiles (C#: dotnet build; TypeScript: tsc --strict;
// Python: compileall), end to end (create -> wait -> result against KLING_BASE_URL, and a state the document does not
// list, served by KLING_UNKNOWN_STATE_URL, printed as its text). Prints one "MATRIX {json}" line per row.
// Run by GeneratorMatrixTests; by hand: npm ci, then
//   KLING_BASE_URL=... KLING_API_KEY=... KLING_UNKNOWN_STATE_URL=... node matrix.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const document = path.resolve(process.env.KLING_DOCUMENT ?? path.join(repo, 'openapi', 'kling.openapi.yaml'));
const { KLING_BASE_URL: baseUrl, KLING_API_KEY: apiKey, KLING_UNKNOWN_STATE_URL: unknownStateUrl } = process.env;
const unknownState = process.env.KLING_UNKNOWN_STATE ?? 'rendering';
const out = path.join(here, 'out');
const bin = (name) => path.join(here, 'node_modules', '.bin', name);

// Runs one command to its end (killed after 10 minutes), collecting stdout then stderr.
function run(command, args, options = {}) {
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

// Kiota generates one language at a time: concurrent runs on one document failed inside Kiota (a NullReferenceException
// in "error generating the client", 2026-12-07); the rows' compiles and end-to-end runs still overlap.
let kiotaTurn = Promise.resolve();
function oneKiotaAtATime(step) {
  const result = kiotaTurn.then(step);
  kiotaTurn = result.catch(() => {});
  return result;
}

// The rows are independent (each writes its own folder): they run a few at a time, as the machine has cores.
async function inParallel(jobs, atOnce = Math.max(2, Math.min(4, os.availableParallelism()))) {
  const queue = [...jobs];
  await Promise.all(Array.from({ length: atOnce }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
}

const tail = (text, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');

// End to end: the run prints "RESULT <url>" (e2e); the state query against the stub prints "STATE <the unlisted state>"
// (unlistedState). createTask: false skips the run (see kiota-typescript below) but still reads the unlisted state.
async function endToEnd(command, args, { createTask = true } = {}) {
  if (!baseUrl || !apiKey || !unknownStateUrl) return { e2e: null, unlistedState: null, e2eDetail: 'not run: KLING_BASE_URL, KLING_API_KEY and KLING_UNKNOWN_STATE_URL are needed' };
  const created = createTask ? await run(command, [...args, baseUrl, apiKey, 'run']) : null;
  const state = await run(command, [...args, unknownStateUrl, apiKey, 'state', 'task_unknown_state']);
  return {
    e2e: created ? created.ok && /^RESULT https?:\/\/\S+$/m.test(created.output) : null,
    unlistedState: state.ok && new RegExp(`^STATE ${unknownState}$`, 'm').test(state.output),
    e2eDetail: `${created ? tail(created.output, 5) : 'createTask not run'}\n${tail(state.output, 5)}`,
  };
}

// Kiota prints "warn:" blocks; the update check (a call to api.github.com) is about the network, not the document.
function kiotaWarnings(output) {
  const messages = [...output.matchAll(/^warn: [^\n]*\n\s+([^\n]+)/gm)].map((m) => m[1].trim());
  return messages.filter((m) => !m.startsWith('Unable to check for updates'));
}

const rows = [];
function report(row) {
  rows.push(row);
  console.log(`MATRIX ${JSON.stringify(row)}`);
}

fs.rmSync(path.join(here, 'dist'), { recursive: true, force: true });
const restore = await run('dotnet', ['tool', 'restore'], { cwd: repo });
if (!restore.ok) {
  console.log(`dotnet tool restore failed:\n${tail(restore.output)}`);
}

const order = [...['CSharp', 'TypeScript', 'Python', 'Go', 'Java', 'PHP', 'Ruby', 'Dart'].map((l) => `kiota-${l.toLowerCase()}`), 'openapi-typescript+openapi-fetch', 'hey-api'];
const kiotaLanguages = { CSharp: 'KlingKiota', TypeScript: 'KlingKiota', Python: 'kling_kiota', Go: 'kling_kiota', Java: 'kling.kiota', PHP: 'KlingKiota', Ruby: 'KlingKiota', Dart: 'kling_kiota' };
const kiotaRow = (language, namespace) => async () => {
  const target = language === 'CSharp' ? path.join(here, 'kiota-csharp', 'obj', 'kiota') : path.join(out, `kiota-${language.toLowerCase()}`);
  const generated = await oneKiotaAtATime(() => run('dotnet', ['kiota', 'generate', '--language', language, '--openapi', document, '--output', target, '--class-name', 'KlingClient',
    '--namespace-name', namespace, '--clean-output', '--log-level', 'Warning'], { cwd: repo }));
  const crit = /^(?:crit|fail): [^\n]*\n\s+([^\n]+)/m.exec(generated.output)?.[1];
  const row = { generator: `kiota-${language.toLowerCase()}`, generates: generated.ok && !crit, warnings: kiotaWarnings(generated.output), compiles: null, e2e: null, unlistedState: null, seconds: generated.seconds };
  if (!row.generates) row.error = crit ?? tail(generated.output);
  if (row.generates && language === 'CSharp') {
    const built = await run('dotnet', ['build', path.join(here, 'kiota-csharp', 'KiotaSmoke.csproj'), '-c', 'Release', '--nologo', '-v', 'q', '-clp:ErrorsOnly']);
    row.compiles = built.ok;
    if (!built.ok) row.error = tail(built.output);
    else Object.assign(row, await endToEnd('dotnet', [path.join(here, 'kiota-csharp', 'bin', 'Release', 'net10.0', 'KiotaSmoke.dll')]));
  }
  if (row.generates && language === 'TypeScript') {
    const built = await run(bin('tsc'), ['-p', 'tsconfig.kiota.json']);
    row.compiles = built.ok;
    if (!built.ok) row.error = tail(built.output);
    // Kiota's TypeScript serializer drops a derived request's own fields when it is sent through the discriminator's
    // base type (the simulator answers 422 "input is required."; docs/ports.md), so only the state is read end to end.
    else Object.assign(row, await endToEnd('node', [path.join('dist', 'kiota', 'src', 'kiota.js')], { createTask: false }));
  }
  if (row.generates && language === 'Python') {
    const built = await run('python3', ['-m', 'compileall', '-q', target]);
    row.compiles = built.ok;
    if (!built.ok) row.error = tail(built.output);
  }
  report(row);
};

const openapiFetchRow = async () => {
  const generated = await run(bin('openapi-typescript'), [document, '--enum', '--output', path.join(out, 'openapi-typescript', 'kling.ts')]);
  const row = { generator: 'openapi-typescript+openapi-fetch', generates: generated.ok, warnings: [...generated.output.matchAll(/^\s*(?:⚠|warn(?:ing)?:?)\s*(.+)$/gim)].map((m) => m[1].trim()), compiles: null, e2e: null, unlistedState: null, seconds: generated.seconds };
  if (!generated.ok) row.error = tail(generated.output);
  else {
    const built = await run(bin('tsc'), ['-p', 'tsconfig.openapi-fetch.json']);
    row.compiles = built.ok;
    if (!built.ok) row.error = tail(built.output);
    else Object.assign(row, await endToEnd('node', [path.join('dist', 'openapi-fetch', 'src', 'openapi-fetch.js')]));
  }
  report(row);
};

const heyApiRow = async () => {
  const generated = await run(bin('openapi-ts'), ['-f', 'hey-api.config.mjs'], { env: { KLING_DOCUMENT: document } });
  const row = { generator: 'hey-api', generates: generated.ok && !/error/i.test(generated.output), warnings: [...generated.output.matchAll(/^.*(?:⚠️|warn(?:ing)?:)\s*(.+)$/gim)].map((m) => m[1].trim()), compiles: null, e2e: null, unlistedState: null, seconds: generated.seconds };
  if (!row.generates) row.error = tail(generated.output);
  else {
    const built = await run(bin('tsc'), ['-p', 'tsconfig.hey-api.json']);
    row.compiles = built.ok;
    if (!built.ok) row.error = tail(built.output);
    else Object.assign(row, await endToEnd('node', [path.join('dist', 'hey-api', 'src', 'hey-api.js')]));
  }
  report(row);
};

// The slowest rows first (C# builds, the TypeScript rows compile), so the last to start are the quick ones.
await inParallel([kiotaRow('CSharp', kiotaLanguages.CSharp), openapiFetchRow, heyApiRow, kiotaRow('TypeScript', kiotaLanguages.TypeScript),
  ...Object.entries(kiotaLanguages).filter(([language]) => language !== 'CSharp' && language !== 'TypeScript').map(([language, namespace]) => kiotaRow(language, namespace))]);
rows.sort((a, b) => order.indexOf(a.generator) - order.indexOf(b.generator));

const cell = (value) => (value === null ? 'n/a' : value ? 'yes' : 'NO');
console.log('\n| generator | generates | warnings | compiles | end to end | unlisted state read | generation s |\n|---|---|---|---|---|---|---|');
for (const row of rows) console.log(`| ${row.generator} | ${cell(row.generates)} | ${row.warnings.length} | ${cell(row.compiles)} | ${cell(row.e2e)} | ${cell(row.unlistedState)} | ${row.seconds} |`);
const failed = rows.filter((row) => !row.generates || row.compiles === false || row.e2e === false || row.unlistedState === false);
console.log(`\nmatrix: ${rows.length - failed.length} of ${rows.length} rows passed`);
process.exit(failed.length === 0 ? 0 : 1);
