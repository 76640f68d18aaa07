'use strict';
// Tests of node-web: node --test test/ (after npm ci). go-api is a real HTTP
// server on loopback that records the headers it was called with.

const test = require('node:test');
const assert = require('node:assert');
const http = require('node:http');
const { Writable } = require('node:stream');
const trace = require('../src/tracecontext');
const { createServer } = require('../src/server');

const INCOMING = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    }).on('error', reject);
  });
}

function logSink() {
  const lines = [];
  let buf = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { lines.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1); }
      cb();
    },
  });
  return { out, lines };
}

// fakeGoApi is a real server standing in for go-api's /api/greeting.
async function fakeGoApi(t, status = 200) {
  const calls = [];
  const srv = http.createServer((req, res) => {
    calls.push({ url: req.url, headers: req.headers });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 200 ? JSON.stringify({ greeting: 'Hello, <b>you</b>!', lang: 'en' }) : '{"error":"boom"}');
  });
  const url = await listen(srv);
  t.after(() => srv.close());
  return { url, calls };
}

async function startWeb(t, goApiUrl) {
  const sink = logSink();
  const srv = createServer({ goApiUrl, out: sink.out, timeoutMs: 2000 });
  const url = await listen(srv);
  t.after(() => srv.close());
  return { url, lines: sink.lines };
}

test('parseTraceparent', () => {
  const cases = [
    ['valid', INCOMING, { traceId: TRACE_ID, parentId: '00f067aa0ba902b7', flags: '01' }],
    ['missing', undefined, null],
    ['garbage', 'not-a-trace', null],
    ['zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, null],
    ['zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`, null],
    ['version ff', `ff-${TRACE_ID}-00f067aa0ba902b7-01`, null],
    ['version 00 with extra field', `${INCOMING}-x`, null],
    ['future version with extra field', `01-${TRACE_ID}-00f067aa0ba902b7-01-x`, { traceId: TRACE_ID, parentId: '00f067aa0ba902b7', flags: '01' }],
  ];
  for (const [name, header, want] of cases) {
    assert.deepStrictEqual(trace.parseTraceparent(header), want, name);
  }
});

test('fromHeaders starts a trace and a request id when none is valid', () => {
  const ctx = trace.fromHeaders({ 'x-request-id': 'has spaces' });
  assert.match(ctx.traceId, /^[0-9a-f]{32}$/);
  assert.strictEqual(ctx.parentId, '');
  assert.match(ctx.requestId, /^[0-9a-f]{16}$/);
});

test('page propagates the trace to go-api and logs it on every line', async (t) => {
  const api = await fakeGoApi(t);
  const web = await startWeb(t, api.url);
  const res = await get(`${web.url}/?name=you`, { traceparent: INCOMING, 'x-request-id': 'req-7' });
  assert.strictEqual(res.status, 200);
  assert.match(res.body, /Hello, &lt;b&gt;you&lt;\/b&gt;!/, 'greeting is HTML-escaped');
  assert.strictEqual(api.calls.length, 1);
  const sent = api.calls[0].headers;
  assert.match(sent.traceparent, new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
  assert.notStrictEqual(sent.traceparent, INCOMING, 'node-web sends its own span id');
  assert.strictEqual(sent['x-request-id'], 'req-7');
  assert.strictEqual(api.calls[0].url, '/api/greeting?name=you');
  assert.strictEqual(res.headers['x-request-id'], 'req-7');
  assert.ok(web.lines.length >= 2);
  for (const line of web.lines) {
    assert.strictEqual(line.trace_id, TRACE_ID);
    assert.strictEqual(line.request_id, 'req-7');
  }
});

test('routes', async (t) => {
  const api = await fakeGoApi(t);
  const web = await startWeb(t, api.url);
  const cases = [
    ['health does not call go-api', '/healthz', 200],
    ['unknown path', '/nope', 404],
  ];
  for (const [name, path, status] of cases) {
    const res = await get(web.url + path);
    assert.strictEqual(res.status, status, name);
  }
  assert.strictEqual(api.calls.length, 0);
});

test('a failing go-api is a 502 that names it', async (t) => {
  const api = await fakeGoApi(t, 500);
  const web = await startWeb(t, api.url);
  const res = await get(`${web.url}/`);
  assert.strictEqual(res.status, 502);
  assert.match(res.body, /go-api answered 500/);
  assert.ok(web.lines.some((l) => l.msg === 'go-api failed' && l.trace_id.length === 32));
});
