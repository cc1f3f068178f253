import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { AuthService, type TokenClaims } from './auth.service';
import { bearerTokenFromHeader } from './bearer-token';
import { IS_PUBLIC_KEY } from './public.decorator';

export type AuthenticatedRequest = IncomingMessage & { user?: TokenClaims };

/** Global guard: every route needs `Authorization: Bearer <jwt>` unless marked @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    req.user = await this.auth.verify(bearerTokenFromHeader(req.headers.authorization));
    return true;
  }
}
