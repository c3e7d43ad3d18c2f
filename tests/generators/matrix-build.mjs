// The generator matrix's build phase (`node matrix.mjs build`, run by `dotnet build` of tests/KlingGenerated.Tests when
// one of its inputs changed: tests/KlingGenerated.Tests/Build/GeneratorMatrix.targets): every row generates from the document and the
// C#, TypeScript and Python outputs compile; out/matrix-build.json records each row and the document's SHA-256.
// A row that fails is recorded, not thrown: the test reports it with its output, and `dotnet build` still succeeds.
import fs from 'node:fs';
import path from 'node:path';
import { bin, buildRecord, document, documentHash, here, inParallel, order, out, repo, run, tail } from './matrix-common.mjs';

// Kiota generates one language at a time: concurrent runs on one document failed inside Kiota (a NullReferenceException
// in "error generating the client", 2026-12-07); the rows' compiles still overlap.
let kiotaTurn = Promise.resolve();
function oneKiotaAtATime(step) {
  const result = kiotaTurn.then(step);
  kiotaTurn = result.catch(() => {});
  return result;
}

// Kiota prints "warn:" blocks; the update check (a call to api.github.com) is about the network, not the document.
function kiotaWarnings(output) {
  const messages = [...output.matchAll(/^warn: [^\n]*\n\s+([^\n]+)/gm)].map((m) => m[1].trim());
  return messages.filter((m) => !m.startsWith('Unable to check for updates'));
}

const compile = async (row, command, args) => {
  const built = await run(command, args);
  row.compiles = built.ok;
  if (!built.ok) row.error = tail(built.output);
};

const kiotaLanguages = { CSharp: 'KlingKiota', TypeScript: 'KlingKiota', Python: 'kling_kiota', Go: 'kling_kiota', Java: 'kling.kiota', PHP: 'KlingKiota', Ruby: 'KlingKiota', Dart: 'kling_kiota' };
const kiotaRow = (language, namespace) => async () => {
  const target = language === 'CSharp' ? path.join(here, 'kiota-csharp', 'obj', 'kiota') : path.join(out, `kiota-${language.toLowerCase()}`);
  const generated = await oneKiotaAtATime(() => run('dotnet', ['kiota', 'generate', '--language', language, '--openapi', document, '--output', target, '--class-name', 'KlingClient',
    '--namespace-name', namespace, '--clean-output', '--log-level', 'Warning'], { cwd: repo }));
  const crit = /^(?:crit|fail): [^\n]*\n\s+([^\n]+)/m.exec(generated.output)?.[1];
  const row = { generator: `kiota-${language.toLowerCase()}`, generates: generated.ok && !crit, warnings: kiotaWarnings(generated.output), compiles: null, seconds: generated.seconds };
  if (!row.generates) row.error = crit ?? tail(generated.output);
  else if (language === 'CSharp') await compile(row, 'dotnet', ['build', path.join(here, 'kiota-csharp', 'KiotaSmoke.csproj'), '-c', 'Release', '--nologo', '-v', 'q', '-clp:ErrorsOnly']);
  else if (language === 'TypeScript') await compile(row, bin('tsc'), ['-p', 'tsconfig.kiota.json']);
  else if (language === 'Python') await compile(row, 'python3', ['-m', 'compileall', '-q', target]);
  return row;
};

const openapiFetchRow = async () => {
  const generated = await run(bin('openapi-typescript'), [document, '--enum', '--output', path.join(out, 'openapi-typescript', 'kling.ts')]);
  const row = { generator: 'openapi-typescript+openapi-fetch', generates: generated.ok, warnings: [...generated.output.matchAll(/^\s*(?:⚠|warn(?:ing)?:?)\s*(.+)$/gim)].map((m) => m[1].trim()), compiles: null, seconds: generated.seconds };
  if (!generated.ok) row.error = tail(generated.output);
  else await compile(row, bin('tsc'), ['-p', 'tsconfig.openapi-fetch.json']);
  return row;
};

const heyApiRow = async () => {
  const generated = await run(bin('openapi-ts'), ['-f', 'hey-api.config.mjs'], { env: { KLING_DOCUMENT: document } });
  const row = { generator: 'hey-api', generates: generated.ok && !/error/i.test(generated.output), warnings: [...generated.output.matchAll(/^.*(?:⚠️|warn(?:ing)?:)\s*(.+)$/gim)].map((m) => m[1].trim()), compiles: null, seconds: generated.seconds };
  if (!row.generates) row.error = tail(generated.output);
  else await compile(row, bin('tsc'), ['-p', 'tsconfig.hey-api.json']);
  return row;
};

export async function build() {
  const missing = ['tsc', 'openapi-typescript', 'openapi-ts'].filter((name) => !fs.existsSync(bin(name)));
  if (missing.length > 0) {
    console.error(`matrix build: ${missing.join(', ')} missing from tests/generators/node_modules: run \`npm ci\` there (or \`dotnet build tests/KlingGenerated.Tests\`, which does)`);
    return 2;
  }
  const hash = documentHash();
  fs.rmSync(buildRecord, { force: true });
  fs.rmSync(path.join(here, 'dist'), { recursive: true, force: true });
  const restore = await run('dotnet', ['tool', 'restore'], { cwd: repo });
  if (!restore.ok) console.log(`dotnet tool restore failed:\n${tail(restore.output)}`);

  const rows = [];
  const record = (row) => async () => {
    const done = await row();
    rows.push(done);
    console.log(`matrix build: ${done.generator}: generates ${done.generates}, compiles ${done.compiles}, ${done.warnings.length} warning(s), ${done.seconds} s`);
  };
  // The slowest rows first (C# builds, the TypeScript rows compile), so the last to start are the quick ones.
  await inParallel([record(kiotaRow('CSharp', kiotaLanguages.CSharp)), record(openapiFetchRow), record(heyApiRow), record(kiotaRow('TypeScript', kiotaLanguages.TypeScript)),
    ...Object.entries(kiotaLanguages).filter(([language]) => language !== 'CSharp' && language !== 'TypeScript').map(([language, namespace]) => record(kiotaRow(language, namespace)))]);
  rows.sort((a, b) => order.indexOf(a.generator) - order.indexOf(b.generator));
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(buildRecord, `${JSON.stringify({ document: hash, rows }, null, 2)}\n`);
  console.log(`matrix build: ${rows.filter((r) => r.generates && r.compiles !== false).length} of ${rows.length} rows generated and compiled; recorded in ${path.relative(here, buildRecord)}`);
  return 0;
}
