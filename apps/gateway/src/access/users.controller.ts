import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { openApiSchemaOf } from '../api/openapi-schema';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { createUserSchema, updateUserSchema, usernameSchema, type CreateUserDto, type UpdateUserDto, type UserDto } from './access.dto';
import { UsersService } from './users.service';

const usernamePipe = new ZodValidationPipe(usernameSchema, 'username');

@ApiTags('access')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'Users and their roles (admin); never a password or hash' })
  list(): Promise<UserDto[]> {
    return this.users.list();
  }

  @Post()
  @ApiOperation({ summary: 'Create a user (admin): 409 CONFLICT when the name is taken' })
  @ApiBody({ schema: openApiSchemaOf(createUserSchema) })
  create(@Body(new ZodValidationPipe(createUserSchema)) body: CreateUserDto): Promise<UserDto> {
    return this.users.create(body);
  }

  @Patch(':username')
  @ApiOperation({ summary: 'Change a password and/or role (admin): 409 CONFLICT when it would demote the last admin' })
  @ApiBody({ schema: openApiSchemaOf(updateUserSchema) })
  update(@Param('username', usernamePipe) username: string, @Body(new ZodValidationPipe(updateUserSchema)) body: UpdateUserDto): Promise<UserDto> {
    return this.users.update(username, body);
  }

  @Delete(':username')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user (admin): 409 CONFLICT for the last admin; their tokens stop working within AUTH_CACHE_TTL_MS' })
  async remove(@Param('username', usernamePipe) username: string): Promise<void> {
    await this.users.remove(username);
  }
}
