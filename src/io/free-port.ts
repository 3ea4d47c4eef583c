import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The kernel hands out ports for `listen(0)` and outgoing connections from its ephemeral range;
 * a port taken from there and closed again can be given to someone else before the app binds it.
 * Ports here are picked below that range instead, where only callers of this function look,
 * from a sequence that starts at an offset derived from the pid (so processes running in
 * parallel walk different stretches), and each is checked free by binding it.
 */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && low > 12_000) return low;
  } catch {
    // not Linux: IANA's dynamic range starts at 49152
  }
  return 32_768;
}

const LOW = 10_000;
const HIGH = Math.min(ephemeralLow(), 49_152) - 1;
const SPAN = HIGH - LOW + 1;
let next = LOW + ((process.pid * 211) % SPAN);

function tryPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 free now and outside the kernel's ephemeral range: for apps that bind a port given to them. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = next;
    next = LOW + ((next - LOW + 1) % SPAN);
    if (await tryPort(port)) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH} after 200 tries`);
}
