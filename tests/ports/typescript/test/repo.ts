import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the first folder above this file that holds KlingGenerated.sln. */
export const repoRoot = (() => {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'KlingGenerated.sln'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('KlingGenerated.sln not found above ' + fileURLToPath(import.meta.url));
  }
})();

export interface VectorFile<V> {
  kind: string;
  description: string;
  vectors: V[];
  [setting: string]: unknown;
}

export function vectors<V>(kind: string): VectorFile<V> {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'openapi', 'conformance', `${kind}.json`), 'utf8')) as VectorFile<V>;
}
