import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'gateway:isPublic';

/** Marks a controller or route as reachable without a token (health, login). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
