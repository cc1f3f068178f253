import { Body, Controller, Get, HttpCode, Inject, Ip, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthService } from '../auth/auth.service';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { LoginThrottle } from '../auth/login-throttle';
import { Public } from '../auth/public.decorator';
import { loginSchema, type LoginDto } from './auth.dto';
import { ErrorResponse, LoginResponse } from './common.responses';
import { openApiSchemaOf } from './openapi-schema';
import { ZodValidationPipe } from './zod-validation.pipe';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange the admin credentials for an access token' })
  @ApiBody({ schema: openApiSchemaOf(loginSchema) })
  @ApiOkResponse({ type: LoginResponse })
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Wrong user name or password' })
  @ApiTooManyRequestsResponse({ type: ErrorResponse, description: 'Too many failed logins from this address (or for this user from an address that failed), or this address already has a login waiting' })
  login(@Body(new ZodValidationPipe(loginSchema)) body: LoginDto, @Ip() ip: string | undefined): Promise<LoginResponse> {
    return this.throttle.run(ip ?? 'unknown', body.username, () => this.auth.login(body.username, body.password));
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who the token or API key belongs to: `{username, role, kind}` (API keys: username `key:<name>`)' })
  me(@Req() req: AuthenticatedRequest): { username: string; role: string; kind: string } {
    const u = req.user!;
    return { username: u.sub, role: u.role, kind: u.kind };
  }
}
