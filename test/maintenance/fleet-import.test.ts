import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { demoFleet } from '../../maintenance/demo-fleet.ts';
import { FleetDocumentSchema } from '../../maintenance/fleet-schema.ts';
import { lockDirectory } from '../../platform/dir-lock.ts';
import { EQUIPMENT_CATALOGUE } from '../../simulators/equipment-catalogue.ts';
import { fleetUnit } from '../../simulators/fleet.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/prognos.mjs', import.meta.url));
const prognos = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

const dir = mkdtempSync(join(tmpdir(), 'prognos-fleet-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const START = Date.UTC(2026, 5, 1);

test("the demo registry matches the simulator's fleet and covers every failure mode with a skill", () => {
  const options = { tenant: 'demo', devices: 30, seed: 7, startMs: START };
  const doc = FleetDocumentSchema.parse(demoFleet(options));
  assert.deepEqual(demoFleet(options), demoFleet(options), 'deterministic');
  assert.equal(doc.customers.length, 10);
  assert.deepEqual(
    doc.devices.map((d) => [d.id, d.equipmentType, d.model, d.installedAt]),
    Array.from({ length: 30 }, (_, i) => fleetUnit(options, i)).map((u) => [u.device, u.type, u.model, u.installedAt]),
  );
  const languages = new Set(doc.customers.map((c) => c.language));
  assert.deepEqual([...languages].sort(), ['en', 'zh-CN']);
  assert.ok(doc.customers.some((c) => c.plainLanguage) && doc.customers.some((c) => !c.plainLanguage));
  assert.ok(doc.customers.some((c) => c.quietHours !== null));
  assert.ok(doc.customers.every((c) => c.availability.length > 0));
  for (const s of doc.sites) assert.ok(Math.abs(s.lat - 31.23) < 0.5 && Math.abs(s.lon - 121.47) < 0.5);
  const skills = new Set(doc.technicians.flatMap((t) => t.skills));
  const modes = Object.values(EQUIPMENT_CATALOGUE).flatMap((e) => e.model.failureModes.map((m) => m.id));
  assert.deepEqual(modes.filter((m) => !skills.has(m)), []);
  assert.ok(doc.technicians.every((t) => (t.workingHours.mon ?? []).length > 0));
  assert.ok(new Set(doc.devices.map((d) => d.customerId)).size === 10, 'every customer owns a device');
});

test('prognos fleet import upserts idempotently, refuses a bad file, and fails clearly while the service holds PGlite', async () => {
  const env = { PROGNOS_DATA_DIR: join(dir, 'data') };
  const file = join(dir, 'fleet.json');
  const made = await prognos(['fleet', 'demo', '--devices', '6', '--seed', '3', '--out', file], env);
  assert.equal(made.code, 0, made.stderr);

  const first = await prognos(['fleet', 'import', file], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^tenant demo \(created\): customers 2 new, 0 updated, 0 unchanged; sites 2 new.*devices 6 new, 0 updated, 0 unchanged; technicians 5 new/);
  const second = await prognos(['fleet', 'import', file], env);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /^tenant demo: customers 0 new, 0 updated, 2 unchanged; sites 0 new, 0 updated, 2 unchanged; devices 0 new, 0 updated, 6 unchanged; technicians 0 new, 0 updated, 5 unchanged\n$/);

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ tenant: { id: 'demo', name: 'x' }, devices: [{ id: 'pump-1' }] }));
  const refused = await prognos(['fleet', 'import', bad], env);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^prognos: PRG_BAD_REQUEST: .*devices\.0\.equipmentType/);

  // this test process stands in for the running service holding the data directory
  const release = lockDirectory(join(dir, 'data', 'pglite'), 'PGlite data directory');
  try {
    const locked = await prognos(['fleet', 'import', file], env);
    assert.equal(locked.code, 1);
    assert.match(locked.stderr, /^prognos: PRG_DATA_DIR_LOCKED: .*held by process \d+/);
  } finally {
    release();
  }
});
