"""POST /s3/{name}: uploads streamed through nginx and a worker into moto (SigV4 enforced).

Uploads go under the user's own folder (<user>/...): who may write where is
test_upload_owner.py's.

What was stored is read back with `aws s3 cp` (an independent client), byte for byte.
"""
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import uuid


from bpg import ENV, admin_client, poll, s3_client, user_client

BUCKET = ENV["S3_BUCKET"]
MiB = 1 << 20


def s3():
    return s3_client()


def aws_cp(key):
    """The object's bytes as the AWS CLI reads them."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "obj")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ENV["AWS_ACCESS_KEY_ID"],
                   AWS_SECRET_ACCESS_KEY=ENV["AWS_SECRET_ACCESS_KEY"], AWS_DEFAULT_REGION="us-east-1")
        subprocess.run(["aws", "--endpoint-url", ENV["S3_ENDPOINT"], "s3", "cp", "--only-show-errors",
                        "s3://%s/%s" % (BUCKET, key), out], check=True, env=env, timeout=120)
        with open(out, "rb") as f:
            return f.read()


def key_of(url):
    prefix = "s3a://%s/" % BUCKET
    assert url.startswith(prefix), url
    return url[len(prefix):]


def keys(prefix):
    """Keys under prefix. (moto wrongly rejects a signed query holding '/': list by the first
    path segment and filter here.)"""
    first = prefix.split("/", 1)[0]
    out, kw = [], {}
    while True:
        r = s3().list_objects_v2(Bucket=BUCKET, Prefix=first, **kw)
        out += [o["Key"] for o in r.get("Contents", []) if o["Key"].startswith(prefix)]
        if not r.get("IsTruncated"):
            return out
        kw = {"ContinuationToken": r["NextContinuationToken"]}


def dangling(prefix):
    return [u["Key"] for u in s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
            if u["Key"].startswith(prefix)]


def payload(n, seed):
    """n deterministic, incompressible-looking bytes."""
    out, block, i = bytearray(), b"", 0
    while len(out) < n:
        block = hashlib.sha256(b"%s-%d" % (seed.encode(), i)).digest()
        out += block * 64
        i += 1
    return bytes(out[:n])


def workers():
    with open(ENV["BPG_MULTIWATCH_PID"]) as f:
        mw = f.read().strip()
    out = subprocess.run(["pgrep", "-P", mw], capture_output=True, text=True).stdout.split()
    assert out, "no workers under multiwatch %s" % mw
    return [int(p) for p in out]


def spool_files():
    """The workers' open spool files (unlinked: they show as '(deleted)')."""
    found = []
    for pid in workers():
        d = "/proc/%d/fd" % pid
        for fd in os.listdir(d):
            try:
                target = os.readlink(os.path.join(d, fd))
            except OSError:
                continue
            if "(deleted)" in target and not target.startswith("/dev/"):
                found.append((pid, target))
    return found


def peak_rss_kib():
    peak = 0
    for pid in workers():
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak


def raw_connection():
    u = urllib.parse.urlsplit(ENV["BPG_URL"])
    ctx = ssl.create_default_context(cafile=ENV["BPG_CACERT"])
    s = socket.create_connection((u.hostname, u.port), timeout=30)
    return ctx.wrap_socket(s, server_hostname=u.hostname), u


class UploadTest(unittest.TestCase):
    def setUp(self):
        self.c = user_client()
        self.c.timeout = 120
        self.folder = "%s/t%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:12])

    def upload(self, name, body, query="", headers=None):
        q = "folder=%s%s" % (self.folder, "&" + query if query else "")
        h = {"Content-Type": "application/octet-stream"}
        h.update(headers or {})
        return self.c.json("POST", "/s3/%s?%s" % (name, q), body=body, headers=h)

    def test_small_upload_read_back_with_aws_cli(self):
        data = payload(1000, "small")
        st, _, body = self.upload("app.py", data)
        self.assertEqual(st, 200, body)
        self.assertEqual(body, {"url": "s3a://%s/uploaded/%s/app.py" % (BUCKET, self.folder)})
        self.assertEqual(aws_cp(key_of(body["url"])), data)
        st, _, text = admin_client().request("GET", "/metrics")
        m = re.search(rb'^bpg_upstream_calls_total\{upstream="s3"\} (\d+)$', text, re.M)
        self.assertTrue(m and int(m.group(1)) >= 2, text[-2000:])     # a HEAD and a PUT at least

    def test_multipart_upload_byte_for_byte(self):
        data = payload(21 * MiB + 12345, "multi")    # parts of 8 MiB: 3 parts
        st, _, body = self.upload("big.jar", data)
        self.assertEqual(st, 200, body)
        key = key_of(body["url"])
        self.assertEqual(aws_cp(key), data)
        etag = s3().head_object(Bucket=BUCKET, Key=key)["ETag"]
        self.assertTrue(etag.strip('"').endswith("-3"), etag)    # a multipart object of 3 parts
        self.assertEqual(dangling("uploaded/" + self.folder), [])

    def test_parts_in_parallel_round_trip_with_bounded_memory(self):
        # 7 parts of 8 MiB sent up to [s3] upload_concurrency (10) at once from the spool file
        data = payload(49 * MiB + 999, "parallel")
        st, _, body = self.upload("par.bin", data)
        self.assertEqual(st, 200, body)
        key = key_of(body["url"])
        self.assertEqual(hashlib.sha256(aws_cp(key)).hexdigest(), hashlib.sha256(data).hexdigest())
        self.assertTrue(s3().head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"').endswith("-7"))
        self.assertEqual(dangling("uploaded/" + self.folder), [])
        self.assertEqual(spool_files(), [])            # the spool file is gone
        self.assertLess(peak_rss_kib(), 32 << 10)      # no part is held in memory

    def test_chunked_body_without_length(self):
        data = payload(9 * MiB + 7, "chunked")
        sock, u = raw_connection()
        path = "%s/s3/chunky.bin?folder=%s" % (u.path, self.folder)
        auth = self.c.auth
        head = ("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\n"
                "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n" % (path, u.hostname, auth))
        sock.sendall(head.encode())
        for i in range(0, len(data), 1 << 20):
            piece = data[i:i + (1 << 20)]
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        sock.sendall(b"0\r\n\r\n")
        resp = b""
        while True:
            b = sock.recv(65536)
            if not b:
                break
            resp += b
        sock.close()
        self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp[:300])
        self.assertEqual(aws_cp("uploaded/%s/chunky.bin" % self.folder), data)

    def test_default_folder_is_own_date_and_uuid(self):
        st, _, body = self.c.json("POST", "/s3/x.txt", body=b"hello",
                                  headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 200, body)
        self.assertRegex(key_of(body["url"]),
                         r"^uploaded/" + ENV["BPG_USER"] + r"/\d{8}/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/x\.txt$")

    def test_every_allowed_name_reads_back(self):
        """Issue 32 item 7: names and folders with = + @ , (the README allows them) were a
        502 SignatureDoesNotMatch. Each uploads and reads back byte for byte, with boto3 and
        with the AWS CLI, from moto checking signatures."""
        names = ["a=b.txt", "a+b.txt", "a@b.txt", "a,b.txt", "x=1+2@h,k.jar", "=+@,", "_-.x",
                 "A.Z-a_z.0+9=@,"]
        for i, name in enumerate(names):
            folder = "%s/f=%d+g@h,i" % (self.folder, i)
            data = payload(2000 + i, name)
            st, _, body = self.c.json(
                "POST", "/s3/%s?folder=%s" % (urllib.parse.quote(name, safe=""),
                                              urllib.parse.quote(folder, safe="/")),
                body=data, headers={"Content-Type": "application/octet-stream"})
            self.assertEqual(st, 200, (name, body))
            key = "uploaded/%s/%s" % (folder, name)
            self.assertEqual(body, {"url": "s3a://%s/%s" % (BUCKET, key)})
            self.assertEqual(s3().get_object(Bucket=BUCKET, Key=key)["Body"].read(), data, name)
            self.assertEqual(aws_cp(key), data, name)

    def test_bad_names_and_folders(self):
        bad_names = ["..", ".hidden", "a%20b", "a%2Fb", "x%00y", "%E2%82%AC.txt", "a;b", "a*b", "n" * 256]
        for n in bad_names:
            st, _, body = self.c.json("POST", "/s3/%s?folder=ok" % n, body=b"x")
            self.assertIn(st, (400, 404), (n, body))
            if st == 400:
                self.assertEqual(body["code"], 400)
        bad_folders = ["/abs", "a/../b", "..", "a//b", "a/.x", "a%0Ab", "a b", "a\\b", "x/" * 17 + "y"]
        for f in bad_folders:
            st, _, body = self.c.json("POST", "/s3/ok.txt?folder=%s" % urllib.parse.quote(f, safe="/"),
                                      body=b"x")
            self.assertEqual(st, 400, (f, body))
            self.assertIn("folder", body["message"])
        self.assertEqual(keys("uploaded/ok"), [])

    def test_bad_lengths(self):
        st, _, body = self.upload("l.txt", b"abc", query="content-length=abc")
        self.assertEqual(st, 400, body)
        st, _, body = self.upload("l.txt", b"abc", query="content-length=5")
        self.assertEqual(st, 400, body)
        self.assertIn("does not match", body["message"])

    def test_too_large(self):
        limit = int(ENV.get("BPG_UPLOAD_MAX_MB", "64"))
        st, _, body = self.upload_declared("huge.bin", (limit << 20) + 1)
        self.assertEqual(st, 413, body)
        self.assertEqual(body["code"], 413)

    def upload_declared(self, name, length):
        """Sends only the headers of a body of length bytes; the gateway must refuse at once."""
        sock, u = raw_connection()
        path = "%s/s3/%s?folder=%s" % (u.path, name, self.folder)
        head = ("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n"
                "Connection: close\r\n\r\n" % (path, u.hostname, self.c.auth, length))
        sock.sendall(head.encode())
        sock.sendall(b"x" * 1024)
        r = http.client.HTTPResponse(sock)
        r.begin()
        data = r.read()
        sock.close()
        return r.status, None, json.loads(data)

    def test_overwrite_needs_asking(self):
        st, _, body = self.upload("same.txt", b"one")
        self.assertEqual(st, 200, body)
        st, _, body2 = self.upload("same.txt", b"two")
        self.assertEqual(st, 409, body2)
        self.assertIn("overwrite=true", body2["message"])
        self.assertEqual(aws_cp(key_of(body["url"])), b"one")
        st, _, body3 = self.upload("same.txt", b"three", query="overwrite=true")
        self.assertEqual(st, 200, body3)
        self.assertEqual(aws_cp(key_of(body["url"])), b"three")

    def test_disconnect_midway_leaves_nothing(self):
        total = 40 * MiB
        sock, u = raw_connection()
        path = "%s/s3/cut.bin?folder=%s" % (u.path, self.folder)
        head = ("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\n"
                "Content-Type: application/octet-stream\r\n\r\n" % (path, u.hostname, self.c.auth, total))
        sock.sendall(head.encode())
        chunk = payload(MiB, "cut")
        for _ in range(20):             # 20 MiB of 40: two parts of 8 MiB go to S3
            sock.sendall(chunk)
        prefix = "uploaded/%s/" % self.folder
        # cut only once the multipart upload exists: its abort is what this test checks
        self.assertTrue(poll(lambda: dangling(prefix), 30, 0.05), "no multipart upload started")
        sock.close()
        self.assertTrue(poll(lambda: not dangling(prefix), 15, 0.2), dangling(prefix))
        self.assertEqual(keys(prefix), [])
        self.assertTrue(poll(lambda: not spool_files(), 15, 0.1), spool_files())
        # the worker is fine afterwards
        st, _, body = self.upload("after.txt", b"ok")
        self.assertEqual(st, 200, body)

    def test_rotated_secret_is_read_again_without_a_restart(self):
        path = os.path.join(ENV["BPG_RUN_DIR"], "etc", "s3-secret-key")
        with open(path) as f:
            good = f.read()
        try:
            with open(path, "w") as f:
                f.write("not-the-secret")
            st, _, body = self.upload("rot.txt", b"x")
            self.assertEqual(st, 502, body)
            self.assertIn("credentials", body["message"])
        finally:
            time.sleep(0.05)    # a new mtime even on coarse clocks
            with open(path, "w") as f:
                f.write(good)
        for _ in range(8):      # every worker, whichever answers
            st, _, body = self.upload("rot.txt", b"x", query="overwrite=true")
            self.assertEqual(st, 200, body)

    def test_needs_credentials(self):
        from bpg import Client
        st, _, body = Client().json("POST", "/s3/x.txt?folder=anon", body=b"x")
        self.assertEqual(st, 401, body)

    def test_admin_can_upload_too(self):
        st, _, body = admin_client().json("POST", "/s3/a.txt?folder=%s" % self.folder, body=b"a",
                                          headers={"Content-Type": "text/plain"})
        self.assertEqual(st, 200, body)


class FormUploadTest(unittest.TestCase):
    """curl -F: a multipart/form-data body stores only its one file part's bytes."""

    def setUp(self):
        self.folder = "%s/f%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:12])
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.tmp])

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def curl(self, name, *args):
        """curl as the README shows it; returns (status, parsed body)."""
        url = "%s/s3/%s?folder=%s" % (ENV["BPG_URL"], name, self.folder)
        p = subprocess.run(["curl", "-sS", "--max-time", "120", "--cacert", ENV["BPG_CACERT"], "-u",
                            "%s:%s" % (ENV["BPG_USER"], ENV["BPG_PASSWORD"]), "-w", "\n%{http_code}"]
                           + list(args) + [url], capture_output=True, timeout=150)
        self.assertEqual(p.returncode, 0, p.stderr)
        body, _, code = p.stdout.rpartition(b"\n")
        return int(code), json.loads(body)

    def test_curl_f_stores_the_file_not_the_envelope(self):
        # bytes that look like the framing: CRLF, dashes, a near boundary
        data = b"print(1)\r\n--\r\n------------------------\r\n" + payload(5000, "form") + b"\r\n"
        st, body = self.curl("app.py", "-F", "file=@" + self.file("app.py", data))
        self.assertEqual(st, 200, body)
        self.assertEqual(body, {"url": "s3a://%s/uploaded/%s/app.py" % (BUCKET, self.folder)})
        self.assertEqual(aws_cp(key_of(body["url"])), data)
        # --data-binary, the other form the README shows, stores the same bytes
        st, body = self.curl("app2.py", "--data-binary", "@" + self.file("app.py", data),
                             "-H", "Content-Type: application/octet-stream")
        self.assertEqual(st, 200, body)
        self.assertEqual(aws_cp(key_of(body["url"])), data)

    def test_curl_f_big_file_streams_in_parts(self):
        data = payload(17 * MiB + 999, "formbig")     # parts of 8 MiB: 3 parts
        st, body = self.curl("big.jar", "-F", "jar=@%s;type=application/java-archive" % self.file("big.jar", data))
        self.assertEqual(st, 200, body)
        key = key_of(body["url"])
        self.assertEqual(aws_cp(key), data)
        self.assertTrue(s3().head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"').endswith("-3"))
        self.assertEqual(dangling("uploaded/" + self.folder), [])

    def test_not_one_file_part_is_refused_and_nothing_stored(self):
        a = self.file("a.txt", b"a" * 100)
        big = self.file("b.bin", payload(9 * MiB, "formrefused"))
        for args, why in ((["-F", "file=@" + a, "-F", "other=@" + a], "more than one part"),
                          (["-F", "file=@" + big, "-F", "x=@" + a], "more than one part"),
                          (["-F", "name=value"], "not a file"),
                          (["-F", "note=hello", "-F", "file=@" + a], "not a file"),
                          (["-H", "Content-Type: multipart/form-data", "--data-binary", "@" + a],
                           "without a boundary")):
            st, body = self.curl("x.txt", *args)
            self.assertEqual((st, body["code"]), (400, 400), (args, body))
            self.assertIn(why, body["message"])
            self.assertIn("--data-binary @FILE", body["message"])
        st, body = self.curl("x.txt", "-H", "Content-Type: multipart/form-data; boundary=XyZ", "--data-binary",
                             "--XyZ\r\nContent-Disposition: form-data; name=f; filename=x\r\n\r\ncut off here")
        self.assertEqual(st, 400, body)
        self.assertIn("before its closing boundary", body["message"])
        self.assertEqual(keys("uploaded/" + self.folder), [])
        self.assertEqual(dangling("uploaded/" + self.folder), [])


if __name__ == "__main__":
    unittest.main()


class UploadIdempotencyTest(unittest.TestCase):
    """Idempotency-Key on uploads (issue 23): the same upload replays, another is 422."""

    def setUp(self):
        self.c = user_client()
        self.folder = "%s/k%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:12])
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        subprocess.run(["rm", "-rf", self.tmp])

    def up(self, key, name, body, folder=True, query=""):
        q = ("folder=%s" % self.folder if folder else "") + query
        h = {"Content-Type": "application/octet-stream", "Idempotency-Key": key}
        return self.c.json("POST", "/s3/%s?%s" % (name, q), body=body, headers=h)

    def rows(self, key):
        from bpg import db
        return int(db("SELECT COUNT(*) FROM idempotent_request WHERE idem_key='%s'" % key))

    def test_same_upload_replays_other_upload_is_422(self):
        key = "up-" + uuid.uuid4().hex
        data = payload(3000, "idem")
        st, h, first = self.up(key, "a.py", data)
        self.assertEqual(st, 200, first)
        self.assertNotIn("idempotent-replayed", h)
        # the retry of the same upload: the first answer, where /apiv2 would otherwise say 409
        st, h, again = self.up(key, "a.py", data)
        self.assertEqual((st, again, h.get("idempotent-replayed")), (200, first, "true"))
        st, _, e = self.c.json("POST", "/s3/a.py?folder=%s" % self.folder, body=data,
                               headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 409, e)                  # without the key: it exists
        # the same key with other bytes, or another name: 422, the object unchanged
        st, _, e = self.up(key, "a.py", data + b"x")
        self.assertEqual((st, e["code"]), (422, 422), e)
        st, _, e = self.up(key, "b.py", data)
        self.assertEqual((st, e["code"]), (422, 422), e)
        self.assertEqual(aws_cp(key_of(first["url"])), data)
        self.assertEqual(self.rows(key), 1)

    def test_default_layout_replays_the_first_url(self):
        # without a folder the key holds a fresh date and uuid: the retry gets the first one
        key = "up-" + uuid.uuid4().hex
        st, _, first = self.up(key, "c.py", b"print(3)\n", folder=False)
        self.assertEqual(st, 200, first)
        st, h, again = self.up(key, "c.py", b"print(3)\n", folder=False)
        self.assertEqual((again, h.get("idempotent-replayed")), (first, "true"))

    def test_curl_f_retry_with_a_new_boundary_is_the_same_upload(self):
        key = "form-" + uuid.uuid4().hex
        path = os.path.join(self.tmp, "app.py")
        with open(path, "wb") as f:
            f.write(payload(4000, "formidem"))
        outs = []
        for _ in range(2):                            # curl draws a new boundary every time
            p = subprocess.run(["curl", "-sS", "--max-time", "60", "--cacert", ENV["BPG_CACERT"], "-u",
                                "%s:%s" % (ENV["BPG_USER"], ENV["BPG_PASSWORD"]), "-D", "-",
                                "-H", "Idempotency-Key: " + key, "-F", "file=@" + path,
                                "%s/s3/app.py?folder=%s" % (ENV["BPG_URL"], self.folder)],
                               capture_output=True, timeout=90)
            outs.append(p.stdout.decode())
        self.assertIn(" 200", outs[0].splitlines()[0])
        self.assertIn(" 200", outs[1].splitlines()[0])
        self.assertIn("Idempotent-Replayed: true", outs[1])
        self.assertEqual(outs[0].rsplit("\r\n\r\n", 1)[1], outs[1].rsplit("\r\n\r\n", 1)[1])

    def test_a_failure_frees_the_key_and_a_live_claim_is_409(self):
        from bpg import db
        from test_idempotency import HeldLock
        key = "free-" + uuid.uuid4().hex
        st, _, _ = self.c.json("POST", "/s3/d.py?folder=%s" % self.folder, body=b"1",
                               headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 200)
        st, _, e = self.up(key, "d.py", b"2")         # exists: 409, nothing stored, key free
        self.assertEqual(st, 409, e)
        self.assertEqual(self.rows(key), 0)
        st, _, r = self.up(key, "d.py", b"2", query="&overwrite=true")
        self.assertEqual(st, 200, r)
        # a key another worker is still working on: 409; once that worker is gone, taken over
        key = "busy-" + uuid.uuid4().hex
        claim = "bpg.claim.live" + uuid.uuid4().hex[:16]
        held = HeldLock(claim)
        try:
            db("INSERT INTO idempotent_request (original_user, idem_key, route, claim_owner) "
               "VALUES ('%s', '%s', 'POST /s3', '%s')" % (ENV["BPG_USER"], key, claim))
            st, h, e = self.up(key, "e.py", b"3")
            self.assertEqual((st, h.get("retry-after")), (409, "1"), e)
        finally:
            held.release()
        st, _, r = self.up(key, "e.py", b"3")
        self.assertEqual(st, 200, r)
        self.assertEqual(aws_cp(key_of(r["url"])), b"3")
