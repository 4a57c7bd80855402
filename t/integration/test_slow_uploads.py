"""Slow uploads cannot starve the worker pool (issue 32, item 6).

Four times as many uploads as there are workers trickle their bodies (one byte every 2 s of a
declared 1 MiB), again and again for a while, from four users. Meanwhile health and a
submission's status must keep answering in under a second: uploads may hold at most
[s3] max_concurrent_uploads workers (nginx answers 429 JSON above that), and an upload slower
than [s3] min_upload_kib_per_s after upload_grace_s is cut by its worker with 408 JSON, storing
nothing. A normal upload works afterwards.
"""
import base64
import json
import random
import select
import socket
import ssl
import threading
import time
import unittest
import urllib.parse
import uuid

from bpg import ENV, user_client
from test_upload import dangling, keys, s3, BUCKET

WORKERS = int(ENV.get("BPG_WORKERS", "4"))
SLOW = 4 * WORKERS              # slow uploads at once
PRESSURE_S = 12                 # new slow uploads start for this long
HARD_S = 40                     # a slow upload is given up on (by the test) after this
DECLARED = 1 << 20              # the Content-Length each slow upload announces
TRICKLE_S = 2.0                 # one byte this often
PROBE_TIMEOUT_S = 5             # a probe slower than this counts as this
LIMIT_S = 1.0                   # what the issue asks of status and health

SUBMISSION = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
              "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 1, "cores": 1, "memory": "2g"}}


def credentials():
    """Four users and their Basic credentials (the stack gives demo, other and airflow one
    password)."""
    pw = ENV["BPG_PASSWORD"]
    users = [(ENV["BPG_USER"], pw), ("other", pw), ("airflow", pw),
             (ENV["BPG_ADMIN_USER"], ENV["BPG_ADMIN_PASSWORD"])]
    return [(u[0], "Basic " + base64.b64encode(("%s:%s" % u).encode()).decode()) for u in users]


def parse_response(raw):
    """(status, headers, JSON body or None) of one HTTP/1.1 response held in raw, or None
    while it is incomplete."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(body) < n:
            return None
        body = body[:n]
    elif headers.get("transfer-encoding") == "chunked":
        return None if not body.endswith(b"0\r\n\r\n") else (status, headers, None)
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
    return status, headers, doc


def upload_head(auth, folder, name):
    """A TLS socket that has sent the head of a DECLARED-byte upload (auth: an Authorization
    value, or None)."""
    u = urllib.parse.urlsplit(ENV["BPG_URL"])
    ctx = ssl.create_default_context(cafile=ENV["BPG_CACERT"])
    sock = ctx.wrap_socket(socket.create_connection((u.hostname, u.port), timeout=10),
                           server_hostname=u.hostname)
    sock.sendall(("POST %s/s3/%s?folder=%s HTTP/1.1\r\nHost: %s\r\n%s"
                  "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
                  % (u.path, name, folder, u.hostname,
                     "Authorization: %s\r\n" % auth if auth else "", DECLARED)).encode())
    return sock


def slow_upload(auth, folder, name):
    """Sends the head of a DECLARED-byte upload, then one byte every TRICKLE_S until the
    gateway answers or closes, or HARD_S pass. Returns (status or None, headers, body, why)."""
    deadline = time.monotonic() + HARD_S
    raw = b""
    sock = upload_head(auth, folder, name)
    try:
        next_byte = time.monotonic() + TRICKLE_S
        # readable may be TLS records that carry no data (TLS 1.3 session tickets): never block
        sock.setblocking(False)
        while time.monotonic() < deadline:
            wait = max(0.0, min(next_byte, deadline) - time.monotonic())
            readable = sock.pending() > 0 or select.select([sock], [], [], wait)[0]
            if readable:
                try:
                    b = sock.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    continue
                except (ssl.SSLError, OSError) as e:
                    return None, {}, None, "closed while reading: %r" % e
                if not b:
                    return None, {}, None, "closed without an answer"
                raw += b
                r = parse_response(raw)
                if r is not None:
                    return r + ("answered",)
                continue
            if time.monotonic() >= next_byte:
                try:
                    sock.send(b"x")
                except (ssl.SSLError, OSError):
                    pass        # nginx may stop reading once answered: the answer still comes
                next_byte += TRICKLE_S
        return None, {}, None, "still held after %d s" % HARD_S
    finally:
        sock.close()


class Prober(threading.Thread):
    """GETs path over its own connection every 0.2 s until stopped; keeps each latency."""

    def __init__(self, path, **kw):
        super().__init__(daemon=True)
        self.path, self.kw = path, kw
        self.times, self.bad = [], []
        self.done = threading.Event()

    def run(self):
        c = user_client()
        c.timeout = PROBE_TIMEOUT_S
        while not self.done.is_set():
            t0 = time.monotonic()
            try:
                st, _, body = c.request("GET", self.path, **self.kw)
                if st != 200:
                    self.bad.append((st, body[:200]))
            except OSError as e:
                self.bad.append(("no answer", repr(e)))
            self.times.append(time.monotonic() - t0)
            self.done.wait(0.2)
        c.close()


class SlowUploadTest(unittest.TestCase):
    def test_slow_uploads_do_not_starve_the_pool(self):
        c = user_client()
        st, _, sub = c.json("POST", "/spark", body=json.dumps(SUBMISSION),
                            headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, sub)
        sid = sub["submissionId"]
        leaf = "slow" + uuid.uuid4().hex[:10]     # under each uploader's own folder
        folder = "%s/%s" % (ENV["BPG_USER"], leaf)
        auths = credentials()
        outcomes, lock = [], threading.Lock()
        t_start = time.monotonic()

        def slot(i):
            n = 0
            while time.monotonic() - t_start < PRESSURE_S:
                user, auth = auths[i % len(auths)]
                r = slow_upload(auth, "%s/%s" % (user, leaf), "s%d-%d.bin" % (i, n))
                with lock:
                    outcomes.append(r)
                n += 1
                if r[0] == 429:
                    time.sleep(0.3 + random.random() * 0.4)   # a polite client's retry

        probes = [Prober("/healthcheck/status"), Prober("/spark/%s/status" % sid)]
        for p in probes:
            p.start()
        slots = [threading.Thread(target=slot, args=(i,), daemon=True) for i in range(SLOW)]
        for t in slots:
            t.start()
        for t in slots:
            t.join(PRESSURE_S + HARD_S + 30)
        for p in probes:
            p.done.set()
            p.join(PROBE_TIMEOUT_S + 5)
        elapsed = time.monotonic() - t_start

        for p in probes:
            worst = max(p.times)
            print("\n  %s: %d probes over %.1f s, max %.3f s, median %.3f s"
                  % (p.path, len(p.times), elapsed, worst, sorted(p.times)[len(p.times) // 2]))
            self.assertEqual(p.bad, [], p.path)
            self.assertGreater(len(p.times), 10, p.path)
            self.assertLess(worst, LIMIT_S, "%s took %.2f s while slow uploads ran" % (p.path, worst))

        by = {}
        for st, h, body, why in outcomes:
            by.setdefault(st, []).append((body, why, h.get("retry-after")))
        print("  slow uploads: %s" % {k: len(v) for k, v in by.items()})
        self.assertEqual(set(by) - {408, 429}, set(), {k: v[:2] for k, v in by.items()})
        self.assertIn(408, by, "no slow upload was cut")
        self.assertIn(429, by, "no slow upload was refused over the cap")
        for body, why, _ in by[408]:
            self.assertEqual(body["code"], 408, body)
            self.assertIn("upload too slow", body["message"])
            self.assertIn("nothing was stored", body["message"])
        for body, why, retry in by[429]:
            self.assertEqual(body["code"], 429, body)
            self.assertIn("uploads", body["message"])
            self.assertTrue(retry, "429 without Retry-After")
        for user, _ in auths:
            self.assertEqual(keys("uploaded/%s/%s/" % (user, leaf)), [])
            self.assertEqual(dangling("uploaded/%s/%s/" % (user, leaf)), [])
        prefix = "uploaded/%s/" % folder

        # the pool is free again: a normal upload works and is stored
        st, _, body = c.json("POST", "/s3/after.bin?folder=%s" % folder, body=b"fine" * 1000,
                             headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 200, body)
        got = s3().get_object(Bucket=BUCKET, Key=prefix + "after.bin")["Body"].read()
        self.assertEqual(got, b"fine" * 1000)

    def test_strangers_hold_no_upload_slot(self):
        """Uploads with a wrong password or none get 401, and nginx then reads (discards) their
        bodies for a while: those must not count against the caps, or anyone could block every
        user's uploads without a password."""
        folder = "%s/stranger%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:10])
        wrong = "Basic " + base64.b64encode(("%s:wrong" % ENV["BPG_USER"]).encode()).decode()
        stop = threading.Event()

        def stranger(i):
            sock = upload_head(wrong if i % 2 else None, folder, "x%d.bin" % i)
            try:
                while not stop.wait(0.5):
                    sock.send(b"x")
            except OSError:
                pass            # nginx gave up on it: fine too
            finally:
                sock.close()

        n = 2 * int(ENV.get("BPG_MAX_UPLOADS", "2")) + 2
        threads = [threading.Thread(target=stranger, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        try:
            time.sleep(1)       # the strangers' heads are in and refused; they keep sending
            c = user_client()
            for i in range(3):
                st, _, body = c.json("POST", "/s3/mine%d.bin?folder=%s" % (i, folder), body=b"mine",
                                     headers={"Content-Type": "application/octet-stream"})
                self.assertEqual(st, 200, body)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        self.assertEqual(sorted(keys("uploaded/%s/" % folder)),
                         ["uploaded/%s/mine%d.bin" % (folder, i) for i in range(3)])


if __name__ == "__main__":
    unittest.main()
