import { readFile, readdir, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Whether a TCP port can be bound on every address now (what the app is about to do). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The process listening on a port, from /proc (Linux); null when it cannot be told. */
async function listener(port: number): Promise<string | null> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT; state 0A is LISTEN; field 9 is the socket inode.
      if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A' && f[9]) inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of (await readdir('/proc').catch(() => [])).filter((d) => /^\d+$/.test(d))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(m[1]!)) {
        const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim();
        return `pid ${pid}${cmd ? ` (${cmd.slice(0, 120)})` : ''}`;
      }
    }
  }
  return null;
}

/** Null when the port is free; otherwise why not, naming the holder when it can be found. */
export async function portProblem(port: number): Promise<string | null> {
  if (port === 0 || (await bindable(port))) return null;
  const holder = await listener(port);
  return `port ${port} is in use${holder ? ` by ${holder}` : ' by another process'}; stop it or set app.port to a free port`;
}
