// The generator matrix: generators nobody on the project wrote, run against openapi/kling.openapi.yaml.
//   Kiota (the .NET tool pinned in .config/dotnet-tools.json) for C#, TypeScript, Python, Go, Java, PHP, Ruby, Dart;
//   openapi-typescript + openapi-fetch; hey-api. NSwag is the build itself.
// Each row: generates (exit 0), the generator's warnings, compiles (C#: dotnet build; TypeScript: tsc --strict;
// Python: compileall), end to end (create -> wait -> result against KLING_BASE_URL, and a state the document does not
// list, served by KLING_UNKNOWN_STATE_URL, printed as its text).
// Two phases, as generating and compiling clients is build work:
//   node matrix.mjs build   generates and compiles every row, writes out/matrix-build.json (matrix-build.mjs); run by
//                           `dotnet build tests/KlingGenerated.Tests` when the document or the matrix changed (Build/GeneratorMatrix.targets)
//   node matrix.mjs run     runs the compiled clients end to end, prints one "MATRIX {json}" line per row
//                           (matrix-run.mjs); run by GeneratorMatrixTests
// By hand: npm ci && node matrix.mjs build && KLING_BASE_URL=... KLING_API_KEY=... KLING_UNKNOWN_STATE_URL=... node matrix.mjs run
import { build } from './matrix-build.mjs';
import { runMatrix } from './matrix-run.mjs';

const phases = { build, run: runMatrix };
const phase = phases[process.argv[2]];
if (!phase) {
  console.error('usage: node matrix.mjs build | run');
  process.exit(2);
}
process.exit(await phase());
