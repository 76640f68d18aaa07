'use strict';
// W3C Trace Context and X-Request-ID propagation for node-web: every request
// gets the trace id of a valid incoming traceparent, or a new one; node-web
// answers, and calls go-api, with its own span id under that trace id.

const crypto = require('node:crypto');

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// parseTraceparent returns {traceId, parentId, flags} of a valid header, or
// null. All-zero ids and version ff are invalid; version 00 has no extra fields.
function parseTraceparent(value) {
  if (typeof value !== 'string') return null;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return null;
  const [, version, traceId, parentId, flags, rest] = m;
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  if (version === '00' && rest) return null;
  return { traceId, parentId, flags };
}

// fromHeaders returns the trace context of a request with these (lower-cased)
// Node headers.
function fromHeaders(headers) {
  const parsed = parseTraceparent(headers['traceparent']);
  let requestId = headers['x-request-id'];
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) {
    requestId = crypto.randomBytes(8).toString('hex');
  }
  return {
    traceId: parsed ? parsed.traceId : crypto.randomBytes(16).toString('hex'),
    parentId: parsed ? parsed.parentId : '',
    flags: parsed ? parsed.flags : '01',
    spanId: crypto.randomBytes(8).toString('hex'),
    requestId,
  };
}

// headers returns the headers that carry ctx to a downstream service.
function headers(ctx) {
  return {
    traceparent: `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}`,
    'x-request-id': ctx.requestId,
  };
}

module.exports = { parseTraceparent, fromHeaders, headers };
