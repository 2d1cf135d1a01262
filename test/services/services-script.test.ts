import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { REPO, runScript, type ScriptResult } from '../support/run-script.ts';
import { freePort, uniqueName } from '../support/services.ts';

/**
 * scripts/services.sh and `prognos services`, on a private data folder and a free InfluxDB
 * port (Redis is the machine's own; MQTT is reported, never started).
 */
describe('scripts/services.sh', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'prognos-services-'));
  let env: NodeJS.ProcessEnv;
  let database: string;
  const services = (action: string, extra: NodeJS.ProcessEnv = {}) => runScript('services.sh', [action], { ...env, ...extra });

  before(async () => {
    const port = await freePort();
    database = uniqueName('svc');
    env = { ...process.env, PROGNOS_DATA_DIR: dataDir, INFLUX_URL: `http://127.0.0.1:${port}`, INFLUX_DATABASE: database };
    delete env.INFLUX_PORT;
    delete env.MQTT_URL;
  });
  after(async () => {
    await services('down');
    try {
      // Should `down` have failed, do not leave an influxd behind.
      process.kill(Number(readFileSync(join(dataDir, 'influxdb', 'influxd.pid'), 'utf8')), 'SIGKILL');
    } catch {
      // stopped
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('up starts InfluxDB in the data folder, creates the database, reports Redis and MQTT', async () => {
    const res = await services('up');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^influxdb: started on ${env.INFLUX_URL} \\(pid \\d+, data ${dataDir}/influxdb`, 'm'));
    assert.match(res.stdout, new RegExp(`^influxdb: database ${database} ready`, 'm'));
    assert.match(res.stdout, /^redis: (up|started)/m);
    assert.match(res.stdout, /^mqtt: embedded broker \(prognos starts it on 127\.0\.0\.1:1884\)/m);
    const influx = new InfluxHttp({ url: env.INFLUX_URL!, database, token: undefined, retentionPolicy: undefined });
    const [series] = await influx.query('SHOW DATABASES');
    assert.ok(series?.values.some(([name]) => name === database));
  });

  test('up again reuses the running instance', async () => {
    const res = await services('up');
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^influxdb: already running .*\(ours, pid \d+/m);
  });

  test('status prints one line per service', async () => {
    const res = await services('status');
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(':')[0]),
      ['influxdb', 'redis', 'mqtt'],
    );
  });

  test('up fails with one line when MQTT_URL names a broker that does not answer', async () => {
    const port = await freePort();
    const res = await services('up', { MQTT_URL: `mqtt://127.0.0.1:${port}` });
    assert.equal(res.code, 1);
    assert.equal(res.stderr.trim(), `mqtt: external broker mqtt://127.0.0.1:${port} is not reachable (start it, e.g. scripts/mosquitto.sh start --port ${port})`);
  });

  test('`prognos services` runs the script with the same environment and exits with its code', async () => {
    const status = await prognosServices(['status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^influxdb: running on .*\(ours/m);
    const help = await prognosServices(['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: prognos services \[options\] \[action\]/);
    const bad = await prognosServices(['restart'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Allowed choices are up, down, status/);
  });

  test('down stops only our instance; status then exits non-zero', async () => {
    const down = await services('down');
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /^influxdb: stopped \(pid \d+, data kept/m);
    const status = await services('status');
    assert.equal(status.code, 1);
    assert.match(status.stdout, /^influxdb: not running/m);
    const again = await services('down');
    assert.match(again.stdout, /^influxdb: not running/m);
  });
});

/**
 * `prognos services …` through registerServices on a bare commander program, in a child
 * process (the command sets the process's exit code and streams to its stdout).
 */
function prognosServices(args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  const program = [
    "import { Command } from 'commander';",
    "import { registerServices } from './cli/commands/services.ts';",
    "const program = new Command('prognos');",
    'registerServices(program);',
    'await program.parseAsync(process.argv);',
  ].join('\n');
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program, 'prognos', 'services', ...args], { cwd: REPO, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
