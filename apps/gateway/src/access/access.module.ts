import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AccountStore } from '../auth/account-store';
import { AuditSink } from '../auth/audit-sink';
import { ApiKeysController } from './api-keys.controller';
import { AuditController } from './audit.controller';
import { AuditInterceptor } from './audit.interceptor';
import { AuditService } from './audit.service';
import { DatabaseAccountStore } from './database-account-store';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

/**
 * Users, API keys and the audit log on the database: binds AccountStore (read by AuthService) and AuditSink (fed by
 * the guard and AuditInterceptor) for the whole app. Needs DATABASE and GATEWAY_CONFIG from the core module.
 */
@Global()
@Module({
  controllers: [UsersController, ApiKeysController, AuditController],
  providers: [
    { provide: AccountStore, useClass: DatabaseAccountStore },
    AuditService,
    { provide: AuditSink, useExisting: AuditService },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    UsersService,
  ],
  exports: [AccountStore, AuditSink],
})
export class AccessModule {}
