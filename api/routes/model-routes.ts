import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SAFE_ID } from '../../ingest/topics.ts';
import { listRetrainingLabels } from '../../maintenance/retraining-labels.ts';
import { OUTCOMES } from '../../maintenance/ticket-state.ts';
import type { DriftReport } from '../../models/drift-monitor.ts';
import { activateVersion, listVersions, type ModelVersion, registerBundle, rollbackVersion } from '../../models/model-registry.ts';
import { callerLabel } from '../../platform/caller.ts';
import type { DomainDeps } from '../../platform/domain-deps.ts';
import { requireKind } from '../caller-access.ts';
import { errorResponses } from '../error-reply.ts';

export interface ModelRoutesOptions {
  /**
   * The scoring process's drift monitor (models/drift-monitor.ts). Without one (an API process
   * that scores nothing) the drift route answers `monitored: false` and no reports.
   */
  drift?: { reports(): DriftReport[] };
}

const security: { [scheme: string]: string[] }[] = [{ bearer: [] }, { cookie: [] }];
const TypeParams = z.object({ type: z.string().regex(/^[a-z0-9_]{1,64}$/, 'an equipment type, e.g. centrifugal_pump') });

const ModelVersionSchema = z
  .object({
    equipmentType: z.string(),
    version: z.string(),
    dir: z.string(),
    cardHash: z.string(),
    status: z.enum(['candidate', 'active', 'retired']),
    registeredAt: z.string(),
    activatedAt: z.string().nullable(),
    activatedBy: z.string().nullable(),
  })
  .meta({ id: 'ModelVersion' });

const DriftReportSchema = z
  .object({
    equipmentType: z.string(),
    modelVersion: z.string(),
    at: z.number(),
    sampleSize: z.number().int(),
    level: z.enum(['ok', 'warn', 'drift', 'insufficient']),
    top: z.array(z.object({ feature: z.string(), psi: z.number().nullable() })),
    psi: z.record(z.string(), z.number().nullable()).meta({ description: "every referenced feature's PSI; null when the sample had no value of it" }),
  })
  .meta({ id: 'DriftReport' });

const RetrainingLabelSchema = z
  .object({
    tenant: z.string(),
    deviceId: z.string(),
    equipmentType: z.string(),
    mode: z.string().meta({ description: 'the failure mode the ticket was opened for (the prediction)' }),
    confirmed: z.boolean().meta({ description: 'the technician found the predicted mode' }),
    confirmedMode: z.string().nullable().meta({ description: 'the mode the technician found; null when nothing was wrong' }),
    at: z.string().meta({ description: 'when the close-out was recorded (ISO 8601)' }),
    ticketId: z.string(),
    outcome: z.enum(OUTCOMES),
  })
  .meta({ id: 'RetrainingLabel' });

const TrainingDeviceSchema = z
  .object({ tenant: z.string(), id: z.string(), equipmentType: z.string(), model: z.string(), installedAt: z.string() })
  .meta({ id: 'TrainingDevice' });

const isoTime = z.iso.datetime({ offset: true }).transform((v) => Date.parse(v));

const RetrainingLabelsQuery = z.object({
  tenant: z.string().regex(SAFE_ID, 'must match [A-Za-z0-9._-]{1,64}').optional().meta({ description: 'admins: one tenant (default all); engineers: their own only' }),
  since: isoTime.optional().meta({ description: 'close-outs at or after this time (ISO 8601)' }),
  until: isoTime.optional().meta({ description: 'close-outs before this time (ISO 8601)' }),
});

const view = (m: ModelVersion): z.infer<typeof ModelVersionSchema> => ({
  ...m,
  registeredAt: m.registeredAt.toISOString(),
  activatedAt: m.activatedAt?.toISOString() ?? null,
  activatedBy: m.activatedBy,
});

/** JSON has no NaN: a PSI that could not be computed is null. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The model registry for operators (admin only: models serve every tenant): list versions,
 * register a bundle directory on the server's disk as a candidate, activate a version, roll
 * back to the previous one, and read the live feature drift. The retraining labels are the
 * exception: an engineer reads those of their own tenant (the field data they retrain on). Scoring processes pick up an
 * activation from the SQL store without a restart (LiveModels).
 */
export function modelRoutes(deps: DomainDeps, options: ModelRoutesOptions = {}): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/models',
      {
        schema: {
          tags: ['models'],
          summary: 'Registered model versions, newest first; admin only',
          security,
          querystring: z.object({ type: z.string().max(64).optional() }),
          response: { 200: z.object({ models: z.array(ModelVersionSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        requireKind(req, 'admin');
        return { models: (await listVersions(deps.db, req.query.type)).map(view) };
      },
    );

    app.post(
      '/api/v1/models/register',
      {
        schema: {
          tags: ['models'],
          summary: "Registers the bundle in `dir` (on the server's disk) as a candidate; admin only",
          security,
          body: z.object({ dir: z.string().min(1).max(4096) }),
          response: { 200: z.object({ model: ModelVersionSchema }), ...errorResponses },
        },
      },
      async (req) => {
        requireKind(req, 'admin');
        return { model: view(await registerBundle(deps, req.body.dir)) };
      },
    );

    app.post(
      '/api/v1/models/:type/activate',
      {
        schema: {
          tags: ['models'],
          summary: 'Makes a registered version the active model of its equipment type; admin only',
          security,
          params: TypeParams,
          body: z.object({ version: z.string().min(1).max(200) }),
          response: { 200: z.object({ model: ModelVersionSchema }), ...errorResponses },
        },
      },
      async (req) => {
        const caller = requireKind(req, 'admin');
        const m = await activateVersion(deps, req.params.type, req.body.version, callerLabel(caller));
        deps.logger.info({ equipmentType: m.equipmentType, version: m.version, by: callerLabel(caller) }, 'model activated');
        return { model: view(m) };
      },
    );

    app.post(
      '/api/v1/models/:type/rollback',
      {
        schema: {
          tags: ['models'],
          summary: 'Re-activates the version that was active before the current one; admin only',
          security,
          params: TypeParams,
          response: { 200: z.object({ model: ModelVersionSchema }), ...errorResponses },
        },
      },
      async (req) => {
        const caller = requireKind(req, 'admin');
        const m = await rollbackVersion(deps, req.params.type, callerLabel(caller));
        deps.logger.info({ equipmentType: m.equipmentType, version: m.version, by: callerLabel(caller) }, 'model rolled back');
        return { model: view(m) };
      },
    );

    app.get(
      '/api/v1/models/retraining-labels',
      {
        schema: {
          tags: ['models'],
          summary: "Verified ticket close-outs as retraining labels, oldest first, and the devices in the caller's scope; admin or engineer (own tenant)",
          description:
            'Only tickets closed `resolved_verified` or `no_fault_found` (a visit was done) count. `prognos train export-field` turns them into a training history.',
          security,
          querystring: RetrainingLabelsQuery,
          response: { 200: z.object({ labels: z.array(RetrainingLabelSchema), devices: z.array(TrainingDeviceSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        const caller = requireKind(req, 'admin', 'engineer');
        return listRetrainingLabels(deps, caller, { tenant: req.query.tenant, sinceMs: req.query.since, untilMs: req.query.until });
      },
    );

    app.get(
      '/api/v1/models/drift',
      {
        schema: {
          tags: ['models'],
          summary: "Feature drift (PSI against each model card's reference) of the live sample per equipment type; admin only",
          security,
          response: { 200: z.object({ monitored: z.boolean(), reports: z.array(DriftReportSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        requireKind(req, 'admin');
        const reports = options.drift?.reports() ?? [];
        return {
          monitored: options.drift !== undefined,
          reports: reports.map((r) => ({
            ...r,
            top: r.top.map((t) => ({ feature: t.feature, psi: finite(t.psi) })),
            psi: Object.fromEntries(Object.entries(r.psi).map(([k, v]) => [k, finite(v)])),
          })),
        };
      },
    );
  };
}
