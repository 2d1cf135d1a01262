import { type Kysely, sql } from 'kysely';
import type { Prediction } from '../models/prediction.ts';
import { type Caller, callerLabel } from '../platform/caller.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Db } from '../platform/sql/database.ts';
import type { Database } from '../platform/sql/schema.ts';
import {
  type AlertDecision,
  type AlertPolicyOptions,
  type AlertPolicyState,
  initialPolicyState,
  NOTIFYING_DECISIONS,
  type PolicyContext,
  stepAlertPolicy,
  thresholdsFor,
} from './alert-policy.ts';
import { type AlertEpisode, EpisodeStore } from './episode-store.ts';
import { MaintenanceWindowStore } from './maintenance-window-store.ts';

export interface AppliedDecision {
  mode: string;
  decision: AlertDecision;
  /** The episode the decision belongs to (null for a suppression with no open episode). */
  episodeId: string | null;
  /** True when this call recorded the decision first and it should reach a person. */
  notify: boolean;
}

export interface EpisodeServiceOptions {
  /** Policy thresholds and durations (see AlertPolicyOptions for defaults). */
  policy?: AlertPolicyOptions;
  /**
   * Called inside the key's transaction with the decisions just recorded (only when there are
   * any): write the notification outbox or enqueue the ticket here, and it commits or rolls back
   * together with the episode. Throwing aborts the whole step; applying the prediction again
   * later redoes it. Default: none.
   */
  onDecisions?: (trx: Kysely<Database>, applied: AppliedDecision[]) => Promise<void>;
}

function assertMayApply(caller: Caller, tenant: string): void {
  if (caller.kind === 'admin') return;
  if (caller.kind === 'system' && caller.tenant === tenant) return;
  throw new PrognosError('PRG_FORBIDDEN', `${callerLabel(caller)} may not apply predictions for tenant ${tenant}`);
}

function assertMayManage(caller: Caller, tenant: string): void {
  if (caller.kind === 'admin') return;
  if ((caller.kind === 'system' || caller.kind === 'engineer') && caller.tenant === tenant) return;
  throw new PrognosError('PRG_FORBIDDEN', `${callerLabel(caller)} may not manage alert episodes of tenant ${tenant}`);
}

/**
 * Applies the alert policy to the SQL store. Each (tenant, device, mode) is processed in one
 * transaction that locks the key's policy-state row, so concurrent workers serialize per key
 * and a prediction applied twice (or out of order) changes nothing the second time. The
 * partial unique index on open episodes is the last line of defence.
 */
export class EpisodeService {
  /** Keys known idle-and-quiet in this process, with the newest prediction time seen for them. */
  private readonly quiet = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly options: EpisodeServiceOptions = {},
  ) {}

  async applyPrediction(caller: Caller, prediction: Prediction): Promise<AppliedDecision[]> {
    assertMayApply(caller, prediction.tenant);
    if (prediction.status === 'insufficient_data') {
      // Nobody may act on it: nothing is read or written.
      const decision: AlertDecision = { kind: 'suppressed', at: prediction.at, suppression: 'insufficient_data', reason: `insufficient data: ${prediction.insufficientReason ?? 'unspecified'}` };
      return [{ mode: '*', decision, episodeId: null, notify: false }];
    }
    const applied: AppliedDecision[] = [];
    // A fixed lock order across modes keeps two workers from deadlocking.
    const modes = [...new Set(prediction.risks.map((r) => r.mode))].sort();
    for (const mode of modes) {
      const r = prediction.risks.find((x) => x.mode === mode)!;
      const key = `${prediction.tenant}\u0000${prediction.device}\u0000${mode}`;
      const quietAt = this.quiet.get(key);
      // A quiet key (idle, no pending raise, nothing suppressed) stays quiet under a risk below the
      // enter threshold: the step would only move `lastAt`. Skipping its transaction keeps a healthy
      // fleet from costing one locked SQL round trip per prediction and mode.
      if (quietAt !== undefined && r.risk < thresholdsFor(r.threshold, this.options.policy).enter) {
        if (prediction.at > quietAt) this.quiet.set(key, prediction.at);
        continue;
      }
      this.quiet.delete(key);
      const { decisions, after } = await this.applyMode(prediction, mode);
      applied.push(...decisions);
      if (after.status === 'idle' && after.aboveSince === null && after.suppressedBy === null && after.lastAt !== null) this.quiet.set(key, after.lastAt);
    }
    return applied;
  }

  private async applyMode(prediction: Prediction, mode: string): Promise<{ decisions: AppliedDecision[]; after: AlertPolicyState }> {
    const { tenant, device } = prediction;
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('alert_policy_state')
        .values({ tenant, device, mode, state: JSON.stringify(initialPolicyState(tenant, device, mode)), updated_at: new Date(prediction.at) })
        .onConflict((oc) => oc.columns(['tenant', 'device', 'mode']).doNothing())
        .execute();
      const row = await trx
        .selectFrom('alert_policy_state')
        .select('state')
        .where('tenant', '=', tenant)
        .where('device', '=', device)
        .where('mode', '=', mode)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const before = (typeof row.state === 'string' ? JSON.parse(row.state) : row.state) as AlertPolicyState;
      if (before.lastAt !== null && prediction.at <= before.lastAt) return { decisions: [], after: before };

      const ctx = await this.context(trx, tenant, device, prediction.at);
      const { state: after, decisions } = stepAlertPolicy(before, prediction, ctx, this.options.policy);
      const store = new EpisodeStore(trx);
      const risk = prediction.risks.find((r) => r.mode === mode)!;
      const out: AppliedDecision[] = [];
      let episode: AlertEpisode | undefined = await store.findOpen(tenant, device, mode);

      for (const d of decisions) {
        if (d.kind === 'raised') {
          episode = (await store.open({ tenant, device, mode, severity: d.severity, at: d.at, risk: d.risk, rulLowerHours: d.rulLowerHours, evidence: d.evidence })).episode;
        }
        const episodeId = episode?.id ?? null;
        const detail: Record<string, unknown> = { modelVersion: prediction.modelVersion };
        if (d.kind === 'escalated' || d.kind === 'deescalated') Object.assign(detail, { from: d.from, to: d.to, rulLowerHours: d.rulLowerHours });
        if (d.kind === 'flapping') detail.raisesInWindow = d.raisesInWindow;
        if (d.kind === 'suppressed') detail.suppression = d.suppression;
        if (d.kind === 'raised') Object.assign(detail, { rulLowerHours: d.rulLowerHours, evidence: d.evidence });
        const severity = d.kind === 'raised' ? d.severity : d.kind === 'escalated' || d.kind === 'deescalated' ? d.to : (episode?.severity ?? null);
        const fresh = await store.appendEvent({
          episodeId,
          tenant,
          device,
          mode,
          kind: d.kind,
          at: d.at,
          severity,
          risk: 'risk' in d ? d.risk : risk.risk,
          reason: d.reason,
          detail,
        });
        if (d.kind === 'cleared' && episode) {
          await store.close(episode.id, d.at, 'cleared');
          episode = undefined;
        }
        out.push({ mode, decision: d, episodeId, notify: fresh && NOTIFYING_DECISIONS.has(d.kind) });
      }
      if (episode && after.status !== 'idle' && after.severity) {
        await store.touch(episode.id, { at: prediction.at, risk: risk.risk, rulLowerHours: prediction.rulLowerHours, severity: after.severity, state: after.status });
      }
      await trx
        .updateTable('alert_policy_state')
        .set({ state: JSON.stringify(after), updated_at: new Date(prediction.at) })
        .where('tenant', '=', tenant)
        .where('device', '=', device)
        .where('mode', '=', mode)
        .execute();
      if (out.length > 0 && this.options.onDecisions) await this.options.onDecisions(trx, out);
      return { decisions: out, after };
    });
  }

  /** The device's data-gap state and maintenance windows as of `at`. */
  private async context(trx: Db, tenant: string, device: string, at: number): Promise<PolicyContext> {
    const last = await trx
      .selectFrom('data_quality_events')
      .select(['kind', 'at'])
      .where('tenant', '=', tenant)
      .where('device', '=', device)
      .where('kind', 'in', ['data_gap', 'data_resumed'])
      .where('at', '<=', new Date(at))
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const maintenanceWindows = await new MaintenanceWindowStore(trx).forDevice(tenant, device, at);
    return { dataGapSince: last?.kind === 'data_gap' ? new Date(last.at).getTime() : null, maintenanceWindows };
  }

  /** Hands an open episode to a ticket; the policy keeps watching it (it can still clear). */
  async attachTicket(caller: Caller, tenant: string, episodeId: string, ticketId: string): Promise<boolean> {
    assertMayManage(caller, tenant);
    return this.db.transaction().execute(async (trx) => {
      const store = new EpisodeStore(trx);
      const ep = await store.get(episodeId);
      if (!ep || ep.tenant !== tenant) throw new PrognosError('PRG_NOT_FOUND', `episode ${episodeId}`);
      const changed = await store.attachTicket(episodeId, ticketId);
      if (changed) await store.appendEvent({ episodeId, tenant, device: ep.device, mode: ep.mode, kind: 'ticketed', at: ep.lastPredictionAt, reason: `ticket ${ticketId} by ${callerLabel(caller)}`, detail: { ticketId } });
      return changed;
    });
  }

  /**
   * Closes an episode from the ticket flow (e.g. the repair was verified) and returns its key's
   * policy to idle, so a later rise opens a new episode instead of being taken as the old one.
   */
  async resolve(caller: Caller, tenant: string, episodeId: string, at: number, reason: string): Promise<boolean> {
    assertMayManage(caller, tenant);
    return this.db.transaction().execute(async (trx) => {
      const store = new EpisodeStore(trx);
      const ep = await store.get(episodeId);
      if (!ep || ep.tenant !== tenant) throw new PrognosError('PRG_NOT_FOUND', `episode ${episodeId}`);
      const row = await trx
        .selectFrom('alert_policy_state')
        .select('state')
        .where('tenant', '=', tenant)
        .where('device', '=', ep.device)
        .where('mode', '=', ep.mode)
        .forUpdate()
        .executeTakeFirst();
      if (!(await store.close(episodeId, at, 'resolved'))) return false;
      await store.appendEvent({ episodeId, tenant, device: ep.device, mode: ep.mode, kind: 'resolved', at, reason: `${reason} (${callerLabel(caller)})` });
      if (row) {
        const s = (typeof row.state === 'string' ? JSON.parse(row.state) : row.state) as AlertPolicyState;
        const idle = { ...initialPolicyState(tenant, ep.device, ep.mode), lastAt: s.lastAt, raises: s.raises };
        await trx
          .updateTable('alert_policy_state')
          .set({ state: JSON.stringify(idle), updated_at: sql`now()` })
          .where('tenant', '=', tenant)
          .where('device', '=', ep.device)
          .where('mode', '=', ep.mode)
          .execute();
      }
      return true;
    });
  }

  async episodes(caller: Caller, q: { tenant: string; device?: string; openOnly?: boolean }): Promise<AlertEpisode[]> {
    assertMayManage(caller, q.tenant);
    return new EpisodeStore(this.db).list(q);
  }

  async events(caller: Caller, q: { tenant: string; episodeId?: string; device?: string; mode?: string }) {
    assertMayManage(caller, q.tenant);
    return new EpisodeStore(this.db).events(q);
  }
}
