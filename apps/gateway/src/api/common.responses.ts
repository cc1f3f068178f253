import { ApiProperty } from '@nestjs/swagger';

export class HealthResponse {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ type: Number, description: 'Seconds since the process started' }) uptimeS!: number;
  @ApiProperty({ type: String, example: '0.1.0' }) version!: string;
}

export class LoginResponse {
  @ApiProperty({ type: String, description: 'JWT to send as `Authorization: Bearer <token>`' }) accessToken!: string;
  @ApiProperty({ type: Number, description: 'Seconds until the token expires' }) expiresIn!: number;
}

export class FieldErrorResponse {
  @ApiProperty({ type: String, example: 'charset' }) field!: string;
  @ApiProperty({ type: String, example: 'Invalid option: expected one of "auto"|"GB2312"|"GBK"|"GB18030"|"UTF-8"' }) message!: string;
}

export class ErrorResponse {
  @ApiProperty({ type: Number, example: 404 }) statusCode!: number;
  @ApiProperty({ type: String, example: 'DEVICE_NOT_FOUND', description: 'Stable UPPER_SNAKE error code' }) code!: string;
  @ApiProperty({ type: String }) message!: string;
  @ApiProperty({ type: [FieldErrorResponse], required: false, description: 'Present when code is VALIDATION_FAILED' })
  errors?: FieldErrorResponse[];
}
