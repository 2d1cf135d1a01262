import type { Kysely } from 'kysely';
import type { AppliedDecision } from '../alerts/episode-service.ts';
import { EpisodeService } from '../alerts/episode-service.ts';
import { OutboxDispatcher } from '../alerts/notify/outbox-dispatcher.ts';
import { recipientFromCustomer } from '../alerts/notify/recipient.ts';
import type { Prediction } from '../models/prediction.ts';
import { buildPlanRequest, cancelVisit, VISIT_FLOW_DEFAULTS } from './visit-use-cases.ts';
import { reviewBookedVisit } from '../maintenance/visit-replan.ts';
import { toTicket } from '../maintenance/ticket-store.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';
import type { Database } from '../platform/sql/schema.ts';
import { type CustomerReplyInput, type CustomerReplyResult, handleCustomerReply, type PortalAction } from './customer-reply.ts';
import { escalateJob, reminderJob, ticketOpenJob, verifyJob, visitPlanJob, visitStartJob } from './job-definitions.ts';
import { processEscalate } from './processors/escalate-processor.ts';
import { processReminder } from './processors/reminder-processor.ts';
import { processTicketOpen } from './processors/ticket-open-processor.ts';
import { processVerify } from './processors/verify-processor.ts';
import { processVisitPlan } from './processors/visit-plan-processor.ts';
import { processVisitStart } from './processors/visit-start-processor.ts';
import { systemCaller, type VisitExecutor, WORKFLOW_DEFAULTS, type WorkflowContext, type WorkflowNotify, type WorkflowOptions } from './workflow-context.ts';
import { WorkflowRelay, writeJob } from './workflow-outbox.ts';

export interface WorkflowEngineOptions {
  deps: DomainDeps;
  notify: WorkflowNotify;
  /** Does the work when a visit starts (the simulator's technician); without one an engineer completes visits. */
  visitExecutor?: VisitExecutor;
  options?: WorkflowOptions & {
    /**
     * How long (real ms) a dispatcher's claim on a message holds before another may take it
     * over (its process died). Default 60 s. Converted to clock time by the clock's rate.
     */
    dispatchLeaseRealMs?: number;
  };
}

/**
 * The service workflow from an alert to a verified repair, on BullMQ:
 *
 *   episode raised ─(workflow outbox, same SQL transaction)─▶ ticket.open ─▶ visit.plan
 *     ai: proactive message (notification outbox) ─▶ escalate ×3 (delayed) … or the customer's reply
 *     assisted: proposal for an engineer · human: a person plans it
 *   booked ─▶ notify.reminder (24 h before) ─▶ visit.start (at the visit; executor → completeVisit)
 *   completed ─▶ visit.verify (after N h) ─▶ resolved_verified on telemetry, or a person looks.
 *
 * Jobs are rows in `workflow_outbox` first (written in the transaction of the change that calls
 * for them) and reach Redis through the relay with idempotent ids; messages are rows in
 * `notification_outbox` (dedupe keys) sent by the dispatcher. Every processor re-reads the
 * ticket and does nothing when its step is done or stale, so a retried or doubled job is safe.
 */
export class WorkflowEngine {
  private readonly ctx: WorkflowContext;
  private readonly relay: WorkflowRelay;
  private readonly dispatcher: OutboxDispatcher;
  private readonly roles: { processors: boolean; dispatcher: boolean; relay: boolean };
  private started = false;
  /** Jobs completed in this process, by name (for /api/v1/status). */
  private readonly processed: Record<string, number> = {};

  constructor(private readonly o: WorkflowEngineOptions) {
    const { deps } = o;
    const options = { ...WORKFLOW_DEFAULTS, ...o.options };
    this.roles = { processors: true, dispatcher: true, relay: true, ...o.options?.roles };
    this.relay = new WorkflowRelay(deps.db, deps.jobs, deps.logger, { pollMs: options.relayPollMs ?? 500 });
    this.ctx = {
      deps,
      notify: o.notify,
      episodes: new EpisodeService(deps.db),
      visitExecutor: o.visitExecutor,
      options,
      kick: () => this.relay.kick(),
    };
    const rate = Math.max(1, deps.clock.rate ?? 1);
    this.dispatcher = new OutboxDispatcher({
      outbox: o.notify.outbox,
      channels: o.notify.channels,
      recipients: async (tenant, customerId) => {
        const row = await deps.db.selectFrom('customers').selectAll().where('tenant', '=', tenant).where('id', '=', customerId).executeTakeFirst();
        return row ? recipientFromCustomer(row) : null;
      },
      clock: deps.clock,
      logger: deps.logger,
      // The dispatcher times itself on the (maybe accelerated) clock: scale real intervals to clock time.
      pollMs: (options.dispatchPollMs ?? 1000) * rate,
      leaseMs: (o.options?.dispatchLeaseRealMs ?? 60_000) * rate,
    });
  }

  /** Starts the channels, registers the processors, starts the relay and the dispatcher. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { deps } = this.o;
    const concurrency = this.ctx.options.concurrency ?? 4;
    for (const ch of Object.values(this.o.notify.channels)) await ch?.start();
    if (this.roles.processors) {
      const ctx = this.ctx;
      const counted =
        <P, R>(name: string, run: (p: P) => Promise<R>) =>
        async (p: P): Promise<R> => {
          const r = await run(p);
          this.processed[name] = (this.processed[name] ?? 0) + 1;
          return r;
        };
      deps.jobs.work(ticketOpenJob, counted(ticketOpenJob.name, (p) => processTicketOpen(ctx, p)), { concurrency });
      deps.jobs.work(visitPlanJob, counted(visitPlanJob.name, (p) => processVisitPlan(ctx, p)), { concurrency });
      deps.jobs.work(escalateJob, counted(escalateJob.name, (p) => processEscalate(ctx, p)), { concurrency });
      deps.jobs.work(reminderJob, counted(reminderJob.name, (p) => processReminder(ctx, p)), { concurrency });
      deps.jobs.work(visitStartJob, counted(visitStartJob.name, (p) => processVisitStart(ctx, p)), { concurrency });
      deps.jobs.work(verifyJob, counted(verifyJob.name, (p) => processVerify(ctx, p)), { concurrency });
    }
    if (this.roles.relay) this.relay.start();
    if (this.roles.dispatcher) this.dispatcher.start();
  }

  /**
   * Hand to EpisodeService's `onDecisions`: a raised episode writes its ticket.open job in the
   * episode's own transaction (committed together or not at all). Idempotent by job id.
   */
  readonly onDecisions = async (trx: Kysely<Database>, applied: AppliedDecision[]): Promise<void> => {
    let wrote = false;
    for (const a of applied) {
      if (a.decision.kind !== 'raised' || !a.episodeId) continue;
      const ep = await trx.selectFrom('alert_episodes').select('tenant').where('id', '=', a.episodeId).executeTakeFirst();
      if (!ep) continue;
      await writeJob(trx, this.o.deps.clock, ticketOpenJob, { tenant: ep.tenant, episodeId: a.episodeId });
      wrote = true;
    }
    // After the caller's commit; the relay's poll catches it anyway if this is too early.
    if (wrote) setTimeout(() => this.relay.kick(), 20).unref();
  };

  /**
   * Hand every new prediction here (after EpisodeService.applyPrediction). A booked visit that
   * now ends after the failure deadline is cancelled and re-planned; a visited device whose risk
   * fell below the exit threshold gets its ticket verified at once. Never throws.
   */
  async onPrediction(p: Prediction): Promise<void> {
    if (p.status !== 'ok') return;
    const { deps } = this.o;
    try {
      const rows = await deps.db.selectFrom('tickets').selectAll().where('tenant', '=', p.tenant).where('device_id', '=', p.device).where('state', 'in', ['scheduled', 'in_progress']).execute();
      const caller = systemCaller(p.tenant, 'risk-change');
      const verifyAfter = (this.ctx.options.visit?.verifyAfterHours ?? VISIT_FLOW_DEFAULTS.verifyAfterHours) * 3_600_000;
      for (const row of rows) {
        const t = toTicket(row, deps.clock.now());
        if (t.state === 'scheduled' && p.rulLowerHours !== null && p.risks.some((r) => r.mode === t.mode)) {
          const v = await deps.db.selectFrom('visits').selectAll().where('ticket_id', '=', t.id).where('status', '=', 'booked').executeTakeFirst();
          if (!v) continue;
          const { request } = await buildPlanRequest(deps, t, this.ctx.options.visit);
          if (!request) continue;
          const verdict = reviewBookedVisit(
            { id: v.id, technicianId: v.technician_id, startsAt: new Date(v.starts_at).getTime(), endsAt: new Date(v.ends_at).getTime() },
            { ...request, rulLowerHours: p.rulLowerHours },
            { planner: this.ctx.options.visit?.planner },
          );
          if (verdict.action === 'replan') {
            await cancelVisit(deps, caller, { ticketId: t.id, visitId: v.id, reason: `risk changed: ${verdict.reason}` });
            this.relay.kick();
          }
        } else if (t.state === 'in_progress' && t.visitCompletedAt !== null && p.at >= new Date(t.visitCompletedAt).getTime() + verifyAfter) {
          const visit = await deps.db.selectFrom('visits').select('id').where('ticket_id', '=', t.id).where('status', '=', 'done').orderBy('ends_at', 'desc').executeTakeFirst();
          if (visit) await processVerify(this.ctx, { tenant: t.tenant, ticketId: t.id, visitId: visit.id, attempt: 0 }, p);
        }
      }
    } catch (err) {
      deps.logger.warn({ err, device: p.device }, 'workflow: prediction follow-up failed');
    }
  }

  /** A customer's reply (signed link or text); see customer-reply.ts. */
  handleReply(input: CustomerReplyInput, action?: PortalAction): Promise<CustomerReplyResult> {
    return handleCustomerReply({ deps: this.o.deps, links: this.o.notify.links, visit: this.ctx.options.visit }, input, action).finally(() => this.relay.kick());
  }

  /** For /api/v1/status: what this process runs and the jobs it completed. */
  status(): Record<string, unknown> {
    return { running: this.started, roles: this.roles, processed: { ...this.processed }, relayed: this.relay.relayed };
  }

  /** Moves pending workflow-outbox rows to BullMQ now (tests, and after a restart). */
  relayNow(): Promise<number> {
    return this.relay.relayAll();
  }

  /** Stops the dispatcher and the relay, then the channels. BullMQ workers close with deps.jobs.close() after this. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.dispatcher.stop();
    await this.relay.stop();
    for (const ch of Object.values(this.o.notify.channels)) await ch?.stop();
  }
}
