import { readFileSync, writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { SAFE_ID } from '../../ingest/topics.ts';
import { demoFleet } from '../../maintenance/demo-fleet.ts';
import { importFleet } from '../../maintenance/fleet-registry.ts';
import { FleetDocumentSchema } from '../../maintenance/fleet-schema.ts';
import type { Caller } from '../../platform/caller.ts';
import { systemClock } from '../../platform/clock.ts';
import { loadConfig } from '../../platform/config.ts';
import { lockDirectory } from '../../platform/dir-lock.ts';
import { PrognosError } from '../../platform/errors.ts';
import { openDatabase } from '../../platform/sql/database.ts';
import { seedFrom } from '../../simulators/prng.ts';

/**
 * `prognos fleet import <file>` writes the registry straight into the SQL store. With embedded
 * PGlite that needs the data directory, which a running service holds: then it fails with
 * PRG_DATA_DIR_LOCKED (stop the service, import, start it again; or use PostgreSQL, which
 * any number of processes share). Whoever can open the data directory is the operator, so the
 * import runs as an admin.
 */
export function registerFleet(program: Command): void {
  const fleet = program.command('fleet').description('The fleet registry: customers, sites, devices, technicians.');

  fleet
    .command('import <file>')
    .description('Import (upsert by id) one tenant\'s fleet from a JSON file; importing the same file twice changes nothing.')
    .action(async (file: string) => {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new PrognosError('PRG_BAD_REQUEST', `${file}: ${(err as Error).message}`, { cause: err });
      }
      // validate before taking the data directory: a bad file never touches the store
      const checked = FleetDocumentSchema.safeParse(doc);
      if (!checked.success) {
        const issues = checked.error.issues.slice(0, 10).map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
        throw new PrognosError('PRG_BAD_REQUEST', `${file}: ${issues.join('; ')}`);
      }
      const config = loadConfig();
      const release = config.sql.kind === 'pglite' ? lockDirectory(config.sql.dir, 'PGlite data directory') : () => {};
      try {
        const db = await openDatabase(config.sql);
        try {
          const caller: Caller = { kind: 'admin', userId: 'cli' };
          const r = await importFleet({ db, clock: systemClock }, caller, doc);
          const line = (k: 'customers' | 'sites' | 'devices' | 'technicians') => `${k} ${r[k].inserted} new, ${r[k].updated} updated, ${r[k].unchanged} unchanged`;
          process.stdout.write(`tenant ${r.tenant}${r.tenantCreated ? ' (created)' : ''}: ${line('customers')}; ${line('sites')}; ${line('devices')}; ${line('technicians')}\n`);
        } finally {
          await db.destroy();
        }
      } finally {
        release();
      }
    });

  fleet
    .command('demo')
    .description("Write the registry of the simulator's fleet (same --devices/--seed/--tenant as `prognos simulate`) as a JSON file for `fleet import`.")
    .option('--devices <n>', 'number of devices', (v: string) => positiveInt(v), 10)
    .option('--seed <s>', 'the simulator seed', (v: string) => seedFrom(v), 1)
    .option('--tenant <id>', 'tenant id', safeId, 'demo')
    .option('--start <iso>', 'simulated start, as for the live simulator (install dates count back from its day; default: now)', (v: string) => isoTime(v), Date.now())
    .option('--out <file>', 'write here instead of stdout')
    .action((opts: { devices: number; seed: number; tenant: string; start: number; out?: string }) => {
      const json = `${JSON.stringify(demoFleet({ tenant: opts.tenant, devices: opts.devices, seed: opts.seed, startMs: opts.start }), null, 2)}\n`;
      if (opts.out) writeFileSync(opts.out, json);
      else process.stdout.write(json);
    });
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new InvalidArgumentError('an integer 1..100000');
  return n;
}

function safeId(v: string): string {
  if (!SAFE_ID.test(v)) throw new InvalidArgumentError('[A-Za-z0-9._-]{1,64}');
  return v;
}

function isoTime(v: string): number {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError('an ISO 8601 time');
  return t;
}
