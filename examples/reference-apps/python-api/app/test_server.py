"""Tests of python-api: python3 -m unittest discover -s app"""

import io
import json
import unittest
import urllib.error
import urllib.request

import server
import tracecontext

INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class TraceContextTest(unittest.TestCase):
    def test_parse(self):
        cases = {
            "valid": (INCOMING, ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")),
            "uppercase is read": (INCOMING.upper(), ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")),
            "empty": ("", None),
            "missing": (None, None),
            "zero trace id": ("00-" + "0" * 32 + "-00f067aa0ba902b7-01", None),
            "zero parent id": ("00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01", None),
            "version ff": ("ff" + INCOMING[2:], None),
            "short trace id": ("00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01", None),
            "version 00 with extra field": (INCOMING + "-extra", None),
            "future version with extra field": ("01" + INCOMING[2:] + "-extra", ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")),
        }
        for name, (header, want) in cases.items():
            with self.subTest(name):
                self.assertEqual(tracecontext.parse_traceparent(header), want)

    def test_from_headers_keeps_trace_and_request_id(self):
        ctx = tracecontext.from_headers({"traceparent": INCOMING, "X-Request-ID": "req-1"})
        self.assertEqual(ctx.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736")
        self.assertEqual(ctx.parent_id, "00f067aa0ba902b7")
        self.assertNotEqual(ctx.span_id, ctx.parent_id)
        self.assertEqual(ctx.request_id, "req-1")
        self.assertRegex(ctx.traceparent(), r"^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$")

    def test_from_headers_starts_a_trace(self):
        ctx = tracecontext.from_headers({"X-Request-ID": "bad id with spaces"})
        self.assertRegex(ctx.trace_id, r"^[0-9a-f]{32}$")
        self.assertEqual(ctx.parent_id, "")
        self.assertRegex(ctx.request_id, r"^[0-9a-f]{16}$")


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.logs = io.StringIO()
        self.httpd = server.serve(0, self.logs)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def tearDown(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def get(self, path, headers=None):
        req = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status, resp.headers, json.load(resp)
        except urllib.error.HTTPError as e:
            return e.code, e.headers, json.load(e)

    def log_lines(self):
        return [json.loads(l) for l in self.logs.getvalue().splitlines()]

    def test_routes(self):
        cases = [
            ("health", "/healthz", 200, "status"),
            ("fortune", "/api/fortune", 200, "fortune"),
            ("fortune in German", "/api/fortune?lang=de", 200, "fortune"),
            ("unknown lang", "/api/fortune?lang=xx", 400, "error"),
            ("unknown path", "/nope", 404, "error"),
        ]
        for name, path, code, key in cases:
            with self.subTest(name):
                status, _, body = self.get(path)
                self.assertEqual(status, code)
                self.assertIn(key, body)

    def test_propagates_trace_and_logs_it_on_every_line(self):
        status, headers, body = self.get("/api/fortune", {"traceparent": INCOMING, "X-Request-ID": "req-42"})
        self.assertEqual(status, 200)
        self.assertEqual(body["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
        self.assertEqual(headers["X-Request-ID"], "req-42")
        self.assertRegex(headers["traceparent"], r"^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$")
        self.assertNotIn("00f067aa0ba902b7", headers["traceparent"])
        lines = self.log_lines()
        self.assertTrue(lines)
        for line in lines:
            self.assertEqual(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
            self.assertEqual(line["request_id"], "req-42")
            self.assertEqual(line["parent_id"], "00f067aa0ba902b7")

    def test_new_trace_per_request_without_header(self):
        _, h1, _ = self.get("/healthz")
        _, h2, _ = self.get("/healthz")
        self.assertNotEqual(h1["traceparent"].split("-")[1], h2["traceparent"].split("-")[1])
        self.assertEqual([l["trace_id"] for l in self.log_lines()],
                         [h1["traceparent"].split("-")[1], h2["traceparent"].split("-")[1]])


if __name__ == "__main__":
    unittest.main()
