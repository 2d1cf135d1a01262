import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../platform/project-paths.ts';

const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const outName = `.build-test-${process.pid}`;
const out = join(root, outName);
after(() => rmSync(out, { recursive: true, force: true }));

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []));
}

test('scripts/build.mjs compiles the CLI into a tree that runs without tsx and reads shipped files from the root', () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--out', outName], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  assert.match(build.stdout, /compiled \d+ files/);

  const files = jsFiles(out);
  assert.ok(files.some((f) => f.endsWith('/cli/main.js')) && files.some((f) => f.endsWith('/ingest/ingest-pipeline.js')));
  for (const f of files) assert.doesNotMatch(readFileSync(f, 'utf8'), /from\s*['"]\.{1,2}\/[^'"]+\.ts['"]/, `${f} still imports a .ts file`);

  // No tsx loader: plain node runs the compiled CLI.
  const help = spawnSync(process.execPath, [join(out, 'cli', 'main.js'), '--help'], { cwd: root, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const command of ['start', 'ingest', 'simulate', 'train', 'eval']) assert.match(help.stdout, new RegExp(`\\b${command}\\b`));

  // Shipped files (web/, models/default/, …) resolve to the project root from either tree.
  const compiledRoot = spawnSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(join(out, 'platform', 'project-paths.js'))}).then((m) => process.stdout.write(m.PROJECT_ROOT))`], { encoding: 'utf8' });
  assert.equal(compiledRoot.status, 0, compiledRoot.stderr);
  assert.equal(compiledRoot.stdout, root);
  assert.equal(PROJECT_ROOT, root);
  assert.equal(help.stderr, '', 'a fresh build runs without a warning');

  // A build older than the sources says so on every run.
  const marker = join(out, '.prognos-build');
  writeFileSync(marker, JSON.stringify({ ...JSON.parse(readFileSync(marker, 'utf8')), builtAt: '2000-01-01T00:00:00.000Z' }));
  const stale = spawnSync(process.execPath, [join(out, 'cli', 'main.js'), '--help'], { cwd: root, encoding: 'utf8' });
  assert.equal(stale.status, 0);
  assert.match(stale.stderr, /prognos: warning: .+\.ts changed after this compiled tree was built; run npm run build/);
});

test('scripts/build.mjs refuses an output folder that is not directly under the project root', () => {
  const build = spawnSync(process.execPath, ['scripts/build.mjs', '--out', '/tmp/prognos-build-elsewhere'], { cwd: root, encoding: 'utf8' });
  assert.notEqual(build.status, 0);
  assert.match(build.stderr, /directly under the project root/);
});
