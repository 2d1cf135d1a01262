import { type Kysely, type Migration, sql } from 'kysely';

/** Users and their roles, API sessions (hashed bearer tokens), per-device MQTT credentials. */
export const authMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // null only for admins, who are not bound to one tenant
      .addColumn('tenant', 'text')
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'engineer', 'customer')`))
      .addColumn('customer_id', 'text')
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addCheckConstraint('users_role_scope', sql`(role = 'admin' and tenant is null and customer_id is null) or (role = 'engineer' and tenant is not null and customer_id is null) or (role = 'customer' and tenant is not null and customer_id is not null)`)
      .execute();
    await db.schema
      .createTable('api_tokens')
      // sha256 of the bearer token: a leaked table does not hand out sessions
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').column('user_id').execute();
    await db.schema
      .createTable('device_credentials')
      .addColumn('id', 'bigserial', (c) => c.primaryKey())
      .addColumn('tenant', 'text', (c) => c.notNull())
      // `*` = a gateway credential that may speak for every device of the tenant
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      // Mosquitto's PBKDF2-SHA512 format ($7$iterations$salt$hash), so the password file is a copy
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('device_credentials_username_idx').on('device_credentials').columns(['username', 'revoked_at']).execute();
  },
};
