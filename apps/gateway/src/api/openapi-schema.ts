import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';

/** OpenAPI 3.0 schema of a zod request schema, so the docs and the validation share one source. */
export function openApiSchemaOf(schema: z.ZodType): SchemaObject {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as Record<string, unknown>;
  delete json.$schema;
  return json as SchemaObject;
}
