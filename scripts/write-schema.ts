// Writes schema/slipway.schema.json and schema/agent.schema.json from the zod schemas (the one source of truth).
import { writeFileSync } from 'node:fs';
import { agentJsonSchema } from '../src/agent/config.ts';
import { configJsonSchema } from '../src/core/config/schema.ts';

const target = new URL('../schema/slipway.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
const agent = new URL('../schema/agent.schema.json', import.meta.url);
writeFileSync(agent, `${JSON.stringify(agentJsonSchema(), null, 2)}\n`);
console.log(`wrote ${agent.pathname}`);
