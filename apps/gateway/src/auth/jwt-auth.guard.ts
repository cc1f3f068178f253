import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../common/gateway-error';
import { AuditSink, auditEventOf } from './audit-sink';
import { AuthService, type TokenClaims } from './auth.service';
import { bearerTokenFromHeader } from './bearer-token';
import { IS_PUBLIC_KEY } from './public.decorator';
import { routeAccessOf } from './route-access';

export type AuthenticatedRequest = IncomingMessage & { user?: TokenClaims; params?: Record<string, string>; body?: unknown };

/**
 * Global guard: every route needs `Authorization: Bearer <jwt or API key>` unless marked @Public(), and a role
 * ROUTE_ACCESS allows for it (admin only for a route it does not list). A refused control action is audited.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuthService) private readonly auth: AuthService,
    @Optional() @Inject(AuditSink) private readonly audit?: AuditSink,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const user = await this.auth.verify(bearerTokenFromHeader(req.headers.authorization));
    req.user = user;
    const access = routeAccessOf(context.getClass(), context.getHandler());
    if (!access.roles.includes(user.role)) {
      if (access.audit) this.audit?.record(auditEventOf(req, user, access.audit, 'FORBIDDEN'));
      throw new GatewayError('FORBIDDEN', `Role ${user.role} may not do this (needs ${access.roles.join(' or ')})`);
    }
    return true;
  }
}
