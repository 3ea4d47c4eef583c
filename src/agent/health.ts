import { spawn } from 'node:child_process';
import { parseDuration } from '../core/schedule/duration.ts';

export interface HealthSpec {
  url?: string;
  command?: string[];
  cwd?: string;
  env?: Record<string, string>;
  successes: number;
  interval: string;
  timeout: string;
}

export interface HealthResult {
  healthy: boolean;
  attempts: number;
  ms: number;
  last: string;
}

async function probeUrl(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await r.arrayBuffer();
    return r.status >= 200 && r.status < 300 ? null : `HTTP ${r.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return cause ?? (error as Error).message;
  }
}

function probeCommand(
  command: string[],
  cwd: string | undefined,
  env: Record<string, string> | undefined,
  timeoutMs: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd,
      env: { ...process.env, ...env },
      stdio: 'ignore',
      timeout: timeoutMs,
    });
    child.on('error', (e) => resolve(e.message));
    child.on('exit', (code, signal) =>
      resolve(code === 0 ? null : signal ? `killed by ${signal}` : `exit status ${code}`),
    );
  });
}

/** `successes` consecutive good probes within `timeout`, probing every `interval`. */
export async function waitHealthy(spec: HealthSpec, options: { abort?: AbortSignal } = {}): Promise<HealthResult> {
  const started = performance.now();
  const timeout = parseDuration(spec.timeout);
  const interval = parseDuration(spec.interval);
  let streak = 0;
  let attempts = 0;
  let last = 'not probed';
  while (performance.now() - started < timeout && !options.abort?.aborted) {
    attempts++;
    // Whole milliseconds: spawn's timeout refuses a fraction.
    const perProbe = Math.round(Math.max(500, Math.min(5000, timeout - (performance.now() - started))));
    const problem = spec.url
      ? await probeUrl(spec.url, perProbe)
      : await probeCommand(spec.command!, spec.cwd, spec.env, perProbe);
    if (problem === null) {
      streak++;
      last = 'ok';
      if (streak >= spec.successes)
        return { healthy: true, attempts, ms: Math.round(performance.now() - started), last };
    } else {
      streak = 0;
      last = problem;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  return { healthy: false, attempts, ms: Math.round(performance.now() - started), last };
}
