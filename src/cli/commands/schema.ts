import { configJsonSchema } from '../../core/config/schema.ts';

export async function run(): Promise<number> {
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return Promise.resolve(0);
}
