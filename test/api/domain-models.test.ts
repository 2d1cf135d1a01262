import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DriftMonitor } from '../../models/drift-monitor.ts';
import { loadBundle } from '../../models/model-bundle.ts';
import { bearer, type DomainFixture, domainFixture } from './domain-fixture.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(REPO, 'models/default/centrifugal_pump');

/** `prognos <args>` as its own process against `url` with `token`. */
function prognos(args: string[], url: string, token: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO, 'bin/prognos.mjs'), ...args], { env: { PATH: process.env.PATH ?? '', PROGNOS_URL: url, PROGNOS_TOKEN: token, LOG_LEVEL: 'silent' }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('domain API: the model registry (admin) and `prognos models`', () => {
  let f: DomainFixture;
  let tmp: string;
  let v2Dir: string;
  const drift = new DriftMonitor({ minSample: 3 });
  before(async () => {
    f = await domainFixture({ drift });
    tmp = mkdtempSync(join(tmpdir(), 'prognos-models-'));
    // A second version of the same bundle: same files, another version in the card.
    v2Dir = join(tmp, 'pump-v2');
    cpSync(BUNDLE, v2Dir, { recursive: true });
    const card = JSON.parse(readFileSync(join(v2Dir, 'card.json'), 'utf8'));
    card.version = '1.0.1-test';
    writeFileSync(join(v2Dir, 'card.json'), JSON.stringify(card, null, 2));
  });
  after(async () => {
    await f.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const call = async (user: keyof DomainFixture['tokens'], method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await f.app.inject({ method, url, headers: bearer(f.tokens[user]), ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };

  test('register, activate, roll back', async () => {
    assert.deepEqual((await call('admin', 'GET', '/api/v1/models')).body, { models: [] });
    const v1 = await call('admin', 'POST', '/api/v1/models/register', { dir: BUNDLE });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    assert.equal(v1.body.model.status, 'candidate');
    assert.equal(v1.body.model.equipmentType, 'centrifugal_pump');
    const version1 = v1.body.model.version as string;
    const v2 = await call('admin', 'POST', '/api/v1/models/register', { dir: v2Dir });
    assert.equal(v2.body.model.version, '1.0.1-test');
    assert.equal((await call('admin', 'POST', '/api/v1/models/centrifugal_pump/activate', { version: version1 })).body.model.status, 'active');
    const a2 = await call('admin', 'POST', '/api/v1/models/centrifugal_pump/activate', { version: '1.0.1-test' });
    assert.equal(a2.body.model.status, 'active');
    assert.equal(a2.body.model.activatedBy, 'admin:admin');
    const back = await call('admin', 'POST', '/api/v1/models/centrifugal_pump/rollback');
    assert.equal(back.status, 200);
    assert.equal(back.body.model.version, version1);
    const list = (await call('admin', 'GET', '/api/v1/models?type=centrifugal_pump')).body.models as any[];
    assert.deepEqual(Object.fromEntries(list.map((m) => [m.version, m.status])), { [version1]: 'active', '1.0.1-test': 'retired' });
    const unknown = await call('admin', 'POST', '/api/v1/models/centrifugal_pump/activate', { version: '9.9.9' });
    assert.equal(unknown.status, 404);
    assert.equal((await call('admin', 'POST', '/api/v1/models/air_compressor/rollback')).status, 404);
  });

  test('drift reports come from the scoring drift monitor, with NaN as null', async () => {
    assert.deepEqual((await call('admin', 'GET', '/api/v1/models/drift')).body, { monitored: true, reports: [] });
    const bundle = loadBundle(BUNDLE);
    const names = bundle.card.featureNames;
    for (let i = 0; i < 3; i++) drift.observe(bundle, { status: 'ok', names, values: new Float64Array(names.length).fill(Number.NaN), at: 1000 + i });
    const { status, body } = await call('admin', 'GET', '/api/v1/models/drift');
    assert.equal(status, 200);
    assert.equal(body.reports.length, 1);
    const r = body.reports[0];
    assert.equal(r.equipmentType, 'centrifugal_pump');
    assert.equal(r.sampleSize, 3);
    assert.equal(r.at, 1002);
    assert.ok(Object.values(r.psi).every((v) => v === null), 'no values: no PSI, sent as null');
  });

  test('only admins reach the model routes', async () => {
    for (const user of ['eng-acme', 'cust-acme-1'] as const) {
      for (const [method, url, payload] of [
        ['GET', '/api/v1/models', undefined],
        ['POST', '/api/v1/models/register', { dir: BUNDLE }],
        ['POST', '/api/v1/models/centrifugal_pump/activate', { version: '1.0.1-test' }],
        ['POST', '/api/v1/models/centrifugal_pump/rollback', undefined],
        ['GET', '/api/v1/models/drift', undefined],
      ] as const) {
        const res = await call(user, method, url, payload);
        assert.equal(res.status, 403, `${user} ${method} ${url}`);
        assert.equal(res.body.error.code, 'PRG_FORBIDDEN');
      }
    }
    assert.equal((await f.app.inject({ url: '/api/v1/models' })).statusCode, 401);
  });

  test('`prognos models` lists, activates, rolls back and reads drift over HTTP', async () => {
    await f.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(f.app.server.address() as AddressInfo).port}`;
    const list = await prognos(['models', 'list', '--json'], url, f.tokens.admin);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as any[]).map((m) => m.version).sort(), ['1.0.0', '1.0.1-test'].sort());
    const act = await prognos(['models', 'activate', 'centrifugal_pump', '1.0.1-test'], url, f.tokens.admin);
    assert.equal(act.code, 0, act.stderr);
    assert.match(act.stdout, /active: centrifugal_pump 1\.0\.1-test/);
    const rb = await prognos(['models', 'rollback', 'centrifugal_pump'], url, f.tokens.admin);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stdout, /rolled back/);
    const dr = await prognos(['models', 'drift'], url, f.tokens.admin);
    assert.equal(dr.code, 0, dr.stderr);
    assert.match(dr.stdout, /centrifugal_pump/);
    const denied = await prognos(['models', 'list'], url, f.tokens['eng-acme']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /PRG_FORBIDDEN|admin/);
  });
});
