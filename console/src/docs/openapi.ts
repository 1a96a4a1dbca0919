// The parts of an OpenAPI 3.1 document the reference page shows, and how it reads them.

export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  description?: string;
}

export interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

interface Content {
  content?: Record<string, { schema?: Schema }>;
  description?: string;
}

export interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: Content & { required?: boolean };
  responses?: Record<string, Content>;
  security?: Record<string, string[]>[];
}

export interface OpenApi {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Partial<Record<string, Operation>>>;
  components?: { schemas?: Record<string, Schema> };
}

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** An operation with where it is, in the document's order. */
export interface Endpoint {
  method: (typeof METHODS)[number];
  path: string;
  operation: Operation;
}

/** The document's operations by tag, tags in the order they first appear. */
export function byTag(doc: OpenApi): [string, Endpoint[]][] {
  const groups = new Map<string, Endpoint[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? '';
      groups.set(tag, [...(groups.get(tag) ?? []), { method, path, operation }]);
    }
  }
  return [...groups.entries()];
}

/** A schema's type in a few words: `Case[]`, `string (uint64)`, `"open" | "cleared"`. */
export function typeName(schema: Schema | undefined): string {
  if (!schema) return '';
  if (schema.$ref) return schema.$ref.split('/').pop() ?? schema.$ref;
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = schema.oneOf ?? schema.anyOf;
  if (union) return union.map(typeName).join(' | ');
  if (schema.allOf) return schema.allOf.map(typeName).join(' & ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  return types
    .map((t) => (t === 'array' ? `${typeName(schema.items)}[]` : schema.format && t !== 'null' ? `${t} (${schema.format})` : t))
    .join(' | ');
}

/** The schema of a request body or response (JSON first). */
export function bodySchema(content: Content | undefined): Schema | undefined {
  const types = content?.content;
  if (!types) return undefined;
  return (types['application/json'] ?? Object.values(types)[0])?.schema;
}
