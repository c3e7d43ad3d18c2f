// The generator matrix's test phase (`node matrix.mjs run`, run by GeneratorMatrixTests): reads out/matrix-build.json
// (written by the build phase from the same document bytes, or it refuses), then runs the compiled clients end to end:
// create -> wait -> result against KLING_BASE_URL, and a state the document does not list, served by
// KLING_UNKNOWN_STATE_URL, printed as its text. Prints one "MATRIX {json}" line per row (build fields + end-to-end
// fields), the table, and "matrix: N of N rows passed"; exits 1 when a row failed.
import fs from 'node:fs';
import path from 'node:path';
import { buildRecord, documentHash, here, inParallel, order, run, tail } from './matrix-common.mjs';

const { KLING_BASE_URL: baseUrl, KLING_API_KEY: apiKey, KLING_UNKNOWN_STATE_URL: unknownStateUrl } = process.env;
const unknownState = process.env.KLING_UNKNOWN_STATE ?? 'rendering';

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

// The compiled clients the matrix runs, by row.
const endToEndRuns = {
  'kiota-csharp': () => endToEnd('dotnet', [path.join(here, 'kiota-csharp', 'bin', 'Release', 'net10.0', 'KiotaSmoke.dll')]),
  // Kiota's TypeScript serializer drops a derived request's own fields when it is sent through the discriminator's
  // base type (the simulator answers 422 "input is required."; docs/ports.md), so only the state is read end to end.
  'kiota-typescript': () => endToEnd('node', [path.join('dist', 'kiota', 'src', 'kiota.js')], { createTask: false }),
  'openapi-typescript+openapi-fetch': () => endToEnd('node', [path.join('dist', 'openapi-fetch', 'src', 'openapi-fetch.js')]),
  'hey-api': () => endToEnd('node', [path.join('dist', 'hey-api', 'src', 'hey-api.js')]),
};

function readBuild() {
  const rebuild = 'run `dotnet build tests/KlingGenerated.Tests` (or `node matrix.mjs build` in tests/generators)';
  if (!fs.existsSync(buildRecord)) return { refused: `matrix: ${path.relative(here, buildRecord)} is missing: the clients were not generated; ${rebuild}` };
  const built = JSON.parse(fs.readFileSync(buildRecord, 'utf8'));
  const current = documentHash();
  if (built.document !== current) return { refused: `matrix: built from another document (${built.document?.slice(0, 12)}, not ${current.slice(0, 12)}): ${rebuild}` };
  return built;
}

export async function runMatrix() {
  const built = readBuild();
  if (built.refused) {
    console.log(built.refused);
    return 2;
  }
  const rows = built.rows.map((row) => ({ ...row, e2e: null, unlistedState: null }));
  await inParallel(rows.filter((row) => row.compiles && endToEndRuns[row.generator]).map((row) => async () => {
    Object.assign(row, await endToEndRuns[row.generator]());
  }));
  rows.sort((a, b) => order.indexOf(a.generator) - order.indexOf(b.generator));
  for (const row of rows) console.log(`MATRIX ${JSON.stringify(row)}`);

  const cell = (value) => (value === null ? 'n/a' : value ? 'yes' : 'NO');
  console.log('\n| generator | generates | warnings | compiles | end to end | unlisted state read | generation s |\n|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.generator} | ${cell(row.generates)} | ${row.warnings.length} | ${cell(row.compiles)} | ${cell(row.e2e)} | ${cell(row.unlistedState)} | ${row.seconds} |`);
  const failed = rows.filter((row) => !row.generates || row.compiles === false || row.e2e === false || row.unlistedState === false);
  console.log(`\nmatrix: ${rows.length - failed.length} of ${rows.length} rows passed`);
  return failed.length === 0 ? 0 : 1;
}
