import { Inject, Injectable } from '@nestjs/common';
import type { Database, UserRow, UserWriteResult } from '@gb/persistence';
import { AccountStore } from '../auth/account-store';
import { hashPassword } from '../auth/password-hash';
import { GatewayError } from '../common/gateway-error';
import { DATABASE } from '../database/database.providers';
import type { CreateUserDto, UpdateUserDto, UserDto } from './access.dto';

const KEEP_ONE_ADMIN = { keepOneWithRole: 'admin' };

function toDto(u: UserRow): UserDto {
  return { username: u.username, role: u.role, createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString() };
}

function check(result: UserWriteResult, username: string): void {
  if (result === 'not-found') throw new GatewayError('NOT_FOUND', `No user ${username}`);
  if (result === 'last-of-role') throw new GatewayError('CONFLICT', 'The last admin cannot be deleted or demoted');
}

/** Users CRUD (admin only, see route-access.ts): passwords go in as scrypt hashes and never come out. */
@Injectable()
export class UsersService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(AccountStore) private readonly accounts: AccountStore,
  ) {}

  async list(): Promise<UserDto[]> {
    return (await this.db.users.list()).map(toDto);
  }

  async create(dto: CreateUserDto): Promise<UserDto> {
    const created = await this.db.users.create({ username: dto.username, passwordHash: await hashPassword(dto.password), role: dto.role });
    if (!created) throw new GatewayError('CONFLICT', `User ${dto.username} exists`);
    this.accounts.forget();
    return toDto((await this.db.users.get(dto.username))!);
  }

  async update(username: string, dto: UpdateUserDto): Promise<UserDto> {
    const patch = { ...(dto.role ? { role: dto.role } : {}), ...(dto.password ? { passwordHash: await hashPassword(dto.password) } : {}) };
    check(await this.db.users.update(username, patch, KEEP_ONE_ADMIN), username);
    this.accounts.forget();
    return toDto((await this.db.users.get(username))!);
  }

  async remove(username: string): Promise<void> {
    check(await this.db.users.delete(username, KEEP_ONE_ADMIN), username);
    this.accounts.forget();
  }
}
