// The breaking-change gate: compares openapi/kling.openapi.yaml with the last released document
// (openapi/released/<version>/kling.openapi.yaml) using api-smart-diff, and fails when
//   - the document changed but info.version did not (or went down),
//   - the topmost section of openapi/CHANGELOG.md is not the document's version,
//   - api-smart-diff finds a breaking change, or a rule stated as data (x-error-classification, x-kling-polling,
//     x-kling-callback-checks...) changed, and the version is not a major bump over the release, or the changelog
//     section has no **Breaking** entry.
// The tool's findings are printed in the failure message. Run by the test suite (ContractGateTests) from the repository root:
//   node scripts/contract-gate.mjs [--document PATH] [--changelog PATH] [--released DIR]
// Exit code 0: passed; 1: failed; 2: could not run (a file is missing or unreadable).
import fs from 'node:fs';
import path from 'node:path';
import { apiCompare } from 'api-smart-diff';
import yaml from 'js-yaml';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const documentPath = args.document ?? 'openapi/kling.openapi.yaml';
const changelogPath = args.changelog ?? 'openapi/CHANGELOG.md';
const releasedDir = args.released ?? 'openapi/released';
const semver = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

function fail(message) {
  console.log(`contract gate: FAIL: ${message}`);
  process.exit(1);
}

function cannotRun(message) {
  console.log(`contract gate: ERROR: ${message}`);
  process.exit(2);
}

const parse = (version) => version.split('.').map(Number);
const compare = (a, b) => { const [x, y] = [parse(a), parse(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; };

function load(file) {
  try {
    return yaml.load(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    cannotRun(`cannot read ${file}: ${e.message}`);
  }
}

const releases = fs.existsSync(releasedDir) ? fs.readdirSync(releasedDir).filter((name) => semver.test(name)).sort(compare) : [];
if (releases.length === 0) cannotRun(`no released document under ${releasedDir}/<version>/kling.openapi.yaml`);
const releasedVersion = releases[releases.length - 1];
const before = load(path.join(releasedDir, releasedVersion, 'kling.openapi.yaml'));
const after = load(documentPath);
const version = String(after?.info?.version ?? '');
if (!semver.test(version)) fail(`info.version "${version}" of ${documentPath} is not MAJOR.MINOR.PATCH`);
if (String(before?.info?.version) !== releasedVersion) cannotRun(`${releasedDir}/${releasedVersion} holds a document whose info.version is ${before?.info?.version}`);

const { diffs } = apiCompare(before, after);
const counts = { breaking: 0, 'non-breaking': 0, annotation: 0, unclassified: 0, deprecated: 0 };
for (const diff of diffs) counts[diff.type] = (counts[diff.type] ?? 0) + 1;
// Rules the document states as data in x- extensions: api-smart-diff leaves a change inside them unclassified, and it
// cannot tell a tightened rule from a loosened one, so any change to one counts as breaking here. Only a whole new
// extension (a rule an existing port already follows, stated as data) is compatible.
const ruleExtensions = new Set(['x-error-classification', 'x-kling-polling', 'x-kling-callback-checks', 'x-kling-billable', 'x-utf16-maxLength', 'x-multipleOf-tolerance']);
const ruleChanges = diffs.filter((diff) => diff.type === 'unclassified' && diff.path.some((part) => ruleExtensions.has(String(part)))
  && !(diff.action === 'add' && ruleExtensions.has(String(diff.path[diff.path.length - 1]))));
if (ruleChanges.length > 0) counts['rule data changed'] = ruleChanges.length;
const summary = Object.entries(counts).map(([type, n]) => `${n} ${type}`).join(', ');
// One line per breaking finding, as the tool states it; the same change seen through several $refs is listed once per place.
const breaking = [...diffs.filter((diff) => diff.type === 'breaking'), ...ruleChanges]
  .map((diff) => `  - ${diff.action} /${diff.path.join('/')}${diff.before !== undefined && typeof diff.before !== 'object' ? ` (was ${JSON.stringify(diff.before)})` : ''}${diff.description ? `: ${diff.description}` : ''}${diff.type === 'unclassified' ? ' (a rule stated as data changed)' : ''}`);

// The topmost "## X.Y.Z — ..." section of the changelog and its entries.
let changelog;
try {
  changelog = fs.readFileSync(changelogPath, 'utf8');
} catch (e) {
  cannotRun(`cannot read ${changelogPath}: ${e.message}`);
}
const sections = [...changelog.matchAll(/^## (\d+\.\d+\.\d+) — .*$/gm)];
const top = sections[0];
const topText = top ? changelog.slice(top.index, sections[1]?.index ?? changelog.length) : '';

const header = `${documentPath} ${version} against released ${releasedVersion} (api-smart-diff: ${summary})`;
if (compare(version, releasedVersion) < 0) fail(`${header}: info.version is lower than the last release.`);
if (diffs.length > 0 && version === releasedVersion) {
  fail(`${header}: the document changed since its release but info.version is still ${releasedVersion}. ` +
    `Bump it (major for a breaking change) and add a changelog entry.${breaking.length ? `\nBreaking findings:\n${breaking.join('\n')}` : ''}`);
}
if (version !== releasedVersion && top?.[1] !== version) {
  fail(`${header}: the topmost section of ${changelogPath} is ${top?.[1] ?? 'missing'}, not ${version}; add "## ${version} — unreleased" with an entry per change.`);
}
if (breaking.length > 0) {
  if (parse(version)[0] <= parse(releasedVersion)[0]) {
    fail(`${header}: ${breaking.length} breaking change(s) without a major version bump (${releasedVersion} -> ${version}; needs ${parse(releasedVersion)[0] + 1}.0.0).\nBreaking findings:\n${breaking.join('\n')}`);
  }
  if (!/^- \*\*Breaking\*\* — /m.test(topText)) {
    fail(`${header}: ${breaking.length} breaking change(s) but the ${version} section of ${changelogPath} has no "- **Breaking** — " entry.\nBreaking findings:\n${breaking.join('\n')}`);
  }
}
console.log(`contract gate: PASS: ${header}; ${breaking.length} breaking finding(s) covered by ${version === releasedVersion ? 'no change' : `the ${version} section of the changelog`}.`);
