// A small self-hosted app for Slipway's examples and tests: an HTTP server with a health
// endpoint and a SQLite database whose schema comes from goose migrations.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

const build = JSON.parse(readFileSync(new URL('./build.json', import.meta.url), 'utf8'));
const port = Number(process.env.PORT ?? 8080);
const db = new DatabaseSync(process.env.SLIPWAY_DB ?? 'app.db');
const config = (() => {
  try {
    return JSON.parse(readFileSync(process.env.SLIPWAY_CONFIG ?? 'config.json', 'utf8'));
  } catch {
    return {};
  }
})();

function schemaVersion() {
  try {
    const row = db.prepare('SELECT MAX(version_id) AS v FROM goose_db_version WHERE is_applied = 1').get();
    return Number(row?.v ?? 0);
  } catch {
    return 0;
  }
}

const server = createServer((req, res) => {
  res.setHeader('X-Sample-Version', build.version);
  if (req.url === '/health') {
    const schema = schemaVersion();
    const ok = !build.broken && schema === build.schema;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok, version: build.version, schema, expected: build.schema }));
    return;
  }
  if (req.url === '/') {
    const notes = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'notes'").get().n
      ? db.prepare('SELECT COUNT(*) AS n FROM notes').get().n
      : 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ app: 'sample', version: build.version, notes, config_version: config.config_version ?? null }),
    );
    return;
  }
  res.writeHead(404).end();
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
