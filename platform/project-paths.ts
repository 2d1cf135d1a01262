import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Written by `scripts/build.mjs` at the top of a compiled tree (`.build/`). */
export const BUILD_MARKER = '.prognos-build';

/**
 * The project root, whether this module runs from its TypeScript source (through tsx) or from
 * the ahead-of-time compiled tree that `npm run build` writes one level below the root: files
 * that ship beside the code (web/, models/default/, the knowledge articles, scripts/) are read
 * from the root in both cases, never from the compiled tree.
 */
function findProjectRoot(): string {
  const above = dirname(dirname(fileURLToPath(import.meta.url)));
  return existsSync(join(above, BUILD_MARKER)) ? dirname(above) : above;
}

export const PROJECT_ROOT = findProjectRoot();

/** A path under the project root, e.g. `projectPath('web')`. */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
