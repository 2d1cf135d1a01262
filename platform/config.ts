import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The one place that reads `process.env`. Every other module receives the frozen
 * {@link Config} it is handed at boot.
 */

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a URL with scheme ${protocols.map((p) => p.replace(':', '://')).join(' or ')}`);

const intFromEnv = (min: number, max: number) =>
  z.coerce.number().int(`must be an integer`).min(min).max(max);

const safeId = /^[A-Za-z0-9._-]{1,64}$/;

export const EnvSchema = z.object({
  /** External broker; unset starts the embedded aedes broker on MQTT_PORT. */
  MQTT_URL: url(['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']).optional(),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  /** MQTT protocol version ingest speaks to an external broker (the embedded one speaks 4). */
  MQTT_PROTOCOL_VERSION: z.enum(['4', '5']).default('5'),
  /** TCP port of the embedded broker (only when MQTT_URL is unset). */
  MQTT_PORT: intFromEnv(0, 65535).default(1884),
  /** Address the embedded broker listens on; 0.0.0.0 lets devices on the network connect. */
  MQTT_BIND_HOST: z.string().min(1).default('127.0.0.1'),
  /** `on`: the embedded broker admits only devices with credentials issued through the API, each to its own topics. */
  MQTT_AUTH: z.enum(['on', 'off']).default('on'),
  /** Stable client id of this ingest process: the broker keeps its session and backlog. */
  MQTT_CLIENT_ID: z.string().regex(safeId, 'must match [A-Za-z0-9._-]{1,64}').default('prognos-ingest-1'),
  /** Shared-subscription group; several ingest processes with the same group split the load. */
  MQTT_SHARE_GROUP: z.string().regex(safeId, 'must match [A-Za-z0-9._-]{1,64}').optional(),
  /** How many unacknowledged messages ingest holds at once (MQTT 5 receive maximum); keep it at least twice the batch size. */
  INGEST_MAX_IN_FLIGHT: intFromEnv(1, 65535).default(5000),
  INGEST_MAX_PAYLOAD_BYTES: intFromEnv(64, 16 * 1024 * 1024).default(256 * 1024),
  INGEST_MAX_READINGS_PER_MESSAGE: intFromEnv(1, 100000).default(1000),
  INGEST_MAX_FUTURE_MS: intFromEnv(0, 365 * 86400_000).default(5 * 60_000),
  INGEST_MAX_PAST_MS: intFromEnv(0, 100 * 365 * 86400_000).default(30 * 86400_000),
  INGEST_BATCH_SIZE: intFromEnv(1, 1_000_000).default(2500),
  INGEST_FLUSH_MS: intFromEnv(1, 60_000).default(50),
  /** Bound of the on-disk spool; when full, ingest stops acking and the broker holds the rest. */
  INGEST_SPOOL_MAX_BYTES: intFromEnv(1024, Number.MAX_SAFE_INTEGER).default(1024 * 1024 * 1024),
  /** A device silent for this many times its usual interval is reported as a data gap. */
  INGEST_GAP_FACTOR: z.coerce.number().min(1.5).max(1000).default(5),

  INFLUX_URL: url(['http:', 'https:']).default('http://127.0.0.1:8086'),
  INFLUX_DATABASE: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must match [A-Za-z0-9._-]{1,64}').default('prognos'),
  INFLUX_TOKEN: z.string().min(1).optional(),
  INFLUX_RETENTION_POLICY: z.string().optional(),

  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** PostgreSQL; unset uses embedded PGlite under PROGNOS_DATA_DIR/pglite. */
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  PROGNOS_DATA_DIR: z.string().min(1).default('./data'),

  /** HTTP port of the running service (metrics, health, rejects). */
  PROGNOS_HTTP_PORT: intFromEnv(0, 65535).default(8780),
  PROGNOS_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where CLI commands find the running service. Defaults to http://127.0.0.1:PROGNOS_HTTP_PORT. */
  PROGNOS_URL: url(['http:', 'https:']).optional(),
  /** Requests per caller (user, or address before login) per window before 429. */
  API_RATE_LIMIT_MAX: intFromEnv(1, 1_000_000).default(600),
  API_RATE_LIMIT_WINDOW_MS: intFromEnv(1000, 86400_000).default(60_000),
  /** Lifetime of a login's bearer token and session cookie. */
  API_TOKEN_TTL_HOURS: intFromEnv(1, 24 * 365).default(12),
  /** Password of the users created on first start (admin, demo-engineer, demo-customer); unset: a random one each, printed once. */
  PROGNOS_BOOTSTRAP_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  /** Bearer token CLI commands send to the running service. */
  PROGNOS_TOKEN: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  /** Score each device every this many ms of device time (its readings' timestamps). */
  SCORING_EVERY_MS: intFromEnv(1000, 7 * 86400_000).default(15 * 60_000),
  /**
   * Which predictions get TreeSHAP attributions: every mode, only modes at or over their threshold
   * (the ones an alert shows; TreeSHAP is most of the scoring cost), or none.
   */
  SCORING_EXPLAIN: z.enum(['all', 'above_threshold', 'none']).default('above_threshold'),

  /** Outgoing mail; unset starts an embedded SMTP sink that stores mail under PROGNOS_DATA_DIR/mail. */
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  SMTP_FROM: z.string().min(3).default('prognos <service@prognos.local>'),
  /** HMAC key of customer links (≥ 32 chars); unset: generated once and kept under PROGNOS_DATA_DIR. */
  PROGNOS_LINK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** HMAC key of outgoing webhooks (≥ 32 chars); unset: generated once and kept under PROGNOS_DATA_DIR. */
  PROGNOS_WEBHOOK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Base URL customers' links point at (the dashboard). Defaults to http://127.0.0.1:PROGNOS_HTTP_PORT. */
  PROGNOS_PUBLIC_URL: url(['http:', 'https:']).optional(),
  /** Proactive messages per customer per 24 h before further ones wait. */
  NOTIFY_MAX_PROACTIVE_PER_DAY: intFromEnv(1, 100).default(3),
  /** Hours without a customer answer before escalating to the next channel, then a person. */
  WORKFLOW_ESCALATE_AFTER_HOURS: z.coerce.number().positive().max(24 * 30).default(24),

  /** OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, DeepSeek, Qwen…). */
  OPENAI_BASE_URL: url(['http:', 'https:']).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** Chat model with tool calling; unset (or no key/base URL): the offline responder answers. */
  PROGNOS_LLM_MODEL: z.string().min(1).optional(),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  readonly mqtt: {
    readonly url: string | undefined;
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly protocolVersion: 4 | 5;
    readonly embeddedPort: number;
    readonly embeddedHost: string;
    readonly clientId: string;
    readonly shareGroup: string | undefined;
    /** Embedded broker: authenticate devices and hold each to its own topics. */
    readonly auth: boolean;
  };
  readonly ingest: {
    readonly maxInFlight: number;
    readonly maxPayloadBytes: number;
    readonly maxReadingsPerMessage: number;
    readonly maxFutureMs: number;
    readonly maxPastMs: number;
    readonly batchSize: number;
    readonly flushMs: number;
    readonly spoolDir: string;
    readonly spoolMaxBytes: number;
    readonly gapFactor: number;
  };
  readonly influx: {
    readonly url: string;
    readonly database: string;
    readonly token: string | undefined;
    readonly retentionPolicy: string | undefined;
  };
  readonly redisUrl: string;
  readonly sql: { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'pglite'; readonly dir: string };
  readonly dataDir: string;
  readonly http: { readonly host: string; readonly port: number; readonly serviceUrl: string };
  readonly log: { readonly level: string };
  readonly api: {
    readonly rateLimitMax: number;
    readonly rateLimitWindowMs: number;
    readonly tokenTtlMs: number;
    readonly bootstrapPassword: string | undefined;
    /** What CLI commands send as `Authorization: Bearer`. */
    readonly token: string | undefined;
  };
  readonly scoring: { readonly everyMs: number; readonly explain: 'all' | 'above_threshold' | 'none' };
  readonly notify: {
    /** Unset: the embedded SMTP sink. */
    readonly smtpUrl: string | undefined;
    readonly smtpFrom: string;
    readonly linkSecret: string | undefined;
    readonly webhookSecret: string | undefined;
    readonly publicUrl: string;
    readonly maxProactivePerDay: number;
    readonly escalateAfterHours: number;
  };
  readonly llm: { readonly baseUrl: string | undefined; readonly apiKey: string | undefined; readonly model: string | undefined };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses the environment once. A wrong value throws a {@link ConfigError} whose message is
 * one line naming the variable, e.g. `INFLUX_URL: must be a URL with scheme http:// or https://`.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset": `FOO= prognos start` must not turn into a validation error.
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') cleaned[key] = v;
  }
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const got = cleaned[name];
    throw new ConfigError(`${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.PROGNOS_DATA_DIR);
  return deepFreeze<Config>({
    mqtt: {
      url: e.MQTT_URL,
      username: e.MQTT_USERNAME,
      password: e.MQTT_PASSWORD,
      protocolVersion: e.MQTT_URL ? (Number(e.MQTT_PROTOCOL_VERSION) as 4 | 5) : 4,
      embeddedPort: e.MQTT_PORT,
      embeddedHost: e.MQTT_BIND_HOST,
      clientId: e.MQTT_CLIENT_ID,
      shareGroup: e.MQTT_SHARE_GROUP,
      auth: e.MQTT_AUTH === 'on',
    },
    ingest: {
      maxInFlight: e.INGEST_MAX_IN_FLIGHT,
      maxPayloadBytes: e.INGEST_MAX_PAYLOAD_BYTES,
      maxReadingsPerMessage: e.INGEST_MAX_READINGS_PER_MESSAGE,
      maxFutureMs: e.INGEST_MAX_FUTURE_MS,
      maxPastMs: e.INGEST_MAX_PAST_MS,
      batchSize: e.INGEST_BATCH_SIZE,
      flushMs: e.INGEST_FLUSH_MS,
      spoolDir: resolve(dataDir, 'spool', e.MQTT_CLIENT_ID),
      spoolMaxBytes: e.INGEST_SPOOL_MAX_BYTES,
      gapFactor: e.INGEST_GAP_FACTOR,
    },
    influx: {
      url: e.INFLUX_URL,
      database: e.INFLUX_DATABASE,
      token: e.INFLUX_TOKEN,
      retentionPolicy: e.INFLUX_RETENTION_POLICY,
    },
    redisUrl: e.REDIS_URL,
    sql: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'pglite', dir: resolve(dataDir, 'pglite') },
    dataDir,
    http: {
      host: e.PROGNOS_HTTP_HOST,
      port: e.PROGNOS_HTTP_PORT,
      serviceUrl: e.PROGNOS_URL ?? `http://127.0.0.1:${e.PROGNOS_HTTP_PORT}`,
    },
    log: { level: e.LOG_LEVEL },
    api: {
      rateLimitMax: e.API_RATE_LIMIT_MAX,
      rateLimitWindowMs: e.API_RATE_LIMIT_WINDOW_MS,
      tokenTtlMs: e.API_TOKEN_TTL_HOURS * 3600_000,
      bootstrapPassword: e.PROGNOS_BOOTSTRAP_PASSWORD,
      token: e.PROGNOS_TOKEN,
    },
    scoring: { everyMs: e.SCORING_EVERY_MS, explain: e.SCORING_EXPLAIN },
    notify: {
      smtpUrl: e.SMTP_URL,
      smtpFrom: e.SMTP_FROM,
      linkSecret: e.PROGNOS_LINK_SECRET,
      webhookSecret: e.PROGNOS_WEBHOOK_SECRET,
      publicUrl: e.PROGNOS_PUBLIC_URL ?? `http://127.0.0.1:${e.PROGNOS_HTTP_PORT}`,
      maxProactivePerDay: e.NOTIFY_MAX_PROACTIVE_PER_DAY,
      escalateAfterHours: e.WORKFLOW_ESCALATE_AFTER_HOURS,
    },
    llm: { baseUrl: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY, model: e.PROGNOS_LLM_MODEL },
  });
}
