import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import { AuditSink, auditEventOf } from '../auth/audit-sink';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { routeAccessOf } from '../auth/route-access';
import { toErrorBody } from '../api/http-exception.filter';

/** Records each call of a route ROUTE_ACCESS marks with an audit action, once it has ended: `ok` or the error code. */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(@Inject(AuditSink) private readonly audit: AuditSink) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const action = routeAccessOf(context.getClass(), context.getHandler()).audit;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const user = req.user;
    if (!action || !user) return next.handle();
    return next.handle().pipe(
      tap({
        next: () => this.audit.record(auditEventOf(req, user, action, 'ok')),
        error: (err: unknown) => this.audit.record(auditEventOf(req, user, action, toErrorBody(err).code)),
      }),
    );
  }
}
