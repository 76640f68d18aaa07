"""W3C Trace Context and X-Request-ID propagation for python-api.

Every request gets a trace id: the one in an incoming, valid `traceparent`
header, or a new one. The service answers with its own span id under that
trace id, and passes the same header shape to anything it calls.
"""

import re
import secrets

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class Context:
    """The trace of one request: trace id, this service's span id, the
    caller's span id (empty when the trace starts here), flags and request id."""

    def __init__(self, trace_id, span_id, parent_id, flags, request_id):
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_id = parent_id
        self.flags = flags
        self.request_id = request_id

    def traceparent(self):
        """The traceparent header for responses and downstream calls."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def headers(self):
        """Headers that carry this trace to a downstream service."""
        return {"traceparent": self.traceparent(), "X-Request-ID": self.request_id}


def parse_traceparent(value):
    """Returns (trace_id, parent_id, flags) of a valid version-00 header, else None.

    Per the W3C spec an all-zero trace id or parent id, and version ff, are
    invalid; a higher version is read by its first four fields.
    """
    if not value:
        return None
    m = _TRACEPARENT.match(value.strip().lower()[:55])
    if not m:
        return None
    version, trace_id, parent_id, flags = m.groups()
    if version == "ff" or trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    if version == "00" and len(value.strip()) != 55:
        return None
    return trace_id, parent_id, flags


def from_headers(headers):
    """The trace context of a request with these headers (a mapping with get)."""
    parsed = parse_traceparent(headers.get("traceparent"))
    if parsed:
        trace_id, parent_id, flags = parsed
    else:
        trace_id, parent_id, flags = secrets.token_hex(16), "", "01"
    request_id = headers.get("X-Request-ID") or ""
    if not _REQUEST_ID.match(request_id):
        request_id = secrets.token_hex(8)
    return Context(trace_id, secrets.token_hex(8), parent_id, flags, request_id)
