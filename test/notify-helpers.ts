import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { after } from 'node:test';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on 127.0.0.1 (the smtp-server package) that keeps what it receives. */
export async function smtpServer(options: { refuse?: boolean } = {}) {
  const mails: { from: string; to: string[]; data: string }[] = [];
  const state = { refuse: options.refuse === true };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, done) {
      if (state.refuse) {
        const e = new Error('mailbox unavailable') as Error & { responseCode: number };
        e.responseCode = 550;
        done(e);
        return;
      }
      done();
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        });
        done();
      });
    },
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.server.address() as { port: number }).port;
  after(() => new Promise<void>((done) => server.close(() => done())));
  return { port, mails, state };
}

export interface Hook {
  body: Record<string, unknown>;
  event: string;
  signatureOk: boolean;
}

/** A webhook receiver on 127.0.0.1 that checks the HMAC header; it can answer 500 or never answer. */
export async function webhookReceiver() {
  const hooks: Hook[] = [];
  const state = { secret: '', mode: 'ok' as 'ok' | 'fail' | 'hang' };
  const read = (req: IncomingMessage) =>
    new Promise<string>((done) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    });
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await read(req);
      if (state.mode === 'hang') return; // never answers: the sender's timeout must cut it
      if (state.mode === 'fail') {
        res.writeHead(500).end('down');
        return;
      }
      const want = Buffer.from(`sha256=${createHmac('sha256', state.secret).update(raw).digest('hex')}`);
      const got = Buffer.from(String(req.headers['x-slipway-signature-256'] ?? ''));
      hooks.push({
        body: JSON.parse(raw) as Record<string, unknown>,
        event: String(req.headers['x-slipway-event']),
        signatureOk: got.length === want.length && timingSafeEqual(got, want),
      });
      res.writeHead(204).end();
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });
  return { url: `http://127.0.0.1:${port}/hook`, hooks, state };
}

/** The Subject header of a received mail, with RFC 2047 encoded words (nodemailer's =?UTF-8?Q?…?=) decoded. */
export function subjectOf(data: string): string {
  const header = data.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
  const line = header.split('\r\n').find((l) => l.startsWith('Subject: '));
  if (!line) return '';
  return line
    .slice('Subject: '.length)
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_m, q: string) =>
      Buffer.from(
        q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8'),
    );
}
