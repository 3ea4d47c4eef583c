import { SlipwayError } from '../../core/errors.ts';
import { defineCommand, feedFolder, json } from '../command.ts';
import { serveFeed } from '../../feed/serve.ts';

/** slipway feed serve [dir]: runs until SIGINT/SIGTERM. */
export default defineCommand({
  args: [{ name: '[dir]', description: 'the feed folder (default: --feed)' }],
  options: {
    feed: feedFolder,
    host: { flags: '--host <host>', description: 'address to listen on', default: '127.0.0.1' },
    port: { flags: '--port <port>', description: 'port to listen on (0: any free one)', default: '8080' },
    json,
  },
  async run(ctx, flags, args) {
    const dir = ctx.path(args[0] ?? flags.feed);
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new SlipwayError('USAGE', `--port expects a port number, got "${flags.port}"`);
    const log = flags.json ? undefined : (l: string) => void ctx.io.stderr.write(`${l}\n`);
    const { url, server } = await serveFeed({ dir, host: flags.host, port, ...(log ? { log } : {}) });
    ctx.out.result(`serving ${dir} at ${url} (Ctrl-C stops)`, { dir, url });
    await ctx.stopped();
    await server.close();
  },
});
