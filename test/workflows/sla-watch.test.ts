import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { importFleet } from '../../maintenance/fleet-registry.ts';
import { getTicketAudit, openTicketForEpisode } from '../../maintenance/ticket-use-cases.ts';
import { ManualClock } from '../../platform/clock.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { InfluxHttp } from '../../platform/influx/influx-http.ts';
import { createLogger } from '../../platform/logger.ts';
import { JobQueues } from '../../platform/queue/job-queues.ts';
import { type Db, openDatabase } from '../../platform/sql/database.ts';
import { SlaWatch } from '../../workflows/sla-watch.ts';

const H = 3_600_000;
let dir: string;
let db: Db;
const clock = new ManualClock(Date.UTC(2026, 0, 5, 8));
const events: { type: string; data: Record<string, unknown> }[] = [];
const logger = createLogger({ log: { level: 'silent' } });
let deps: DomainDeps;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prognos-sla-'));
  db = await openDatabase({ kind: 'pglite', dir });
  deps = {
    db,
    clock,
    logger,
    influx: new InfluxHttp({ url: 'http://127.0.0.1:9', database: 'unused', token: undefined, retentionPolicy: undefined }),
    jobs: new JobQueues({ redisUrl: 'redis://127.0.0.1:6379', clock, logger }),
    events: { publish: (e) => events.push(e) },
  };
  await importFleet({ db, clock }, { kind: 'admin', userId: 't' }, {
    tenant: { id: 'acme', name: 'Acme' },
    customers: [{ id: 'C-1', name: 'Harbour', contactEmail: 'ops@harbour.example.com' }],
    sites: [{ id: 'S-1', customerId: 'C-1', name: 'Plant', lat: 31, lon: 121 }],
    devices: [{ id: 'pump-1', equipmentType: 'centrifugal_pump', model: 'P', installedAt: '2024-01-01', customerId: 'C-1', siteId: 'S-1', criticality: 'low' }],
  });
});

after(async () => {
  await deps.jobs.close();
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('the SLA watch records a breach when it happens, once, and announces it, without any ticket change', async () => {
  const { ticket } = await openTicketForEpisode(deps, { kind: 'system', tenant: 'acme', reason: 't' }, { episodeId: 'E-1', device: 'pump-1', mode: 'bearing_wear', severity: 'critical', risk: 0.9, rulHours: 50 });
  const watch = new SlaWatch(deps, 5 * 60_000);
  watch.start();
  // Critical: respond within 1 h. Nothing happens to the ticket; only the clock moves.
  for (let i = 0; i < 11; i++) {
    clock.advance(5 * 60_000);
    await new Promise((r) => setImmediate(r));
    await watch.check(); // the timer's run and this one may overlap: a breach is still recorded once
  }
  assert.equal(events.length, 0, 'no breach before the due time');
  clock.advance(H);
  await watch.check();
  await watch.check();
  await watch.stop();
  assert.deepEqual(events.map((e) => [e.type, e.data.ticketId, e.data.breach]), [['ticket.sla_breach', ticket.id, 'response']]);
  const audit = await getTicketAudit(deps, { kind: 'admin', userId: 't' }, ticket.id);
  assert.equal(audit.filter((a) => a.action === 'sla_breach').length, 1);
});
