"""Errors nginx answers itself are JSON in the shape of the API asked, and every answer over TLS
carries Strict-Transport-Security.

{"code","message"} under the base path and /skatev2, Livy's {"msg"} under its prefix: a bad
chunked body (400), headers over large_client_header_buffers (400), TRACE (405), an unknown
Transfer-Encoding (501), a body over client_max_body_size (413), a URI too long to read (414,
both shapes: nginx never learnt the path). Sent over raw TLS sockets: http.client would refuse
to send most of these.
"""
import base64
import json
import socket
import ssl
import unittest

from bpg import ENV, Client, user_client

HSTS = "max-age=63072000"
PREFIXES = ("/apiv2", "/skatev2", "/livy")


def raw(request, timeout=10):
    """Sends request (bytes) on a fresh TLS connection; returns (status, headers, body), read
    up to Content-Length (nginx may linger before it closes after an error)."""
    c = Client()
    with socket.create_connection((c.host, c.port), timeout=timeout) as s:
        with c.ctx.wrap_socket(s, server_hostname=c.host) as t:
            t.sendall(request)
            data = b""
            while True:
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    lines = head.decode("latin-1").split("\r\n")
                    headers = {}
                    for line in lines[1:]:
                        k, _, v = line.partition(":")
                        headers[k.strip().lower()] = v.strip()
                    if len(body) >= int(headers.get("content-length", "-1")) >= 0:
                        return int(lines[0].split()[1]), headers, body
                try:
                    chunk = t.recv(65536)
                except (ConnectionResetError, ssl.SSLError):
                    chunk = b""
                if not chunk:
                    raise AssertionError("connection closed before a whole answer: %r" % data[:200])
                data += chunk


def basic():
    return "Basic " + base64.b64encode(("%s:%s" % (ENV["BPG_USER"], ENV["BPG_PASSWORD"])).encode()).decode()


def target(prefix):
    """An existing POST route under prefix."""
    return prefix + ("/batches" if prefix == "/livy" else "/spark")


class NginxErrorsTest(unittest.TestCase):
    def assertShape(self, prefix, status, headers, body, code, what):
        self.assertEqual(status, code, (what, prefix, body))
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), (what, prefix, headers))
        self.assertEqual(headers.get("strict-transport-security"), HSTS, (what, prefix, headers))
        self.assertTrue(headers.get("x-request-id"), (what, prefix, headers))
        doc = json.loads(body)
        if prefix == "/livy":
            self.assertIsInstance(doc.get("msg"), str, (what, doc))
            self.assertTrue(doc["msg"], (what, doc))
        else:
            self.assertEqual(doc.get("code"), code, (what, prefix, doc))
            self.assertTrue(doc.get("message"), (what, prefix, doc))

    def test_bad_chunking_400(self):
        for prefix in PREFIXES:
            req = ("POST %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nX-Requested-By: t\r\n"
                   "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   "zz\r\n{}\r\n0\r\n\r\n" % (target(prefix), basic())).encode()
            self.assertShape(prefix, *raw(req), 400, "bad chunk size")

    def test_headers_too_large_400(self):
        for prefix in PREFIXES:
            req = ("GET %s HTTP/1.1\r\nHost: localhost\r\nX-Big: %s\r\nConnection: close\r\n\r\n"
                   % (target(prefix), "a" * 20000)).encode()
            self.assertShape(prefix, *raw(req), 400, "header over 16k")

    def test_trace_405(self):
        for prefix in PREFIXES:
            req = ("TRACE %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % target(prefix)).encode()
            self.assertShape(prefix, *raw(req), 405, "TRACE")
        # nginx's own 405 names what the path allows (RFC 9110), as the workers' do
        for path, allow in (("/apiv2/spark", "POST"), ("/skatev2/spark/mySubmissions", "GET, HEAD"),
                            ("/apiv2/spark/c01-x", "DELETE"), ("/apiv2/spark/c01-x/status", "GET, HEAD"),
                            ("/apiv2/s3/a.py?folder=x", "POST"), ("/livy/batches", "GET, HEAD, POST"),
                            ("/livy/batches/7", "GET, HEAD, DELETE"), ("/livy/batches/7/log", "GET, HEAD")):
            req = ("TRACE %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode()
            status, headers, _ = raw(req)
            self.assertEqual((status, headers.get("allow")), (405, allow), path)

    def test_unknown_transfer_encoding_501(self):
        for prefix in PREFIXES:
            req = ("POST %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: %s\r\nTransfer-Encoding: gzip\r\n"
                   "Connection: close\r\n\r\n" % (target(prefix), basic())).encode()
            self.assertShape(prefix, *raw(req), 501, "Transfer-Encoding: gzip")

    def test_body_too_large_413(self):
        for prefix in PREFIXES:
            req = ("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\nConnection: close\r\n\r\n" % (target(prefix), 2 << 20)).encode()
            self.assertShape(prefix, *raw(req), 413, "2 MiB body")

    def test_uri_too_long_414_both_shapes(self):
        for prefix in PREFIXES:
            req = ("GET %s?%s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                   % (target(prefix), "a" * 20000)).encode()
            status, headers, body = raw(req)
            self.assertShape(prefix, status, headers, body, 414, "20 kB URI")
            self.assertShape("/apiv2", status, headers, body, 414, "20 kB URI")

    def test_unauthenticated_401_in_each_shape(self):
        for prefix in PREFIXES:
            status, headers, body = Client().request("GET", target(prefix), base="")
            self.assertShape(prefix, status, headers, body, 401, "no credentials")
            self.assertEqual(headers.get("www-authenticate"), 'Basic realm="bpg"')

    def test_hsts_on_every_kind_of_answer(self):
        u = user_client()
        answers = {
            "worker 200": u.request("GET", "/healthcheck/status"),
            "worker 404": u.request("GET", "/no/such/route"),
            "worker 405": u.request("POST", "/healthcheck/status", body=b"{}"),
            "livy 200": u.request("GET", "/livy/batches", base=""),
            "public openapi": Client().request("GET", "/openapi.json"),
            "nginx 404": Client().request("GET", "/nowhere", base=""),
            "nginx healthz": Client().request("GET", "/healthz", base=""),
            "nginx 401": Client().request("GET", "/spark/mySubmissions"),
            "ui 401": Client().request("GET", "/ui/", base=""),
            "ui config": u.request("GET", "/ui/config.json", base=""),
            "ui redirect": Client().request("GET", "/ui", base=""),
        }
        for what, (status, headers, _) in answers.items():
            self.assertEqual(headers.get("strict-transport-security"), HSTS, (what, status, headers))


if __name__ == "__main__":
    unittest.main()
