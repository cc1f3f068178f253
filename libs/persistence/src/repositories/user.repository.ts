import type { DataSource, EntityManager } from 'typeorm';
import { UserEntity } from '../entities/user.entity';

export type UserRow = UserEntity;
export interface NewUser {
  username: string;
  passwordHash: string;
  role: string;
}
export type UserPatch = Partial<Pick<UserRow, 'passwordHash' | 'role'>>;
/** A write that would leave no user with `keepOneWithRole` (e.g. deleting or demoting the last admin) is refused. */
export interface UserWriteGuard {
  keepOneWithRole?: string;
}
export type UserWriteResult = 'ok' | 'not-found' | 'last-of-role';

/** Most users one list returns. */
export const MAX_USERS_LISTED = 1000;

/**
 * Dashboard/API accounts. The guarded writes lock every row holding the kept role (SELECT … FOR UPDATE) before
 * counting, so two nodes removing the last two admins at once cannot both succeed.
 */
export class UserRepository {
  constructor(private readonly dataSource: DataSource) {}

  async get(username: string): Promise<UserRow | null> {
    const r = await this.dataSource.getRepository(UserEntity).findOneBy({ username });
    return r ? { ...r } : null;
  }

  /** By user name. */
  async list(): Promise<UserRow[]> {
    const rows = await this.dataSource.getRepository(UserEntity).find({ order: { username: 'ASC' }, take: MAX_USERS_LISTED });
    return rows.map((r) => ({ ...r }));
  }

  async count(): Promise<number> {
    return this.dataSource.getRepository(UserEntity).count();
  }

  /** Inserts unless the user name exists; true when inserted. Race-safe (ON CONFLICT DO NOTHING). */
  async create(u: NewUser): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `INSERT INTO "users" ("username", "password_hash", "role", "created_at", "updated_at") VALUES ($1, $2, $3, now(), now())
       ON CONFLICT ("username") DO NOTHING RETURNING "username"`,
      [u.username, u.passwordHash, u.role],
    )) as unknown[];
    return rows.length === 1;
  }

  /** Inserts or overwrites hash and role (the ADMIN_PASSWORD account at each start). */
  async put(u: NewUser): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "users" ("username", "password_hash", "role", "created_at", "updated_at") VALUES ($1, $2, $3, now(), now())
       ON CONFLICT ("username") DO UPDATE SET "password_hash" = EXCLUDED."password_hash", "role" = EXCLUDED."role", "updated_at" = now()`,
      [u.username, u.passwordHash, u.role],
    );
  }

  async update(username: string, patch: UserPatch, guard: UserWriteGuard = {}): Promise<UserWriteResult> {
    return this.dataSource.transaction(async (m) => {
      const current = await this.lockFor(m, username, guard);
      if (current === 'not-found' || current === 'last-of-role') return current;
      if (guard.keepOneWithRole && current.role === guard.keepOneWithRole && patch.role !== undefined && patch.role !== current.role && current.keptCount <= 1) {
        return 'last-of-role';
      }
      await m.getRepository(UserEntity).update({ username }, { ...patch, updatedAt: new Date() });
      return 'ok';
    });
  }

  async delete(username: string, guard: UserWriteGuard = {}): Promise<UserWriteResult> {
    return this.dataSource.transaction(async (m) => {
      const current = await this.lockFor(m, username, guard);
      if (current === 'not-found' || current === 'last-of-role') return current;
      if (guard.keepOneWithRole && current.role === guard.keepOneWithRole && current.keptCount <= 1) return 'last-of-role';
      await m.getRepository(UserEntity).delete({ username });
      return 'ok';
    });
  }

  private async lockFor(m: EntityManager, username: string, guard: UserWriteGuard): Promise<{ role: string; keptCount: number } | 'not-found' | 'last-of-role'> {
    const kept = guard.keepOneWithRole
      ? ((await m.query(`SELECT "username" FROM "users" WHERE "role" = $1 FOR UPDATE`, [guard.keepOneWithRole])) as unknown[]).length
      : 0;
    const rows = (await m.query(`SELECT "role" FROM "users" WHERE "username" = $1 FOR UPDATE`, [username])) as Array<{ role: string }>;
    if (rows.length === 0) return 'not-found';
    return { role: rows[0].role, keptCount: kept };
  }
}
