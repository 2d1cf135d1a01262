import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, type DomainFixture, domainFixture, GAP, T0 } from './domain-fixture.ts';

const HOUR = 3_600_000;

describe('domain API: fleet, devices, telemetry, predictions, episodes', () => {
  let f: DomainFixture;
  before(async () => {
    f = await domainFixture();
  });
  after(() => f.close());

  const get = async (user: keyof DomainFixture['tokens'], url: string) => {
    const res = await f.app.inject({ url, headers: bearer(f.tokens[user]) });
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  };

  test('/auth/me gives the flat fields the dashboard reads', async () => {
    const me = await get('cust-acme-1', '/api/v1/auth/me');
    assert.equal(me.status, 200);
    assert.deepEqual(
      { userId: me.body.userId, role: me.body.role, displayName: me.body.displayName, tenant: me.body.tenant, customerId: me.body.customerId },
      { userId: 'cust-acme-1', role: 'customer', displayName: 'cust-acme-1 (display)', tenant: 'acme', customerId: 'C-001' },
    );
    const admin = await get('admin', '/api/v1/auth/me');
    assert.equal(admin.body.role, 'admin');
    assert.equal('tenant' in admin.body, false);
  });

  test("the fleet overview shows an engineer their tenant's devices, riskiest first", async () => {
    const { status, body } = await get('eng-acme', '/api/v1/fleet/overview');
    assert.equal(status, 200);
    const devices = body.devices as any[];
    assert.deepEqual(devices.map((d) => d.device).sort(), ['compressor-0002', 'compressor-0005', 'drive-0003', 'drive-0006', 'pump-0001', 'pump-0004']);
    const top = devices[0];
    assert.equal(top.device, 'pump-0001');
    assert.equal(top.status, 'at_risk');
    assert.equal(top.equipmentType, 'centrifugal_pump');
    assert.equal(top.customerId, 'C-001');
    assert.equal(typeof top.customerName, 'string');
    assert.equal(typeof top.name, 'string');
    assert.deepEqual(top.topRisk, { mode: 'bearing_wear', risk: 0.78, threshold: 0.5 });
    assert.equal(top.rulHours, 240);
    assert.equal(top.rulLowerHours, 160);
    assert.equal(top.predictedAt, T0 - HOUR);
    assert.deepEqual({ ...top.episode, id: undefined }, { id: undefined, mode: 'bearing_wear', severity: 'high', state: 'open' });
    assert.equal(top.lastSeen, T0 - 5 * 60_000);
    assert.equal(top.inGap, false);
    const silent = devices.find((d) => d.device === 'drive-0003');
    assert.equal(silent.inGap, true);
    assert.equal(silent.status, 'no_prediction');
    assert.equal(silent.topRisk, null);
    assert.equal(silent.episode, null);
    const never = devices.find((d) => d.device === 'pump-0004');
    assert.equal(never.lastSeen, null);
  });

  test('a customer sees only their own equipment; an admin sees every tenant', async () => {
    const cust = await get('cust-acme-1', '/api/v1/fleet/overview');
    assert.deepEqual((cust.body.devices as any[]).map((d) => d.device).sort(), ['compressor-0002', 'drive-0003', 'pump-0001']);
    const other = await get('cust-acme-2', '/api/v1/fleet/overview');
    assert.deepEqual((other.body.devices as any[]).map((d) => d.device).sort(), ['compressor-0005', 'drive-0006', 'pump-0004']);
    const admin = await get('admin', '/api/v1/fleet/overview');
    assert.equal((admin.body.devices as any[]).length, 7);
    const adminOne = await get('admin', '/api/v1/fleet/overview?tenant=globex');
    assert.deepEqual((adminOne.body.devices as any[]).map((d) => d.device), ['gx-pump-1']);
    assert.equal((await get('eng-acme', '/api/v1/fleet/overview?tenant=globex')).status, 403);
  });

  test('a device page: registry facts, the newest prediction with attributions, episodes, tickets', async () => {
    const { status, body } = await get('cust-acme-1', '/api/v1/devices/pump-0001');
    assert.equal(status, 200);
    assert.equal(body.device.id, 'pump-0001');
    assert.equal(body.device.equipmentType, 'centrifugal_pump');
    assert.equal(typeof body.device.customerName, 'string');
    assert.equal(typeof body.device.siteName, 'string');
    assert.equal(body.prediction.status, 'ok');
    assert.equal(body.prediction.at, T0 - HOUR);
    assert.equal(body.prediction.modelVersion, '1.0.0');
    const bw = body.prediction.risks.find((r: any) => r.mode === 'bearing_wear');
    assert.deepEqual(
      bw.attributions.map((a: any) => [a.sensor, a.share]),
      [
        ['vibration_rms_mm_s', 0.6],
        ['bearing_temp_c', 0.4],
      ],
    );
    assert.deepEqual(
      body.episodes.map((e: any) => [e.id, e.mode, e.severity, e.state]),
      [[f.ids.episodeA, 'bearing_wear', 'high', 'open']],
    );
    assert.deepEqual(
      body.tickets.map((t: any) => [t.id, t.mode, t.state]),
      [[f.ids.ticketA, 'bearing_wear', 'open']],
    );
    const none = await get('eng-acme', '/api/v1/devices/pump-0004');
    assert.equal(none.body.prediction, null);
    assert.deepEqual(none.body.episodes, []);
  });

  test('telemetry is downsampled with the silent stretch as a gap; the default window follows the device', async () => {
    const { status, body } = await get('eng-acme', '/api/v1/devices/pump-0001/telemetry?points=24');
    assert.equal(status, 200);
    assert.ok(body.bucketMs >= 7 * 24 * HOUR / 24);
    assert.equal(body.times.length, body.values.vibration_rms_mm_s.length);
    const fine = await get('eng-acme', `/api/v1/devices/pump-0001/telemetry?from=${T0 - 24 * HOUR}&to=${T0}&points=24`);
    assert.equal(fine.body.bucketMs, HOUR);
    assert.equal(fine.body.times.length, 24);
    assert.deepEqual(fine.body.gaps, [GAP]);
    assert.equal(fine.body.values.vibration_rms_mm_s.filter((v: number | null) => v === null).length, 4);
    assert.ok(fine.body.values.bearing_temp_c.every((v: number | null) => v === null || Math.abs(v - 61.5) < 1e-9));
    const empty = await get('eng-acme', `/api/v1/devices/pump-0004/telemetry?from=${T0 - HOUR}&to=${T0}`);
    assert.deepEqual(empty.body.gaps, [{ from: T0 - HOUR, to: T0 }]);
    const bad = await get('eng-acme', `/api/v1/devices/pump-0001/telemetry?from=${T0}&to=${T0 - 1}`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'PRG_BAD_REQUEST');
  });

  test('the risk history has a series per mode and the RUL lower bound', async () => {
    const { status, body } = await get('cust-acme-1', `/api/v1/devices/pump-0001/predictions?from=${T0 - 6 * HOUR}&to=${T0}&points=6`);
    assert.equal(status, 200);
    assert.equal(body.bucketMs, HOUR);
    assert.deepEqual(body.times, [0, 1, 2, 3, 4, 5].map((i) => T0 - 6 * HOUR + i * HOUR));
    assert.deepEqual(Object.keys(body.risks).sort(), ['bearing_wear', 'seal_wear']);
    assert.deepEqual(
      body.risks.bearing_wear.map((v: number | null) => (v === null ? null : Math.round(v * 100))),
      [null, 70, 72, 74, 76, 78],
    );
    assert.deepEqual(body.rul, [null, 160, 160, 160, 160, 160]);
  });

  test('episodes: engineers their tenant, customers their own devices, filters', async () => {
    const eng = await get('eng-acme', '/api/v1/episodes');
    assert.deepEqual((eng.body.episodes as any[]).map((e) => e.id), [f.ids.episodeA]);
    assert.equal(eng.body.episodes[0].evidence.length, 2);
    assert.deepEqual((await get('cust-acme-2', '/api/v1/episodes')).body.episodes, []);
    assert.equal((await get('cust-acme-1', '/api/v1/episodes?open=true')).body.episodes.length, 1);
    assert.equal((await get('admin', '/api/v1/episodes')).body.episodes.length, 2);
    assert.deepEqual((await get('eng-acme', '/api/v1/episodes?device=pump-0004')).body.episodes, []);
  });
});
