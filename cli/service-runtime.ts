import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppliedDecision } from '../alerts/episode-service.ts';
import { EpisodeService } from '../alerts/episode-service.ts';
import { type ApiServices, startApiServices } from '../api/api-services.ts';
import { buildApi } from '../api/server.ts';
import { IngestService } from '../ingest/ingest-service.ts';
import { DriftMonitor } from '../models/drift-monitor.ts';
import { streamingFeatureSource } from '../models/feature-source.ts';
import { LiveModels, registerDefaultBundles } from '../models/model-registry.ts';
import type { Prediction } from '../models/prediction.ts';
import { PredictionWriter } from '../models/prediction-writer.ts';
import { ScoringService } from '../models/scoring-service.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import type { Config } from '../platform/config.ts';
import type { DomainDeps } from '../platform/domain-deps.ts';
import { InfluxHttp } from '../platform/influx/influx-http.ts';
import { createLogger, type Logger } from '../platform/logger.ts';
import { JobQueues } from '../platform/queue/job-queues.ts';
import type { Db } from '../platform/sql/database.ts';
import { coreApiDeps, openSqlStore } from './runtime-parts.ts';
import type { Database } from '../platform/sql/schema.ts';
import type { Kysely } from 'kysely';
import { projectPath } from '../platform/project-paths.ts';

/** The models shipped with prognos, registered and activated where no version is active yet. */
export const DEFAULT_MODELS_DIR = projectPath('models', 'default');

/** Counters for the live summary (what `prognos start`/`demo` print). */
export interface RuntimeCounters {
  predictions: number;
  insufficient: number;
  episodesRaised: number;
  episodesCleared: number;
}

/**
 * Extension points the roles above the core (workflows, assistant) plug into before anything
 * starts: they get the shared connections and hand back what the runtime must call.
 */
export interface RuntimePlugin {
  readonly name: string;
  /** Called inside the episode transaction with the decisions just recorded (transactional outbox). */
  onDecisions?(trx: Kysely<Database>, applied: AppliedDecision[]): Promise<void>;
  onPrediction?(p: Prediction): void;
  /** Route plugins mounted behind the API's auth hook, rate limit and OpenAPI collector. */
  routes?: readonly FastifyPluginAsyncZod[];
  start?(): Promise<void>;
  stop?(): Promise<void>;
  status?(): Record<string, unknown>;
}

export interface RuntimeOptions {
  /** Default: the system clock. The demo passes an AcceleratedClock. */
  readonly clock?: Clock;
  /** Extra fields for /api/v1/status (e.g. the simulator's counts). */
  readonly extraStatus?: () => Record<string, unknown>;
  /** Built once the shared connections exist, before anything starts. */
  readonly plugins?: ReadonlyArray<(deps: DomainDeps & { apiServices: ApiServices; episodes: EpisodeService; drift: DriftMonitor }) => RuntimePlugin>;
  /** Redis key prefix of the job queues. Default `prognos-<hash of the SQL store's location>`. */
  readonly queuePrefix?: string;
  /** Called once ingest runs (the embedded broker is up), before the plugins start. */
  readonly beforePluginsStart?: (rt: Pick<ServiceRuntime, 'ingest' | 'apiServices' | 'config'>) => void;
}

export interface ServiceRuntime {
  config: Config;
  logger: Logger;
  clock: Clock;
  db: Db;
  deps: DomainDeps;
  ingest: IngestService;
  scoring: ScoringService;
  models: LiveModels;
  drift: DriftMonitor;
  episodes: EpisodeService;
  api: FastifyInstance;
  apiServices: ApiServices;
  plugins: readonly RuntimePlugin[];
  counters: RuntimeCounters;
  httpUrl: string;
  stop(): Promise<void>;
}

/**
 * Boots every role over one SQL handle: ingest (with the embedded broker when no MQTT_URL is
 * set) → online scoring (feature windows, the active model bundles, predictions into InfluxDB)
 * → alert episodes → plugins (workflows, assistant) → the HTTP API. Stops in reverse order.
 */
export async function startServiceRuntime(config: Config, options: RuntimeOptions = {}): Promise<ServiceRuntime> {
  const logger = createLogger(config);
  const clock = options.clock ?? systemClock;
  const { db, release: releaseSql } = await openSqlStore(config);
  const apiServices = await startApiServices({ config, db, clock });
  const influx = new InfluxHttp(config.influx);
  // One Redis may serve several installations (a demo beside a test run): each keeps its jobs
  // under a prefix of its own SQL store, so none takes another's jobs for rows it does not have.
  const store = config.sql.kind === 'pglite' ? config.sql.dir : config.sql.url;
  const prefix = options.queuePrefix ?? `prognos-${createHash('sha256').update(store).digest('hex').slice(0, 10)}`;
  const jobs = new JobQueues({ redisUrl: config.redisUrl, prefix, clock, logger });
  const deps: DomainDeps = { db, clock, logger, influx, jobs, events: apiServices.events };
  const counters: RuntimeCounters = { predictions: 0, insufficient: 0, episodesRaised: 0, episodesCleared: 0 };

  await registerDefaultBundles({ db, clock }, DEFAULT_MODELS_DIR, logger);
  const models = new LiveModels({ db, clock, logger, scorer: { explain: config.scoring.explain } });
  const drift = new DriftMonitor();
  // Predictions go through ingest's writer (batched, spooled when InfluxDB is down), built below.
  let ingest: IngestService;
  const scoring = new ScoringService({
    db,
    clock,
    logger,
    features: streamingFeatureSource(),
    models,
    drift,
    writer: new PredictionWriter({ write: (lines) => ingest.writeLines(lines) }),
    everyMs: config.scoring.everyMs,
  });

  const plugins: RuntimePlugin[] = [];
  const episodes = new EpisodeService(db, {
    onDecisions: async (trx, applied) => {
      for (const p of plugins) await p.onDecisions?.(trx, applied);
    },
  });
  for (const make of options.plugins ?? []) plugins.push(make({ ...deps, apiServices, episodes, drift }));

  scoring.onPrediction((p) => {
    counters.predictions++;
    if (p.status !== 'ok') counters.insufficient++;
    for (const plugin of plugins) plugin.onPrediction?.(p);
    episodes
      .applyPrediction({ kind: 'system', tenant: p.tenant, reason: 'scoring' }, p)
      .then((applied) => {
        for (const a of applied) {
          if (!a.notify) continue;
          if (a.decision.kind === 'raised') counters.episodesRaised++;
          if (a.decision.kind === 'cleared') counters.episodesCleared++;
          apiServices.events.publish({ type: `episode.${a.decision.kind}`, tenant: p.tenant, data: { device: p.device, mode: a.mode, episodeId: a.episodeId } });
        }
      })
      .catch((err) => logger.error({ err, device: p.device }, 'alert policy step failed; the next prediction retries it'));
  });

  ingest = new IngestService({ config, db, clock, logger, brokerAuth: apiServices.brokerAuth, onReadings: (ref, readings) => scoring.onReadings(ref, readings) });
  await models.start();
  await scoring.start();
  // Ingest first: plugins may connect to the embedded broker. Decisions made before a plugin
  // starts are not lost: onDecisions writes SQL outboxes that the plugin drains once started.
  await ingest.start();
  options.beforePluginsStart?.({ ingest, apiServices, config });
  for (const p of plugins) await p.start?.();
  const api = buildApi({
    ingest,
    status: () => ({
      scoring: scoring.stats,
      models: models.versions(),
      counters,
      ...Object.fromEntries(plugins.filter((p) => p.status).map((p) => [p.name, p.status!()])),
      ...options.extraStatus?.(),
    }),
    ...coreApiDeps(config, apiServices),
    routes: plugins.flatMap((p) => p.routes ?? []),
  });
  const address = await api.listen({ host: config.http.host, port: config.http.port });
  let stopped = false;
  return {
    config,
    logger,
    clock,
    db,
    deps,
    ingest,
    scoring,
    models,
    drift,
    episodes,
    api,
    apiServices,
    plugins,
    counters,
    httpUrl: address,
    async stop() {
      if (stopped) return;
      stopped = true;
      await api.close();
      // Plugins first: their clients (the MQTT downlink) must leave the embedded broker before
      // ingest closes it. Decisions made after this still land in the SQL outboxes.
      for (const p of [...plugins].reverse()) await p.stop?.();
      await ingest.stop();
      await scoring.stop();
      await models.stop();
      await jobs.close();
      await db.destroy();
      releaseSql();
    },
  };
}
