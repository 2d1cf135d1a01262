import { InfluxHttp, type InfluxSeries } from '../../platform/influx/influx-http.ts';
import { uniqueName } from './services.ts';

/**
 * The suite's shared InfluxDB: the one `npm test` makes sure is up (scripts/test.sh runs
 * `scripts/services.sh up`). Tests that only read and write use it with a fresh database each
 * and drop it in teardown; tests that stop or crash InfluxDB start their own (`startInflux`).
 */
export const SHARED_INFLUX_URL = process.env.TEST_INFLUX_URL ?? 'http://127.0.0.1:8086';

function client(database: string): InfluxHttp {
  return new InfluxHttp({ url: SHARED_INFLUX_URL, database, token: undefined, retentionPolicy: undefined });
}

/** Creates a database on the shared InfluxDB (default name: a fresh `test_<hex>`) and returns its name. */
export async function createDatabase(name: string = uniqueName('test')): Promise<string> {
  await client('').query(`CREATE DATABASE "${name}"`);
  return name;
}

/** Drops a database from the shared InfluxDB (no error if it is gone). */
export async function dropDatabase(name: string): Promise<void> {
  await client('').query(`DROP DATABASE "${name}"`);
}

/** Runs InfluxQL against a database of the shared InfluxDB; the series of the first statement. */
export function queryShared(influxql: string, database: string): Promise<InfluxSeries[]> {
  return client(database).query(influxql);
}
