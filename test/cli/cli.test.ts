import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import mqtt from 'mqtt';
import { freePort, startInflux } from '../support/services.ts';
import { startPrognos } from '../support/prognos-child.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/prognos.mjs', import.meta.url));
const prognos = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

test('every command has --help', async () => {
  const top = await prognos(['--help']);
  assert.equal(top.code, 0);
  const commands = [...top.stdout.matchAll(/^\s{2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  for (const required of ['start', 'ingest', 'simulate', 'rejects', 'services']) assert.ok(commands.includes(required), `${required} is listed`);
  for (const c of commands) {
    const r = await prognos([c, '--help']);
    assert.equal(r.code, 0, `${c} --help exits 0`);
    assert.match(r.stdout, new RegExp(`Usage: prognos ${c}`));
  }
});

test('a wrong environment value fails at start with one line naming the variable', async () => {
  const r = await prognos(['ingest'], { INFLUX_URL: 'not a url' });
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^prognos: configuration error: INFLUX_URL: /);
});

test('prognos rejects asks the running service over HTTP; --json prints one object per line', async () => {
  const influx = await startInflux();
  const dataDir = mkdtempSync(join(tmpdir(), 'prognos-cli-'));
  const [http, mqttPort] = [await freePort(), await freePort()];
  const env = { INFLUX_URL: influx.url, PROGNOS_DATA_DIR: dataDir, MQTT_PORT: String(mqttPort), MQTT_AUTH: 'off', PROGNOS_BOOTSTRAP_PASSWORD: 'cli-test-password' };
  const service = await startPrognos('ingest', env, http);
  try {
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'cli-dev', protocolVersion: 4 });
    await device.publishAsync('prognos/acme/pump-1/telemetry', '{"ts": oops', { qos: 1 });
    await device.publishAsync('prognos/acme/pump-1/telemetry', JSON.stringify({ ts: Date.now(), metrics: { v: 'NaN' } }), { qos: 1 });
    await device.endAsync();

    const login = await fetch(`http://127.0.0.1:${http}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'cli-test-password' }) });
    const token = ((await login.json()) as { token: string }).token;
    const r = await prognos(['rejects', '--json'], { PROGNOS_URL: `http://127.0.0.1:${http}`, PROGNOS_DATA_DIR: dataDir, PROGNOS_TOKEN: token });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; reason: string; time: string; payloadExcerpt: string });
    assert.deepEqual(rows.map((x) => x.reason), ['non_finite_number', 'malformed_json']);
    assert.equal(rows[1]!.topic, 'prognos/acme/pump-1/telemetry');
    assert.equal(rows[1]!.payloadExcerpt, '{"ts": oops');
    assert.ok(!Number.isNaN(Date.parse(rows[0]!.time)));

    const human = await prognos(['rejects'], { PROGNOS_URL: `http://127.0.0.1:${http}`, PROGNOS_TOKEN: token });
    assert.match(human.stdout, /malformed_json=1/);
  } finally {
    await service.stop();
    await influx.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('prognos rejects without a running service says so in one line', async () => {
  const port = await freePort();
  const r = await prognos(['rejects'], { PROGNOS_URL: `http://127.0.0.1:${port}` });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^prognos: PRG_SERVICE_UNREACHABLE: /);
});
