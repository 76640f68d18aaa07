'use strict';
// node-web: paved's reference Node service. GET / renders a page with a
// greeting from go-api (GO_API_URL); GET /healthz answers without calling it.
// It propagates traceparent and X-Request-ID and logs one JSON line per
// event, each with the trace id.

const http = require('node:http');
const escapeHtml = require('escape-html');
const trace = require('./tracecontext');

const VERSION = process.env.APP_VERSION || 'dev';

// log writes one JSON line to out; every line carries trace_id.
function log(out, msg, ctx, fields = {}) {
  out.write(JSON.stringify({
    time: new Date().toISOString(), service: 'node-web', msg,
    trace_id: ctx ? ctx.traceId : '', span_id: ctx ? ctx.spanId : '',
    request_id: ctx ? ctx.requestId : '', ...fields,
  }) + '\n');
}

// callGoApi fetches a greeting for name from go-api with ctx's headers.
function callGoApi(base, name, ctx, timeoutMs) {
  return new Promise((resolve, reject) => {
    const url = new URL('/api/greeting', base);
    url.searchParams.set('name', name);
    const req = http.get(url, { headers: trace.headers(ctx), timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`go-api answered ${res.statusCode}: ${body.trim()}`));
          return;
        }
        try { resolve(JSON.parse(body)); } catch (e) { reject(new Error(`go-api sent invalid JSON: ${e.message}`)); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`go-api did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function page(title, text) {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body><h1>${escapeHtml(title)}</h1><p id="greeting">${escapeHtml(text)}</p></body></html>\n`;
}

// createServer returns node-web's HTTP server; opts: goApiUrl, out (log stream), timeoutMs.
function createServer(opts) {
  const out = opts.out || process.stdout;
  const timeoutMs = opts.timeoutMs || 5000;
  return http.createServer(async (req, res) => {
    const ctx = trace.fromHeaders(req.headers);
    const url = new URL(req.url, 'http://node-web');
    const reply = (code, type, body) => {
      log(out, 'request', ctx, { method: req.method, path: url.pathname, status: code, parent_id: ctx.parentId });
      res.writeHead(code, { 'content-type': type, ...trace.headers(ctx) });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, 'text/plain', 'only GET\n');
    if (url.pathname === '/healthz') {
      return reply(200, 'application/json', JSON.stringify({ status: 'ok', version: VERSION }) + '\n');
    }
    if (url.pathname !== '/') return reply(404, 'text/plain', `no route ${url.pathname}: try / or /healthz\n`);
    const name = url.searchParams.get('name') || 'world';
    try {
      const g = await callGoApi(opts.goApiUrl, name, ctx, timeoutMs);
      log(out, 'go-api answered', ctx, { lang: g.lang });
      reply(200, 'text/html; charset=utf-8', page('node-web', g.greeting));
    } catch (err) {
      log(out, 'go-api failed', ctx, { error: err.message });
      reply(502, 'text/html; charset=utf-8', page('node-web: go-api failed', err.message));
    }
  });
}

function main() {
  const port = Number(process.env.PORT || 8080);
  const goApiUrl = process.env.GO_API_URL || 'http://127.0.0.1:8081';
  const server = createServer({ goApiUrl });
  server.listen(port, () => log(process.stdout, 'node-web listening', null, { port, go_api: goApiUrl, version: VERSION }));
  const stop = () => {
    log(process.stdout, 'node-web shutting down', null);
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();

module.exports = { createServer, log };
