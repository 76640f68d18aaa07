"""python-api: paved's reference Python service.

A small JSON API on the standard library only (no pip): GET /healthz and
GET /api/fortune?lang=en. It propagates W3C traceparent and X-Request-ID
and logs one JSON line per event, each with the trace id.
"""

import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import tracecontext

VERSION = os.environ.get("APP_VERSION", "dev")

FORTUNES = {
    "en": ["Digests, not tags.", "A green pipeline on Friday is still a pipeline on Friday."],
    "de": ["Digests, nicht Tags.", "Eine grüne Pipeline am Freitag ist trotzdem eine Pipeline am Freitag."],
    "fr": ["Des condensats, pas des étiquettes.", "Un pipeline vert le vendredi reste un pipeline le vendredi."],
}


def log(stream, msg, ctx=None, **fields):
    """Writes one JSON log line; every line carries trace_id (empty before a request)."""
    rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "service": "python-api", "msg": msg,
           "trace_id": ctx.trace_id if ctx else "", "span_id": ctx.span_id if ctx else "",
           "request_id": ctx.request_id if ctx else ""}
    rec.update(fields)
    stream.write(json.dumps(rec, ensure_ascii=False) + "\n")
    stream.flush()


class Handler(BaseHTTPRequestHandler):
    server_version = "python-api"
    log_stream = sys.stdout
    counter = [0]
    lock = threading.Lock()

    def do_GET(self):
        ctx = tracecontext.from_headers(self.headers)
        url = urlsplit(self.path)
        if url.path == "/healthz":
            self.reply(ctx, 200, {"status": "ok", "version": VERSION})
        elif url.path == "/api/fortune":
            self.fortune(ctx, parse_qs(url.query))
        else:
            self.reply(ctx, 404, {"error": f"no route {url.path}: try /api/fortune or /healthz"})

    def fortune(self, ctx, query):
        lang = (query.get("lang") or ["en"])[0]
        if lang not in FORTUNES:
            self.reply(ctx, 400, {"error": f"unknown lang {lang!r}: want one of {sorted(FORTUNES)}"})
            return
        with self.lock:
            self.counter[0] += 1
            n = self.counter[0]
        text = FORTUNES[lang][n % len(FORTUNES[lang])]
        self.reply(ctx, 200, {"fortune": text, "lang": lang, "trace_id": ctx.trace_id})

    def reply(self, ctx, code, body):
        data = json.dumps(body, ensure_ascii=False).encode()
        # Logged before the reply goes out, so a caller that has the reply
        # can rely on the line being there.
        log(self.log_stream, "request", ctx, method=self.command, path=urlsplit(self.path).path,
            status=code, parent_id=ctx.parent_id)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in ctx.headers().items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        # http.server's own access log has no trace id; reply() logs instead.
        pass


def serve(port, stream=sys.stdout):
    """Starts the server on port (0 picks one) in a thread and returns it."""
    handler = type("BoundHandler", (Handler,), {"log_stream": stream})
    httpd = ThreadingHTTPServer(("", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def main():
    port = int(os.environ.get("PORT", "8080"))
    httpd = serve(port)
    log(sys.stdout, "python-api listening", port=httpd.server_address[1], version=VERSION)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    log(sys.stdout, "python-api shutting down")
    httpd.shutdown()


if __name__ == "__main__":
    main()
