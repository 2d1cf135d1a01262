/**
 * Which model bundle serves each equipment type. Versions are rows of `model_versions`
 * (candidate → active → retired, at most one active per type); the SQL store is the truth, so
 * every process that scores sees an activation: {@link LiveModels} polls the active set and
 * swaps its loaded bundle when it changes, without a restart and without failing a batch that is
 * being scored (the old bundle closes once its in-flight batches are done).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Clock } from '../platform/clock.ts';
import { PrognosError } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { Db } from '../platform/sql/database.ts';
import { BundleScorer, cardHash, type BundleScorerOptions } from './bundle-scorer.ts';
import { loadBundle } from './model-bundle.ts';

export type ModelStatus = 'candidate' | 'active' | 'retired';

export interface ModelVersion {
  readonly equipmentType: string;
  readonly version: string;
  readonly dir: string;
  readonly cardHash: string;
  readonly status: ModelStatus;
  readonly registeredAt: Date;
  readonly activatedAt: Date | null;
  readonly activatedBy: string | null;
}

export interface RegistryDeps {
  readonly db: Db;
  readonly clock: Clock;
}

/** Who set up the bundles shipped under models/default. */
export const DEFAULT_ACTIVATOR = 'system:default';

/**
 * Registers the bundle in `dir` as a candidate (after checking it loads: card and file hashes).
 * Registering the same version again with the same card is a no-op; with another card it is
 * refused, because a version names one set of files for good.
 */
export async function registerBundle(deps: RegistryDeps, dir: string): Promise<ModelVersion> {
  const abs = resolve(dir);
  const { card } = loadBundle(abs);
  const hash = cardHash(abs);
  const existing = await findVersion(deps.db, card.equipmentType, card.version);
  if (existing) {
    if (existing.cardHash !== hash) {
      throw new PrognosError('PRG_BAD_REQUEST', `${card.equipmentType} model ${card.version} is already registered with another card (from ${existing.dir})`);
    }
    return existing;
  }
  await deps.db
    .insertInto('model_versions')
    .values({ equipment_type: card.equipmentType, version: card.version, dir: abs, card_hash: hash, status: 'candidate', registered_at: new Date(deps.clock.now()), activated_at: null, activated_by: null })
    .onConflict((oc) => oc.columns(['equipment_type', 'version']).doNothing())
    .execute();
  return (await findVersion(deps.db, card.equipmentType, card.version))!;
}

/** Makes `version` the active model of its equipment type; the previous active one is retired. */
export async function activateVersion(deps: RegistryDeps, equipmentType: string, version: string, by: string): Promise<ModelVersion> {
  await deps.db.transaction().execute(async (tx) => {
    const target = await tx.selectFrom('model_versions').selectAll().where('equipment_type', '=', equipmentType).where('version', '=', version).forUpdate().executeTakeFirst();
    if (!target) throw new PrognosError('PRG_NOT_FOUND', `no ${equipmentType} model ${version} is registered`);
    if (target.status === 'active') return;
    // The bundle may have been removed from disk since it was registered.
    const { card } = loadBundle(target.dir);
    if (card.version !== version) throw new PrognosError('PRG_MODEL_INVALID', `${target.dir} now holds version ${card.version}, not ${version}`);
    await tx.updateTable('model_versions').set({ status: 'retired' }).where('equipment_type', '=', equipmentType).where('status', '=', 'active').execute();
    await tx
      .updateTable('model_versions')
      .set({ status: 'active', activated_at: new Date(deps.clock.now()), activated_by: by })
      .where('equipment_type', '=', equipmentType)
      .where('version', '=', version)
      .execute();
  });
  return (await findVersion(deps.db, equipmentType, version))!;
}

/**
 * Re-activates the version that was active before the current one (the most recently activated
 * retired version). Rolling back twice therefore swaps back.
 */
export async function rollbackVersion(deps: RegistryDeps, equipmentType: string, by: string): Promise<ModelVersion> {
  const previous = await deps.db
    .selectFrom('model_versions')
    .select('version')
    .where('equipment_type', '=', equipmentType)
    .where('status', '=', 'retired')
    .where('activated_at', 'is not', null)
    .orderBy('activated_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!previous) throw new PrognosError('PRG_NOT_FOUND', `no earlier ${equipmentType} model to roll back to`);
  return activateVersion(deps, equipmentType, previous.version, by);
}

/** Registered versions, newest registration first; one equipment type or all. */
export async function listVersions(db: Db, equipmentType?: string): Promise<ModelVersion[]> {
  let q = db.selectFrom('model_versions').selectAll();
  if (equipmentType !== undefined) q = q.where('equipment_type', '=', equipmentType);
  const rows = await q.orderBy('registered_at', 'desc').orderBy('version', 'desc').execute();
  return rows.map(toVersion);
}

/** The active version per equipment type. */
export async function activeVersions(db: Db): Promise<ModelVersion[]> {
  const rows = await db.selectFrom('model_versions').selectAll().where('status', '=', 'active').execute();
  return rows.map(toVersion);
}

/**
 * Registers every bundle under `root` (one directory per equipment type, e.g.
 * models/default/centrifugal_pump/) and activates it where its equipment type has no active
 * model yet. An operator's activation is never overridden. Returns the versions it activated.
 */
export async function registerDefaultBundles(deps: RegistryDeps, root: string, logger?: Logger): Promise<ModelVersion[]> {
  if (!existsSync(root)) return [];
  const activated: ModelVersion[] = [];
  const active = new Set((await activeVersions(deps.db)).map((v) => v.equipmentType));
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const dir = join(root, entry.name);
    if (!entry.isDirectory() || !existsSync(join(dir, 'card.json'))) continue;
    try {
      const v = await registerBundle(deps, dir);
      if (!active.has(v.equipmentType)) {
        activated.push(await activateVersion(deps, v.equipmentType, v.version, DEFAULT_ACTIVATOR));
        active.add(v.equipmentType);
      }
    } catch (err) {
      // One broken default must not keep the other equipment types from being scored.
      logger?.error({ err, dir }, 'default model bundle not registered');
    }
  }
  return activated;
}

async function findVersion(db: Db, equipmentType: string, version: string): Promise<ModelVersion | undefined> {
  const row = await db.selectFrom('model_versions').selectAll().where('equipment_type', '=', equipmentType).where('version', '=', version).executeTakeFirst();
  return row && toVersion(row);
}

function toVersion(r: { equipment_type: string; version: string; dir: string; card_hash: string; status: string; registered_at: Date; activated_at: Date | null; activated_by: string | null }): ModelVersion {
  return {
    equipmentType: r.equipment_type,
    version: r.version,
    dir: r.dir,
    cardHash: r.card_hash,
    status: r.status as ModelStatus,
    registeredAt: new Date(r.registered_at),
    activatedAt: r.activated_at === null ? null : new Date(r.activated_at),
    activatedBy: r.activated_by,
  };
}

export interface LiveModelsOptions extends RegistryDeps {
  readonly logger: Logger;
  /** How often the active set is re-read, in clock ms. Default 5000. */
  readonly pollMs?: number;
  /** Options for every loaded bundle. */
  readonly scorer?: BundleScorerOptions;
  /** Told after a bundle was swapped in (for logs and metrics). */
  readonly onSwap?: (equipmentType: string, from: string | null, to: string) => void;
}

/**
 * The loaded active bundle per equipment type, kept in step with `model_versions`. Callers take
 * {@link current} and call its `score` in the same tick; a swap closes the old bundle only after
 * the batches it already started have finished.
 */
export class LiveModels {
  private readonly loaded = new Map<string, { key: string; scorer: BundleScorer }>();
  /** `type/version/hash` that failed to load: not retried until the active row changes. */
  private readonly failed = new Set<string>();
  private readonly closing = new Set<Promise<void>>();
  private cancelTimer: (() => void) | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: LiveModelsOptions) {}

  /** Loads the active bundles, then polls for changes. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  /** The bundle serving `equipmentType` now, or undefined when none is active (or it failed to load). */
  current(equipmentType: string): BundleScorer | undefined {
    return this.loaded.get(equipmentType)?.scorer;
  }

  /** Active versions loaded here, by equipment type. */
  versions(): Record<string, string> {
    return Object.fromEntries([...this.loaded].map(([t, l]) => [t, l.scorer.version]));
  }

  /** Re-reads the active set now and swaps what changed (one refresh at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    await this.refreshing;
    for (const { scorer } of this.loaded.values()) this.retire(scorer);
    this.loaded.clear();
    await Promise.allSettled([...this.closing]);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancelTimer = this.o.clock.setTimer(() => {
      this.refresh()
        .catch((err: unknown) => this.o.logger.warn({ err }, 'model registry poll failed'))
        .finally(() => this.schedule());
    }, this.o.pollMs ?? 5000);
  }

  private async doRefresh(): Promise<void> {
    const active = await activeVersions(this.o.db);
    for (const v of active) {
      const key = `${v.equipmentType}/${v.version}/${v.cardHash}`;
      const have = this.loaded.get(v.equipmentType);
      if (have?.key === key || this.failed.has(key) || this.stopped) continue;
      let scorer: BundleScorer;
      try {
        if (cardHash(v.dir) !== v.cardHash) throw new PrognosError('PRG_MODEL_INVALID', `${v.dir}/card.json changed since it was registered`);
        scorer = await BundleScorer.load(v.dir, this.o.scorer);
      } catch (err) {
        this.failed.add(key);
        this.o.logger.error({ err, equipmentType: v.equipmentType, version: v.version }, 'active model failed to load; keeping the previous one');
        continue;
      }
      if (this.stopped) {
        this.retire(scorer);
        continue;
      }
      this.loaded.set(v.equipmentType, { key, scorer });
      if (have) this.retire(have.scorer);
      this.o.logger.info({ equipmentType: v.equipmentType, from: have?.scorer.version ?? null, to: v.version }, 'model swapped in');
      this.o.onSwap?.(v.equipmentType, have?.scorer.version ?? null, v.version);
    }
  }

  private retire(scorer: BundleScorer): void {
    const p = scorer.close().catch((err: unknown) => this.o.logger.warn({ err }, 'closing a retired model failed'));
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }
}
