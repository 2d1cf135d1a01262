import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DeviceCredentialStore } from '../../api/device-identity/device-credential-store.ts';
import { mosquittoAuthConf, mosquittoAuthFiles } from '../../api/device-identity/mosquitto-config.ts';
import { systemClock } from '../../platform/clock.ts';
import { type Config, loadConfig } from '../../platform/config.ts';
import { lockDirectory } from '../../platform/dir-lock.ts';
import { isPrognosError, PrognosError } from '../../platform/errors.ts';
import { openDatabase } from '../../platform/sql/database.ts';

/** The files from the SQL store directly, or (while the service holds PGlite) from the service. */
async function fetchFiles(config: Config): Promise<{ passwordFile: string; aclFile: string }> {
  const service = config.mqtt.username && config.mqtt.password ? { username: config.mqtt.username, password: config.mqtt.password } : undefined;
  let release: (() => void) | null = null;
  try {
    release = config.sql.kind === 'pglite' ? lockDirectory(config.sql.dir, 'PGlite data directory') : () => {};
  } catch (err) {
    if (!isPrognosError(err, 'PRG_DATA_DIR_LOCKED')) throw err;
  }
  if (release) {
    const db = await openDatabase(config.sql);
    try {
      return await mosquittoAuthFiles(await new DeviceCredentialStore(db, systemClock).allActive(), service);
    } finally {
      await db.destroy();
      release();
    }
  }
  const url = new URL('/api/v1/broker-config', config.http.serviceUrl);
  let res: Response;
  try {
    res = await fetch(url, { headers: config.api.token ? { authorization: `Bearer ${config.api.token}` } : {}, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${config.http.serviceUrl} holds the data directory but does not answer`, { cause: err });
  }
  const body = (await res.json()) as { passwordFile?: string; aclFile?: string; error?: { code: string; message: string } };
  if (!res.ok || body.passwordFile === undefined || body.aclFile === undefined) {
    throw new PrognosError('PRG_SERVICE_UNREACHABLE', `${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''} (an admin's PROGNOS_TOKEN is needed while the service runs)`);
  }
  return { passwordFile: body.passwordFile, aclFile: body.aclFile };
}

export function registerBrokerConfig(program: Command): void {
  program
    .command('broker-config')
    .description('Write Mosquitto password and ACL files for every live device credential (for an external broker).')
    .requiredOption('--out <dir>', 'folder for passwd, acl and prognos-auth.conf')
    .addHelpText('after', '\nInclude prognos-auth.conf from mosquitto.conf (`include_dir` or copy its lines), then reload Mosquitto (SIGHUP).\nprognos\' own user is MQTT_USERNAME/MQTT_PASSWORD when both are set.')
    .action(async (opts: { out: string }) => {
      const config = loadConfig();
      const files = await fetchFiles(config);
      const dir = resolve(opts.out);
      mkdirSync(dir, { recursive: true });
      const passwd = join(dir, 'passwd');
      const acl = join(dir, 'acl');
      writeFileSync(passwd, files.passwordFile, { mode: 0o600 });
      chmodSync(passwd, 0o600);
      writeFileSync(acl, files.aclFile);
      writeFileSync(join(dir, 'prognos-auth.conf'), mosquittoAuthConf(passwd, acl));
      const users = files.passwordFile.split('\n').filter(Boolean).length;
      process.stdout.write(`wrote ${passwd} (${users} users), ${acl}, ${join(dir, 'prognos-auth.conf')}\n`);
    });
}
