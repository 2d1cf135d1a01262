import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EQUIPMENT_TYPES } from '../../simulators/equipment-model.ts';
import { EVENT_COLUMNS, readingColumns, readingsFileName, writeHistory } from '../../simulators/history-writer.ts';

const dirs: string[] = [];
const freshDir = () => {
  const d = join(tmpdir(), `prognos-history-${randomUUID()}`);
  dirs.push(d);
  return d;
};
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** RFC 4180 CSV → header + rows of objects. */
function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') record.push(field), (field = '');
    else if (c === '\n') record.push(field), records.push(record), (record = []), (field = '');
    else field += c;
  }
  const [header, ...rest] = records;
  return { header: header!, rows: rest.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!]))) };
}

const options = { devices: 6, seed: 17, days: 150, sampleMinutes: 30, dropoutRate: 0.01 };

test('history mode writes readings per type, events and fleet.json, and the events line up with the readings', async () => {
  const outDir = freshDir();
  const summary = await writeHistory({ ...options, outDir });
  assert.deepEqual([...summary.files].sort(), ['events.csv', 'fleet.json', ...EQUIPMENT_TYPES.map(readingsFileName)].sort());

  const fleet = JSON.parse(await readFile(join(outDir, 'fleet.json'), 'utf8')) as {
    tenant: string;
    start: string;
    devices: { tenant: string; id: string; type: string; model: string; installedAt: string; failureModes: string[] }[];
    equipmentTypes: Record<string, { sensors: { name: string }[]; failureModes: { id: string; source: string }[] }>;
  };
  assert.equal(fleet.devices.length, 6);
  assert.equal(fleet.start, '2025-01-01T00:00:00.000Z');
  for (const d of fleet.devices) {
    assert.ok(d.tenant === 'demo' && d.id && d.model && Date.parse(d.installedAt) < Date.parse(fleet.start) && d.failureModes.length >= 2);
  }

  const events = parseCsv(await readFile(join(outDir, 'events.csv'), 'utf8'));
  assert.deepEqual(events.header, [...EVENT_COLUMNS]);
  const failures = events.rows.filter((e) => e.kind === 'failure');
  assert.ok(failures.length >= 3, `${failures.length} failures`);
  assert.equal(failures.length, summary.events.failure);

  const readings = new Map<string, Record<string, string>[]>();
  for (const type of EQUIPMENT_TYPES) {
    const csv = parseCsv(await readFile(join(outDir, readingsFileName(type)), 'utf8'));
    assert.deepEqual(csv.header, readingColumns(type));
    for (const r of csv.rows) {
      assert.equal(r.equipment_type, type);
      readings.set(r.device!, [...(readings.get(r.device!) ?? []), r]);
    }
  }
  const expected = Math.floor((150 * 24 * 60) / 30);
  for (const [device, rows] of readings) {
    assert.ok(rows.length > expected * 0.97 && rows.length <= expected, `${device}: ${rows.length} rows (dropouts ~1 %)`);
    for (let i = 1; i < rows.length; i++) assert.ok(Date.parse(rows[i]!.ts!) > Date.parse(rows[i - 1]!.ts!));
  }

  for (const f of failures) {
    const rows = readings.get(f.device!)!;
    const at = Date.parse(f.ts!);
    const col = `true_damage_${f.failure_mode}`;
    const before = rows.filter((r) => Date.parse(r.ts!) < at).at(-1)!;
    const afterIt = rows.find((r) => Date.parse(r.ts!) >= at)!;
    if (!before || !afterIt) continue;
    assert.ok(at - Date.parse(before.ts!) <= 2 * 30 * 60_000, 'the failure falls between two neighbouring readings');
    assert.notEqual(before.state, '2');
    assert.ok(Number(before[col]) < 1 && Number(before[col]) > 0.5, `${f.device} ${col} just before: ${before[col]}`);
    assert.equal(afterIt.state, '2', 'the device reports the failed state');
    assert.equal(Number(afterIt[col]), 1, 'damage is 1.0 at the failure');
    const repair = events.rows.find((e) => e.device === f.device && e.kind === 'repair' && Date.parse(e.ts!) > at);
    if (repair) {
      assert.equal(repair.failure_mode, f.failure_mode);
      const back = rows.find((r) => Date.parse(r.ts!) >= Date.parse(repair.ts!))!;
      assert.notEqual(back.state, '2');
      assert.ok(Number(back[col]) < 0.05, 'repaired: wear reset');
    }
  }

  for (const m of events.rows.filter((e) => e.kind === 'maintenance' && e.failure_mode)) {
    const next = readings.get(m.device!)!.find((r) => Date.parse(r.ts!) >= Date.parse(m.ts!));
    if (!next) continue;
    assert.equal(next.state, '3', 'in maintenance');
    for (const mode of m.failure_mode!.split(';')) assert.equal(Number(next[`true_damage_${mode}`]), 0, `${mode} renewed`);
  }
});

test('the same seed writes byte-identical files', async () => {
  const a = freshDir();
  const b = freshDir();
  await writeHistory({ ...options, days: 20, outDir: a });
  await writeHistory({ ...options, days: 20, outDir: b });
  for (const f of ['events.csv', 'fleet.json', ...EQUIPMENT_TYPES.map(readingsFileName)]) {
    assert.equal(await readFile(join(a, f), 'utf8'), await readFile(join(b, f), 'utf8'), f);
  }
});
