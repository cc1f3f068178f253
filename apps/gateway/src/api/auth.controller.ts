import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuthService } from '../auth/auth.service';
import { Public } from '../auth/public.decorator';
import { loginSchema, type LoginDto } from './auth.dto';
import { ErrorResponse, LoginResponse } from './common.responses';
import { openApiSchemaOf } from './openapi-schema';
import { ZodValidationPipe } from './zod-validation.pipe';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange the admin credentials for an access token' })
  @ApiBody({ schema: openApiSchemaOf(loginSchema) })
  @ApiOkResponse({ type: LoginResponse })
  @ApiBadRequestResponse({ type: ErrorResponse })
  @ApiUnauthorizedResponse({ type: ErrorResponse, description: 'Wrong user name or password' })
  login(@Body(new ZodValidationPipe(loginSchema)) body: LoginDto): Promise<LoginResponse> {
    return this.auth.login(body.username, body.password);
  }
}
