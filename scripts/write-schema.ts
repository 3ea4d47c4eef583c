// Writes schema/slipway.schema.json from the zod schema (the one source of truth).
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/core/config/schema.ts';

const target = new URL('../schema/slipway.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
