import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DeviceCredentialStore } from '../../api/device-identity/device-credential-store.ts';
import { GATEWAY_DEVICE } from '../../api/device-identity/mqtt-acl.ts';
import { verifyMosquittoHash } from '../../api/device-identity/mosquitto-password.ts';
import { systemClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { openDatabase } from '../../platform/sql/database.ts';
import { disposeAll, startMosquitto } from '../support/services.ts';
import { brokerAuthContract, type Credential } from './broker-auth-contract.ts';

/**
 * An external Mosquitto configured by `prognos broker-config`: credentials issued into a PGlite
 * store, the CLI writes passwd/acl/prognos-auth.conf from it, a private Mosquitto runs with them,
 * and the same contract as the embedded broker holds.
 */
const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/prognos.mjs', import.meta.url));
const service = { username: 'prognos-ingest', password: 'svc-password-for-tests' };
let dataDir: string;
let outDir: string;

before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'prognos-brokercfg-'));
  outDir = join(dataDir, 'broker');
});
after(async () => {
  await disposeAll();
  rmSync(dataDir, { recursive: true, force: true });
});

test("prognos verifies the $7$ hashes Debian's mosquitto_passwd writes (the other way round: Mosquitto logins below)", async (t) => {
  const which = await run('sh', ['-c', 'command -v mosquitto_passwd']).catch(() => null);
  if (!which) return t.skip('mosquitto_passwd is not installed');
  const file = join(tmpdir(), `pw-${process.pid}`);
  writeFileSync(file, '');
  try {
    await run('mosquitto_passwd', ['-b', file, 'acme/dev-1', 'the-secret']);
    const line = readFileSync(file, 'utf8').trim();
    const [user, hash] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)];
    assert.equal(user, 'acme/dev-1');
    assert.match(hash, /^\$7\$\d+\$/);
    assert.equal(await verifyMosquittoHash('the-secret', hash), true);
    assert.equal(await verifyMosquittoHash('the-secreT', hash), false);
  } finally {
    rmSync(file, { force: true });
  }
});

brokerAuthContract('Mosquitto with the files from `prognos broker-config`', async () => {
  const config = loadConfig({ PROGNOS_DATA_DIR: dataDir });
  const db = await openDatabase(config.sql);
  const store = new DeviceCredentialStore(db, systemClock);
  const issue = async (tenant: string, device: string): Promise<Credential> => {
    const c = await store.issue(tenant, device);
    return { username: c.username, password: c.secret };
  };
  const creds = { acmeDev1: await issue('acme', 'dev-1'), acmeDev2: await issue('acme', 'dev-2'), globexDev1: await issue('globex', 'dev-1'), acmeGateway: await issue('acme', GATEWAY_DEVICE) };
  await issue('acme', 'revoked-one');
  await store.revoke('acme', 'revoked-one');
  await db.destroy();

  const { stdout } = await run(process.execPath, [BIN, 'broker-config', '--out', outDir], {
    env: { ...process.env, PROGNOS_DATA_DIR: dataDir, MQTT_USERNAME: service.username, MQTT_PASSWORD: service.password, LOG_LEVEL: 'silent' },
  });
  assert.match(stdout, /5 users/);
  assert.equal(statSync(join(outDir, 'passwd')).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(join(outDir, 'passwd'), 'utf8'), /revoked-one/);
  for (const c of Object.values(creds)) assert.ok(!readFileSync(join(outDir, 'passwd'), 'utf8').includes(c.password));

  const template = join(dataDir, 'mosquitto-template.conf');
  writeFileSync(template, `persistence false\n${readFileSync(join(outDir, 'prognos-auth.conf'), 'utf8')}`);
  const broker = await startMosquitto({ config: template });
  return { url: broker.url, creds, service, refusesSubscriptionsBy: 'delivery', stop: () => broker.dispose() };
});
