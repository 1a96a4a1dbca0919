import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byTag, type OpenApi, typeName } from './openapi';

const doc = JSON.parse(readFileSync(join(__dirname, '../generated/openapi.json'), 'utf8')) as OpenApi;

describe('the API reference', () => {
  it('lists every operation of the gateway once, by tag', () => {
    const listed = byTag(doc).flatMap(([, endpoints]) => endpoints.map((e) => `${e.method} ${e.path}`));
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
    expect(listed.sort()).toEqual(operations.sort());
    expect(listed).toContain('get /v1/cases');
  });

  it('names types in a few words', () => {
    expect(typeName({ $ref: '#/components/schemas/Case' })).toBe('Case');
    expect(typeName({ type: 'array', items: { $ref: '#/components/schemas/Case' } })).toBe('Case[]');
    expect(typeName({ type: ['integer', 'null'], format: 'int64' })).toBe('integer (int64) | null');
    expect(typeName({ enum: ['open', 'cleared'] })).toBe('"open" | "cleared"');
  });
});
