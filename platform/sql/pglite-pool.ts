import { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/**
 * Presents embedded PGlite as the pool Kysely's PostgresDialect expects. PGlite is one
 * connection, so the pool hands it to one borrower at a time: a transaction is never
 * interleaved with another caller's statements.
 */
export class PGlitePool implements PostgresPool {
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly db: PGlite) {}

  async connect(): Promise<PostgresPoolClient> {
    let release!: () => void;
    const turn = new Promise<void>((r) => (release = r));
    const previous = this.tail;
    this.tail = previous.then(() => turn);
    await previous;
    const db = this.db;
    let released = false;
    const client = {
      async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        const res = await db.query<R>(sql, parameters as unknown[], { rowMode: 'object' });
        const command = sql.trimStart().slice(0, 6).toUpperCase() as PostgresQueryResult<R>['command'];
        return { command, rowCount: res.affectedRows ?? res.rows.length, rows: res.rows };
      },
      release() {
        if (!released) {
          released = true;
          release();
        }
      },
    };
    return client as PostgresPoolClient;
  }

  async end(): Promise<void> {
    await this.tail;
    await this.db.close();
  }
}
