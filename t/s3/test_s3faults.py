#!/usr/bin/env python3
"""t/s3/test_s3faults.py: lib/bpg_s3 (through build/t/s3tool) against a scripted fake S3.

    python3 -m unittest discover -s t/s3 -v

What moto cannot be made to do: a body cut in the middle (the GET resumes from the next byte
with If-Match), 5xx answers (idempotent calls retried once, PUT of an object and POSTs not),
an <Error> inside a 200 from CompleteMultipartUpload, an oversized listing. Every request
must carry x-amz-date, x-amz-content-sha256 (the body's real SHA-256) and an Authorization.
"""
import base64
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest
import urllib.parse
import zlib

from s3harness import TOOL, ensure_tool

EX_UPSTREAM, EX_UNAVAIL, EX_CONFLICT = 21, 22, 16
BODY = bytes(range(256)) * 64          # 16 KiB


class Fake(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log = []                           # (method, path, headers, body)
    state = {}

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        Fake.log.append((self.command, self.path, dict(self.headers), body))
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        count = Fake.state.get(u.path, 0)
        Fake.state[u.path] = count + 1
        return u.path, q, count, body

    def do_GET(self):
        path, q, count, _ = self.handle_one()
        if path == "/b/cut":
            rng = self.headers.get("Range")
            if count == 0:             # half the body, then the connection drops
                self.send_response(200)
                self.send_header("Content-Length", str(len(BODY)))
                self.send_header("ETag", '"e1"')
                self.end_headers()
                self.wfile.write(BODY[:5000])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            start = int(rng.split("=")[1].rstrip("-"))
            self.reply(206, BODY[start:], [("ETag", '"e1"')])
        elif path == "/b/flaky" and count == 0:
            self.reply(503, b"<Error><Code>SlowDown</Code><Message>slow</Message></Error>")
        elif path == "/b/flaky":
            self.reply(200, b"fine")
        elif path == "/b/down":
            self.reply(500, b"<Error><Code>InternalError</Code></Error>")
        elif path == "/b" and "list-type" in q:
            self.reply(200, b"<ListBucketResult>" + b" " * (9 << 20) + b"</ListBucketResult>")
        else:
            self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>")

    def do_HEAD(self):
        self.handle_one()
        self.reply(403)

    def do_PUT(self):
        path, q, _, _ = self.handle_one()
        part = int(q["partNumber"][0]) if "partNumber" in q else 0
        if path == "/b/par" and part <= 2:
            try:                       # parts 1 and 2 answer only once both are in flight
                Fake.two_at_once.wait()
            except threading.BrokenBarrierError:
                return self.reply(500, b"<Error><Code>InternalError</Code></Error>")
        if (path == "/b/refuse" and part == 3) or (path == "/b/hang" and part == 2):
            return self.reply(500, b"<Error><Code>InternalError</Code></Error>")
        if path == "/b/hang" and part == 1:
            Fake.release.wait(60)      # never answers while the test runs
            return self.reply(200, b"", [("ETag", '"late"')])
        if "partNumber" in q:
            self.reply(200, b"", [("ETag", '"p%s"' % q["partNumber"][0])])
        else:
            self.reply(500, b"<Error><Code>InternalError</Code></Error>")

    def do_POST(self):
        path, q, _, _ = self.handle_one()
        if path == "/b/par" and "uploadId" in q:
            self.reply(200, b"<CompleteMultipartUploadResult><ETag>\"x-4\"</ETag>"
                       b"</CompleteMultipartUploadResult>")
        elif "uploads" in q:
            self.reply(200, b"<?xml version=\"1.0\"?><InitiateMultipartUploadResult><Bucket>b"
                       b"</Bucket><Key>k</Key><UploadId>U&amp;1</UploadId>"
                       b"</InitiateMultipartUploadResult>")
        else:
            self.reply(200, b"<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code>"
                       b"<Message>try again</Message></Error>")

    def do_DELETE(self):
        self.handle_one()
        self.reply(204)


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass                           # the client hanging up on purpose is not news


class FaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_tool()
        cls.srv = QuietServer(("127.0.0.1", 0), Fake)
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()
        cls.endpoint = "http://127.0.0.1:%d" % cls.srv.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()

    def setUp(self):
        Fake.log.clear()
        Fake.state.clear()
        Fake.two_at_once = threading.Barrier(2, timeout=20)
        Fake.release = threading.Event()
        self.spool = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.spool)
        self.addCleanup(Fake.release.set)

    def stream(self, key, data, concurrency, timeout_ms=5000):
        path = os.path.join(self.spool, "..", os.path.basename(self.spool) + ".in")
        with open(path, "wb") as f:
            f.write(data)
        self.addCleanup(os.unlink, path)
        r = self.tool("stream", key, path, 5 << 20, concurrency, self.spool,
                      env={"BPG_S3_TIMEOUT_MS": str(timeout_ms)})
        self.assertEqual(os.listdir(self.spool), [])     # nothing left in the spool folder
        return r

    def tool(self, *args, stdin=None, env=None):
        env_extra = env
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BPG_S3_"))}
        env.update(AWS_ACCESS_KEY_ID="AKID", AWS_SECRET_ACCESS_KEY="SECRET-NOT-LOGGED",
                   BPG_S3_ENDPOINT=self.endpoint, BPG_S3_BUCKET="b", BPG_S3_PATH_STYLE="1",
                   BPG_S3_TIMEOUT_MS="5000", BPG_S3_LOG="debug")
        env.update(env_extra or {})
        r = subprocess.run([TOOL] + [str(a) for a in args], input=stdin, capture_output=True,
                           env=env, timeout=30)
        self.assertNotIn(b"SECRET-NOT-LOGGED", r.stderr)
        return r

    def requests(self, method=None):
        return [e for e in Fake.log if method is None or e[0] == method]

    def test_every_request_is_signed_with_the_body_hash(self):
        self.tool("put", "k", "-", stdin=b"payload")
        self.tool("get", "flaky")
        self.assertGreaterEqual(len(Fake.log), 3)
        for method, path, headers, body in Fake.log:
            self.assertRegex(headers.get("X-Amz-Date", ""), r"^\d{8}T\d{6}Z$")
            self.assertEqual(headers.get("X-Amz-Content-SHA256"), hashlib.sha256(body).hexdigest())
            self.assertTrue(headers.get("Authorization", "").startswith(
                "AWS4-HMAC-SHA256 Credential=AKID/"), headers)
            self.assertRegex(headers["Authorization"], r"SignedHeaders=(content-type;)?host;"
                             r"x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$")

    def test_cut_get_resumes_from_the_next_byte(self):
        r = self.tool("get", "cut")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout, BODY)
        gets = self.requests("GET")
        self.assertEqual(len(gets), 2)
        self.assertNotIn("Range", gets[0][2])
        self.assertEqual(gets[1][2].get("Range"), "bytes=5000-")
        self.assertEqual(gets[1][2].get("If-Match"), '"e1"')

    def test_5xx_retried_once_for_idempotent_calls(self):
        r = self.tool("get", "flaky")
        self.assertEqual((r.returncode, r.stdout), (0, b"fine"), r.stderr.decode())
        self.assertEqual(len(self.requests("GET")), 2)
        Fake.log.clear()
        r = self.tool("get", "down")
        self.assertEqual(r.returncode, EX_UNAVAIL, r.stderr.decode())
        self.assertEqual(len(self.requests("GET")), 2)
        self.assertIn(b"InternalError", r.stderr)

    def test_put_and_post_are_not_retried(self):
        r = self.tool("put", "obj", "-", stdin=b"x")
        self.assertEqual(r.returncode, EX_UNAVAIL, r.stderr.decode())
        self.assertEqual(len(self.requests("PUT")), 1)
        put = self.requests("PUT")[0]
        self.assertEqual(put[2].get("Content-Type"), "application/octet-stream")

    def test_complete_with_error_in_200_is_an_error_and_aborts(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "bpg-s3faults-%d" % os.getpid())
        with open(path, "wb") as f:
            f.write(b"z" * 1000)
        try:
            r = self.tool("mpu-upload", "k", path, 400)
        finally:
            os.unlink(path)
        self.assertEqual(r.returncode, EX_UNAVAIL, r.stderr.decode())
        self.assertIn(b"InternalError", r.stderr)
        parts = [e for e in self.requests("PUT")]
        self.assertEqual(len(parts), 3)
        self.assertIn("uploadId=U%261", parts[0][1])       # the id was XML-unescaped
        complete = [e for e in self.requests("POST") if "uploadId=" in e[1]]
        self.assertEqual(len(complete), 1)
        self.assertEqual(complete[0][3], b"<CompleteMultipartUpload>" + b"".join(
            b"<Part><PartNumber>%d</PartNumber><ETag>&quot;p%d&quot;</ETag></Part>" % (i, i)
            for i in (1, 2, 3)) + b"</CompleteMultipartUpload>")
        self.assertEqual(complete[0][2].get("Content-Type"), "application/xml")
        self.assertEqual(len(self.requests("DELETE")), 1)

    def parts(self):
        return {int(urllib.parse.parse_qs(urllib.parse.urlsplit(e[1]).query)["partNumber"][0]): e
                for e in self.requests("PUT")}

    def test_parallel_parts_from_the_spool_file(self):
        data = bytes(range(251)) * (((21 << 20) + 4321) // 251)     # 5 parts of 5 MiB
        r = self.stream("par", data, 4)
        self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
        self.assertEqual(int(r.stdout), len(data))
        parts = self.parts()
        self.assertEqual(sorted(parts), [1, 2, 3, 4, 5])
        self.assertEqual(b"".join(parts[i][3] for i in sorted(parts)), data)
        crc = lambda b: base64.b64encode(zlib.crc32(b).to_bytes(4, "big"))
        for _, _, headers, body in parts.values():   # hash and CRC-32 computed as the slot was written
            self.assertEqual(headers.get("X-Amz-Content-SHA256"), hashlib.sha256(body).hexdigest())
            self.assertEqual(headers.get("x-amz-checksum-crc32"), crc(body).decode())
            self.assertIn("x-amz-checksum-crc32", headers.get("Authorization"))   # and signed
        create = [e for e in self.requests("POST") if "uploads" in e[1]]
        self.assertEqual(create[0][2].get("x-amz-checksum-algorithm"), "CRC32")
        complete = [e for e in self.requests("POST") if "uploadId=" in e[1]]
        self.assertEqual(complete[0][3], b"<CompleteMultipartUpload>" + b"".join(
            b"<Part><PartNumber>%d</PartNumber><ETag>&quot;p%d&quot;</ETag>"
            b"<ChecksumCRC32>%s</ChecksumCRC32></Part>" % (i, i, crc(parts[i][3]))
            for i in range(1, 6)) + b"</CompleteMultipartUpload>")
        self.assertEqual(self.requests("DELETE"), [])

    def test_small_body_is_one_put_from_the_spool_file(self):
        r = self.stream("obj", b"tiny", 4)
        self.assertEqual(r.returncode, EX_UNAVAIL, r.stderr.decode())   # the fake refuses PUTs
        put = self.requests("PUT")
        self.assertEqual((len(put), put[0][3]), (1, b"tiny"))
        self.assertEqual(put[0][2].get("X-Amz-Content-SHA256"), hashlib.sha256(b"tiny").hexdigest())

    def test_a_refused_part_aborts_the_upload(self):
        data = b"r" * ((30 << 20) + 1)                  # 7 parts: part 3 is refused
        r = self.stream("refuse", data, 2)
        self.assertEqual(r.returncode, EX_UNAVAIL, r.stderr.decode())
        self.assertIn(b"s3tool: unavailable: part 3: PUT b/refuse: S3 answered HTTP 500", r.stderr)
        self.assertEqual([e for e in self.requests("POST") if "uploadId=" in e[1]], [])
        deletes = self.requests("DELETE")
        self.assertEqual(len(deletes), 1)
        self.assertIn("uploadId=U%261", deletes[0][1])

    def test_a_failed_part_cancels_the_parts_in_flight(self):
        # part 1 never gets an answer, part 2 is refused: with a 60 s timeout, only the
        # cancel makes the tool return before the subprocess deadline (see tool())
        r = self.stream("hang", b"h" * (12 << 20), 3, timeout_ms=60000)
        self.assertEqual(r.returncode, EX_UNAVAIL, r.stderr.decode())
        self.assertEqual(len(self.requests("DELETE")), 1)

    def test_oversized_listing_is_upstream_error(self):
        r = self.tool("list")
        self.assertEqual(r.returncode, EX_UPSTREAM, r.stderr.decode())
        self.assertIn(b"larger than", r.stderr)

    def test_403_without_body(self):
        r = self.tool("head", "x")
        self.assertEqual(r.returncode, EX_UPSTREAM, r.stderr.decode())
        self.assertIn(b"S3 answered HTTP 403 with no reason", r.stderr)


if __name__ == "__main__":
    unittest.main()
