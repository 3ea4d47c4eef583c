#!/usr/bin/env node
import module from 'node:module';
import { catchEarlyStop } from '../io/early-stop.ts';

// First, for the agent: a SIGTERM while its code loads (it re-executes itself) is kept, not fatal.
if (process.argv[2] === 'agent') catchEarlyStop();

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 22) {
  process.stderr.write(
    `slipway needs Node.js 22 or newer; this is ${process.version}. Run ". scripts/node-env.sh" in a checkout, or install Node 24 LTS.\n`,
  );
  process.exit(2);
}

// Cache compiled code on disk (Node 22.1+): start-up is most of a short command's time.
module.enableCompileCache?.();

const { runAsProcess } = await import('./process.ts');
await runAsProcess(process.argv.slice(2));
