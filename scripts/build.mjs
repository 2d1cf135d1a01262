#!/usr/bin/env node
/**
 * Compiles the product's TypeScript ahead of time into a tree one level below the project root
 * (default `.build/`), file for file, so `node .build/cli/main.js <command>` runs without tsx.
 * Why: tsx's loader costs memory for every module a process imports (bench/README.md measures
 * it), and a long-running ingest process should not pay it. `bin/prognos.mjs` (tsx) stays the
 * way to run from a checkout; this is for deployments and the memory benchmark.
 *
 * Each file goes through esbuild's TypeScript transform, which is what tsx runs too, so the
 * compiled code is the code tsx would run; relative `.ts` import specifiers become `.js`. Files
 * that ship beside the code (web/, models/default/, …) are read from the project root, not from
 * this tree (platform/project-paths.ts).
 *
 *   node scripts/build.mjs [--out .build]
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { transform } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: '.build' } } });
const out = resolve(root, values.out);
if (dirname(out) !== root) throw new Error(`--out must be a folder directly under the project root (${root}), got ${out}`);

/** The product's code: what `prognos` imports. Tests, benchmarks and scripts run through tsx. */
const SOURCE_DIRS = ['platform', 'ingest', 'models', 'alerts', 'maintenance', 'workflows', 'assistant', 'api', 'simulators', 'cli'];
/** `from './x.ts'`, `import('./x.ts')`, `export … from '../y.ts'`: relative specifiers only. */
const RELATIVE_TS = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const started = performance.now();
rmSync(out, { recursive: true, force: true });
let files = 0;
for (const dir of SOURCE_DIRS) {
  for (const file of tsFiles(join(root, dir))) {
    const source = readFileSync(file, 'utf8');
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'node20', sourcefile: relative(root, file) });
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, code.replace(RELATIVE_TS, '$1$2.js$3'));
    files++;
  }
}
// The marker: platform/project-paths.ts finds the root by it and compares its time with the sources'.
writeFileSync(join(out, '.prognos-build'), `${JSON.stringify({ builtAt: new Date(started + performance.timeOrigin).toISOString(), files, sourceDirs: SOURCE_DIRS })}\n`);
process.stdout.write(`compiled ${files} files into ${relative(root, out)}/ in ${((performance.now() - started) / 1000).toFixed(1)} s: node ${relative(root, out)}/cli/main.js <command>\n`);
