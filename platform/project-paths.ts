import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
const ABOVE = dirname(dirname(fileURLToPath(import.meta.url)));
/** The compiled tree this module runs from, or null when it runs from the sources. */
const BUILD_DIR = existsSync(join(ABOVE, BUILD_MARKER)) ? ABOVE : null;

export const PROJECT_ROOT = BUILD_DIR ? dirname(BUILD_DIR) : ABOVE;

/**
 * When running compiled: the first source file changed after the build (the compiled tree would
 * run older code than the checkout shows), else null. Always null from the sources.
 */
export function sourceNewerThanBuild(): string | null {
  if (!BUILD_DIR) return null;
  const marker = JSON.parse(readFileSync(join(BUILD_DIR, BUILD_MARKER), 'utf8')) as { builtAt: string; sourceDirs: string[] };
  const builtAt = Date.parse(marker.builtAt);
  const walk = (dir: string): string | null => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const found = entry.isDirectory() ? walk(path) : entry.name.endsWith('.ts') && statSync(path).mtimeMs > builtAt ? path : null;
      if (found) return found;
    }
    return null;
  };
  for (const dir of marker.sourceDirs) {
    const found = walk(join(PROJECT_ROOT, dir));
    if (found) return found;
  }
  return null;
}

/** A path under the project root, e.g. `projectPath('web')`. */
export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}
