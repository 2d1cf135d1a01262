import { checkSlaBreaches } from '../maintenance/ticket-use-cases.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';

/**
 * Records SLA breaches as they happen, not only when a ticket next changes: every `everyMs` of
 * clock time it runs the SLA check over all tenants (each breach becomes one `sla_breach` audit
 * event, once) and announces new ones as live events.
 */
export class SlaWatch {
  private cancel: (() => void) | null = null;
  private running: Promise<void> | null = null;
  breaches = 0;

  constructor(
    private readonly deps: DomainDeps,
    private readonly everyMs = 5 * 60_000,
  ) {}

  start(): void {
    const tick = () => {
      this.running = this.check().finally(() => {
        this.running = null;
        if (this.cancel) this.cancel = this.deps.clock.setTimer(tick, this.everyMs);
      });
    };
    this.cancel = this.deps.clock.setTimer(tick, this.everyMs);
  }

  async check(): Promise<void> {
    try {
      const found = await checkSlaBreaches(this.deps, { kind: 'admin', userId: 'system:sla-watch' });
      for (const b of found) {
        this.breaches++;
        const ticket = await this.deps.db.selectFrom('tickets').select(['tenant', 'customer_id']).where('id', '=', b.ticketId).executeTakeFirst();
        if (ticket) this.deps.events.publish({ type: 'ticket.sla_breach', tenant: ticket.tenant, data: { ticketId: b.ticketId, breach: b.breach } });
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'SLA check failed; the next one retries');
    }
  }

  async stop(): Promise<void> {
    const c = this.cancel;
    this.cancel = null;
    c?.();
    await this.running;
  }
}
