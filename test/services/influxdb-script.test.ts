import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runScript } from '../support/run-script.ts';
import { freePort, type InfluxInstance, startInflux, uniqueName } from '../support/services.ts';

/** scripts/influxdb.sh, through the harness that tests use (which starts it through the script). */
describe('scripts/influxdb.sh', () => {
  let influx: InfluxInstance;
  const args = () => ['--dir', influx.dir, '--port', String(influx.port), '--rpc-port', String(influx.rpcPort)];
  const dirs: string[] = [];
  const scratchDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'prognos-influx-script-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    influx = await startInflux();
  });
  after(async () => {
    await influx?.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function countPoints(database: string): Promise<number> {
    const [series] = await influx.query('SELECT count(v) FROM m', database);
    return Number(series?.values[0]?.[1] ?? 0);
  }

  test('a private instance on loopback takes points through /write and answers /query', async () => {
    assert.match(influx.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const db = uniqueName('write');
    await influx.createDatabase(db);
    const t = Date.now() - 1000;
    await influx.write(`m,device=pump-1 v=1.5,temp=40 ${t}\nm,device=pump-1 v=2.5,temp=41 ${t + 1}`, db);
    const [series] = await influx.query(`SELECT v, temp FROM m WHERE device = 'pump-1' ORDER BY time ASC`, db);
    assert.deepEqual(series?.values, [
      [t, 1.5, 40],
      [t + 1, 2.5, 41],
    ]);
  });

  test('start is idempotent and status names the instance as ours', async () => {
    const again = await runScript('influxdb.sh', ['start', ...args()]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already running .*\(ours, pid \d+/);
    const status = await runScript('influxdb.sh', ['status', ...args()]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^influxdb: running on http:\/\/127\.0\.0\.1:\d+ \(ours/);
  });

  test('keeps its data across stop/start and across a SIGKILL', async () => {
    const db = uniqueName('restart');
    await influx.createDatabase(db);
    const t = Date.now() - 10_000;
    await influx.write(Array.from({ length: 100 }, (_, i) => `m v=${i} ${t + i}`).join('\n'), db);

    await influx.stop();
    const stopped = await runScript('influxdb.sh', ['status', ...args()]);
    assert.equal(stopped.code, 3);
    assert.match(stopped.stdout, /not running/);
    await influx.start();
    assert.equal(await countPoints(db), 100);

    // A crash: the points are in the WAL (fsynced before /write answered) and are replayed.
    await influx.write(Array.from({ length: 50 }, (_, i) => `m v=${i} ${t + 100 + i}`).join('\n'), db);
    await influx.kill();
    await influx.start();
    assert.equal(await countPoints(db), 150);
  });

  test('reuses an instance that is not ours and leaves it alone on stop', async () => {
    const other = scratchDir();
    const reuse = await runScript('influxdb.sh', ['start', '--dir', other, '--port', String(influx.port)]);
    assert.equal(reuse.code, 0, reuse.stderr);
    assert.match(reuse.stdout, /already answers \/ping and is not ours/);
    const stop = await runScript('influxdb.sh', ['stop', '--dir', other, '--port', String(influx.port)]);
    assert.match(stop.stdout, /not ours .*left alone/);
    assert.equal(existsSync(join(other, 'meta')), false, 'nothing was started in the other folder');
    const status = await runScript('influxdb.sh', ['status', ...args()]);
    assert.equal(status.code, 0, 'ours is still running');
  });

  test('fails with one clear line when the port is held by something that is not InfluxDB', async () => {
    const port = await freePort();
    const squatter: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const res = await runScript('influxdb.sh', ['start', '--dir', scratchDir(), '--port', String(port), '--rpc-port', String(await freePort())]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, new RegExp(`^influxdb: port ${port} is taken by something that does not answer InfluxDB's /ping`));
      assert.equal(res.stderr.trim().split('\n').length, 1);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  test('create-db is idempotent and refuses a name InfluxQL would misread', async () => {
    const db = uniqueName('create');
    for (let i = 0; i < 2; i++) {
      const res = await runScript('influxdb.sh', ['create-db', db, ...args()]);
      assert.equal(res.code, 0, res.stderr);
    }
    const [series] = await influx.query('SHOW DATABASES');
    assert.ok(series?.values.some(([name]) => name === db));
    const bad = await runScript('influxdb.sh', ['create-db', 'x"; DROP DATABASE y', ...args()]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /must match/);
  });
});
