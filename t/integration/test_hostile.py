"""Hostile input through nginx against every endpoint: SQL injection, path traversal, CR/LF and
NUL, oversized and malformed requests. Every answer must be a clean JSON 4xx (or a correct 200
with the value stored byte for byte), the database must be intact afterwards and no worker may
have crashed."""
import base64
import json
import os
import re
import socket
import ssl
import unittest
import urllib.parse
import uuid

from bpg import (ENV, SIM_APPS, Client, admin_client, db, sim, user_client, worker_pids)

RUN = ENV["BPG_RUN_DIR"]
WORKER_LOG = os.path.join(RUN, "fcgi", "worker.log")
NGINX_ERROR_LOG = os.path.join(RUN, "nginx", "error.log")
# what a crashed or wedged worker leaves behind
CRASH_WORKER = re.compile(r"level=(error|fatal)|SIGSEGV|SIGABRT|SIGBUS|Segmentation|Assertion|"
                          r"AddressSanitizer|runtime error|core dumped|multiwatch", re.I)
CRASH_NGINX = re.compile(r"upstream prematurely closed|reset by peer|while reading response header "
                         r"from upstream|no live upstreams|\[(crit|alert|emerg)\]")

MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/Hostile.py",
           "driver": {"cores": 1, "memory": "1g"}, "executor": {"instances": 1, "cores": 1, "memory": "1g"}}
# the request as text without its closing brace and without driver/executor, to append raw JSON to
OPEN = json.dumps({"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/Hostile.py"})[:-1]
JSON_CT = {"Content-Type": "application/json"}

# SQL fragments that would change a statement built from strings
SQLI = [
    "' OR '1'='1",
    "' OR 1=1 -- ",
    "\" OR \"\"=\"",
    "x'; DROP TABLE application_submission; --",
    "x'); DELETE FROM application_submission; #",
    "' UNION SELECT submission_id,1,1,1 FROM application_submission -- ",
    "\\'; UPDATE application_submission SET status='X'; --",
    "1; SHUTDOWN",
    "%' OR app_name LIKE '%",
    "' AND SLEEP(5) AND '1'='1",
]
# the same without spaces, for fields that allow no spaces
SQLI_NOSPACE = ["'OR'1'='1'--", "x';DROP/**/TABLE/**/application_submission;--", "\\'OR/**/1=1#"]


def body(**over):
    b = json.loads(json.dumps(MINIMAL))
    b.update(over)
    return json.dumps(b)


def q(s):
    return urllib.parse.quote(s, safe="")


def raw(request, timeout=10):
    """Sends request bytes on a fresh TLS connection; returns (status, headers, body bytes, raw head)."""
    u = urllib.parse.urlsplit(ENV["BPG_URL"])
    ctx = ssl.create_default_context(cafile=ENV["BPG_CACERT"])
    s = ctx.wrap_socket(socket.create_connection((u.hostname, u.port), timeout=timeout),
                        server_hostname=u.hostname)
    data = b""
    try:
        try:
            s.sendall(request)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass     # nginx may answer (413, 400) and close before reading everything
        while True:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not d:
                break
            data += d
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    return status, headers, rest, head


def raw_request(method, path, extra=b"", body=b"", user=None, chunked=False):
    user = user or (ENV["BPG_USER"], ENV["BPG_PASSWORD"])
    auth = base64.b64encode(("%s:%s" % user).encode())
    req = (b"%s %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic %s\r\nConnection: close\r\n"
           % (method.encode(), path.encode() if isinstance(path, str) else path, auth)) + extra
    if chunked:
        req += b"Transfer-Encoding: chunked\r\n\r\n"
        for i in range(0, len(body), 65536):
            part = body[i:i + 65536]
            req += b"%x\r\n%s\r\n" % (len(part), part)
        req += b"0\r\n\r\n"
    else:
        req += (b"Content-Length: %d\r\n" % len(body) if body or method == "POST" else b"") + b"\r\n" + body
    return raw(req)


def rows():
    return int(db("SELECT COUNT(*) FROM application_submission"))


def hexcol(col, sid):
    return db("SELECT HEX(%s) FROM application_submission WHERE submission_id='%s'" % (col, sid)).strip()


CANARY_ID = "c01-" + uuid.uuid4().hex
CANARY_NAME = "canary 'quoted' \"double\" \\back; -- %_"
CANARY_DIGEST_SQL = ("SELECT MD5(CONCAT_WS('|', submission_id, cluster_id, namespace, `user`, app_name, "
                     "queue, status, request_body, created_time, updated_time, finished_time)) "
                     "FROM application_submission WHERE submission_id='%s'" % CANARY_ID)
BASELINE = {}


def setUpModule():
    # a terminal row owned by the demo user: no status read touches the cluster for it
    db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, app_name, "
       "queue, status, request_body, finished_time) VALUES ('%s', 'c01', 'spark-applications', '%s', "
       "'%s', 'poc', 'COMPLETED', '{\"canary\":true}', CURRENT_TIMESTAMP(3))"
       % (CANARY_ID, ENV["BPG_USER"], CANARY_NAME.replace("\\", "\\\\").replace("'", "\\'")))
    BASELINE["pids"] = worker_pids()
    BASELINE["canary"] = db(CANARY_DIGEST_SQL).strip()
    BASELINE["tables"] = db("SHOW TABLES").split()


def tearDownModule():
    db("DELETE FROM application_submission WHERE submission_id='%s'" % CANARY_ID)


class HostileTest(unittest.TestCase):
    """Each test ends with the checks of assertIntact (run from tearDown)."""

    def setUp(self):
        self.created = []            # submission ids this test made (expected new rows)
        self.rows_before = rows()
        self.offsets = {p: os.path.getsize(p) for p in (WORKER_LOG, NGINX_ERROR_LOG)}
        self.user = user_client()
        self.admin = admin_client()

    def tearDown(self):
        self.user.close()
        self.admin.close()
        self.assertIntact()

    def assertIntact(self):
        """The database and the workers survived: table, canary, row count, pids, logs."""
        self.assertEqual(db("SHOW TABLES").split(), BASELINE["tables"], "a table went missing")
        self.assertEqual(db(CANARY_DIGEST_SQL).strip(), BASELINE["canary"], "the canary row changed")
        self.assertEqual(rows(), self.rows_before + len(self.created), "rows appeared or vanished")
        for sid in self.created:
            self.assertEqual(int(db("SELECT COUNT(*) FROM application_submission WHERE submission_id='%s'"
                                    % sid)), 1, sid)
        self.assertEqual(worker_pids(), BASELINE["pids"], "a worker died and was replaced")
        for path, pattern in ((WORKER_LOG, CRASH_WORKER), (NGINX_ERROR_LOG, CRASH_NGINX)):
            with open(path, "rb") as f:
                f.seek(self.offsets[path])
                text = f.read().decode("utf-8", "replace")
            bad = [l for l in text.splitlines() if pattern.search(l)]
            self.assertEqual(bad, [], "%s says something crashed" % path)
        self.assertEqual(self.user.request("GET", "/healthcheck/status")[0], 200)

    def assertJsonError(self, status, headers, data, allowed, what=""):
        """A JSON {"code","message"} error with one of the allowed statuses; returns the message."""
        self.assertIn(status, allowed, "%s: %r" % (what, data[:300]))
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), (what, headers))
        b = json.loads(data)
        self.assertEqual(b["code"], status, what)
        self.assertIsInstance(b["message"], str, what)
        self.assertTrue(b["message"], what)
        return b["message"]

    def submit(self, data, query="", headers=None, c=None):
        h = dict(JSON_CT)
        h.update(headers or {})
        return (c or self.user).request("POST", "/spark" + query, body=data, headers=h)

    def submit_ok(self, data, **kw):
        st, h, d = self.submit(data, **kw)
        self.assertEqual(st, 200, d)
        sid = json.loads(d)["submissionId"]
        if sid not in self.created:
            self.created.append(sid)
        return sid, h

    # ---- SQL injection ---------------------------------------------------------------------

    def test_sql_injection_in_ids_every_id_route(self):
        ids = [CANARY_ID[:4] + p for p in SQLI] + ["spark-" + p for p in SQLI] + SQLI + \
              [CANARY_ID + "' OR '1'='1", CANARY_ID + "'--", "spark-x'/**/OR/**/1=1#"]
        routes = [("GET", "/status"), ("GET", "/spec"), ("GET", "/driver"), ("GET", "/describe"),
                  ("DELETE", "")]
        for c in (self.user, self.admin):
            for i in ids:
                for method, suffix in routes:
                    st, h, d = c.request(method, "/spark/%s%s" % (q(i), suffix))
                    self.assertJsonError(st, h, d, (400, 404), "%s %r%s" % (method, i, suffix))
        # the canary itself still answers, from its row, unchanged
        st, _, d = self.user.json("GET", "/spark/%s/status" % CANARY_ID)
        self.assertEqual((st, d["applicationState"]), (200, "COMPLETED"))

    def test_sql_injection_in_list_filters(self):
        lists = [(self.user, "/spark/mySubmissions"), (self.admin, "/admin/submissions")]
        for c, path in lists:
            # the caller has rows (the canary is the demo user's): an injected OR would list them
            st, _, d = c.json("GET", path + "?limit=1000")
            self.assertEqual(st, 200)
            self.assertIn(CANARY_ID, [s["submissionId"] for s in d["submissions"]])
            for p in SQLI:
                for name in ("state", "queue"):
                    st, h, d = c.json("GET", "%s?%s=%s" % (path, name, q(p)))
                    self.assertEqual((st, d), (200, {"submissions": []}), (path, name, p))
                for name in ("applicationName", "name"):
                    # only rows named exactly p (earlier runs may have stored such names)
                    st, h, d = c.json("GET", "%s?limit=1000&%s=%s" % (path, name, q(p)))
                    self.assertEqual(st, 200, (path, name, p, d))
                    self.assertEqual({s["applicationName"] for s in d["submissions"]} - {p}, set(), (name, p))
                    self.assertNotIn(CANARY_ID, [s["submissionId"] for s in d["submissions"]])
                    n = int(db("SELECT COUNT(*) FROM application_submission WHERE app_name = '%s'%s"
                               % (p.replace("\\", "\\\\").replace("'", "\\'"),
                                  " AND `user`='%s'" % ENV["BPG_USER"] if path.startswith("/spark") else "")))
                    self.assertEqual(len(d["submissions"]), n, (path, name, p))
                for name in ("limit", "createdAfter", "createdBefore", "next", "format"):
                    st, h, d = c.request("GET", "%s?%s=%s" % (path, name, q(p)))
                    msg = self.assertJsonError(st, h, d, (400,), "%s %s=%r" % (path, name, p))
                    self.assertTrue(msg.startswith(name + ":"), msg)
                st, h, d = c.request("GET", "%s?%s=1" % (path, q(p)))      # as a parameter name
                self.assertJsonError(st, h, d, (400,), "%s name %r" % (path, p))
            # the exact value, quotes and all, finds exactly the canary
            st, _, d = c.json("GET", "%s?limit=1000&applicationName=%s" % (path, q(CANARY_NAME)))
            self.assertEqual([s["submissionId"] for s in d["submissions"]], [CANARY_ID])
            # numbers are digits: no sign, space or overflow that strtoll would let through
            for bad in ("limit=%2B5", "limit=%205", "limit=5%20", "createdAfter=%2B1", "next=%2B1_c01-a",
                        "next=%201_c01-a", "next=99999999999999999999_c01-a", "next=-1_c01-a"):
                st, h, d = c.request("GET", "%s?%s" % (path, bad))
                msg = self.assertJsonError(st, h, d, (400,), bad)
                self.assertTrue(msg.startswith(bad.split("=")[0] + ":"), msg)
            # a cursor carrying SQL after a valid prefix
            st, h, d = c.request("GET", "%s?next=%s" % (path, q("1_c01-x' OR '1'='1")))
            self.assertJsonError(st, h, d, (400,), "cursor")
        st, h, d = self.admin.request("GET", "/admin/submissions?format=ndjson&name=%s" % q(SQLI[0]))
        self.assertEqual((st, d), (200, b""))

    def test_sql_injection_in_body_and_headers_is_stored_verbatim(self):
        name = "x'); DROP TABLE application_submission; -- \"\\ \u00e9\U0001F600\r\n\t"
        conf = "' OR '1'='1'; UPDATE application_submission SET `user`='admin' -- \\\""
        key = SQLI_NOSPACE[1] + uuid.uuid4().hex[:8]
        hostile = body(applicationName=name, sparkConf={"spark.bpg.hostile": conf}, arguments=SQLI)
        sid, _ = self.submit_ok(hostile, headers={"Idempotency-Key": key})
        # byte for byte in the columns and in the stored request
        self.assertEqual(hexcol("app_name", sid), name.encode().hex().upper())
        self.assertEqual(hexcol("idempotency_key", sid), key.encode().hex().upper())
        self.assertEqual(hexcol("`user`", sid), ENV["BPG_USER"].encode().hex().upper())
        stored = json.loads(bytes.fromhex(hexcol("request_body", sid)).decode())
        self.assertEqual(stored["applicationName"], name)
        self.assertEqual(stored["sparkConf"]["spark.bpg.hostile"], conf)
        self.assertEqual(stored["arguments"], SQLI)
        # and in the SparkApplication
        st, cr = sim(sid[:3], "GET", SIM_APPS + "/" + sid)
        self.assertEqual(st, 200)
        self.assertEqual(cr["spec"]["sparkConf"]["spark.bpg.hostile"], conf)
        self.assertEqual(cr["spec"]["arguments"], SQLI)
        # the API gives the same bytes back, and finds the row by them
        # (a filter cannot carry CR/LF: bpg_query refuses control characters)
        st, _, lst = self.user.json("GET", "/spark/mySubmissions?limit=1000")
        mine = [s for s in lst["submissions"] if s["submissionId"] == sid]
        self.assertEqual([s["applicationName"] for s in mine], [name])
        st, h, d = self.user.request("GET", "/spark/mySubmissions?applicationName=%s" % q(name))
        self.assertIn("applicationName", self.assertJsonError(st, h, d, (400,), "CR/LF in a filter"))
        # the key with SQL in it replays the same submission (the same request: issue 23)
        again, h = self.submit_ok(hostile, headers={"Idempotency-Key": key})
        self.assertEqual((again, h.get("idempotent-replayed")), (sid, "true"))

    def test_sql_injection_in_validated_fields_is_rejected(self):
        cases = []
        for p in SQLI + SQLI_NOSPACE:
            cases += [("queue", body(queue=p)), ("sparkVersion", body(sparkVersion=p)),
                      ("clusterId", body(clusterId=p)), ("submissionIdSuffix", body(submissionIdSuffix=p)),
                      ("driver.labels", body(driver={"labels": {"k": p}})),
                      ("executor.labels", body(executor={"labels": {p: "v"}})),
                      ("type", body(type=p))]
        for field, b in cases:
            st, h, d = self.submit(b)
            msg = self.assertJsonError(st, h, d, (400, 403), field)
            self.assertIn(field.split(".")[0], msg)
        proxy = Client(ENV["BPG_PROXY_USER"], ENV["BPG_PASSWORD"])
        for p in SQLI + SQLI_NOSPACE:
            if " " in p or '"' in p or "\\" in p:      # not a user name (bpg_auth)
                st, h, d = self.submit(body(), query="?dagUser=" + q(p), c=proxy)
                self.assertIn("dagUser", self.assertJsonError(st, h, d, (400,), "dagUser %r" % p))
            else:                                      # a strange but legal name: stored as sent
                sid, _ = self.submit_ok(body(), query="?dagUser=" + q(p), c=proxy)
                self.assertEqual(hexcol("`user`", sid), p.encode().hex().upper())
                self.assertEqual(hexcol("original_user", sid), ENV["BPG_PROXY_USER"].encode().hex().upper())
            st, h, d = self.submit(body(), query="?dryRun=" + q(p))
            self.assertIn("dryRun", self.assertJsonError(st, h, d, (400,), "dryRun %r" % p))
            for path in ("/healthcheck/status", "/spark/mySubmissions", "/spark/%s/status" % CANARY_ID):
                st, h, d = Client(p, p).request("GET", path)            # as Basic-auth credentials
                self.assertJsonError(st, h, d, (401,), "user %r" % p)
        proxy.close()

    # ---- path traversal and odd ids ----------------------------------------------------------

    def test_path_traversal_and_long_ids(self):
        paths = ["/spark/../../../etc/passwd", "/spark/%2e%2e/%2e%2e/%2e%2e/etc/passwd/status",
                 "/spark/..%2f..%2f..%2fetc%2fpasswd/status", "/spark/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "/spark/..%5c..%5cwindows/status", "/spark/.%2e/.%2e/admin/version",
                 "/spark/c01-x%2f..%2f..%2fadmin%2fsubmissions/status", "/spark/%252e%252e%252fadmin/spec",
                 "/spark/./././%2e/status", "/spark/c01-x/../../admin/submissions",
                 "/spark//status", "/spark/%20/status", "/spark/c01-%09x/driver", "/spark/%c0%ae%c0%ae/spec"]
        seen = set()
        for path in paths:
            for method in ("GET", "DELETE"):
                st, h, d = self.user.request(method, path)
                # never an admin answer for the demo user, never a file, never a 5xx
                self.assertJsonError(st, h, d, (400, 403, 404, 405), "%s %s" % (method, path))
                self.assertNotIn(b"root:", d)
                seen.add(st)
        self.assertIn(404, seen)
        # reaching an admin route through dot segments still needs an admin
        st, h, d = self.user.request("GET", "/spark/../admin/version")
        self.assertJsonError(st, h, d, (403,), "dot segments to admin")
        st, h, d = self.user.request("GET", "/spark/%2e%2e/admin/submissions")
        self.assertJsonError(st, h, d, (403,), "encoded dot segments to admin")
        for n, allowed in ((40, (400,)), (70, (400,)), (300, (400,)), (1100, (400,)), (9000, (400,)),
                           (40000, (414, 400))):
            for suffix in ("/status", "/spec", "/driver", "/describe", ""):
                for prefix in ("c01-", "spark-"):
                    method = "DELETE" if suffix == "" else "GET"
                    path = "/spark/" + prefix + "a" * n + suffix
                    if n >= 40000:     # nginx answers 414 and closes before reading it all
                        st, h, d, _ = raw_request(method, "/apiv2" + path)
                    else:
                        st, h, d = self.user.request(method, path)
                    # a well-formed Spark application id that is unknown is 404
                    ok = allowed + ((404,) if prefix == "spark-" and n < 40000 else ())
                    self.assertJsonError(st, h, d, ok, "%s id of %d%s" % (prefix, n, suffix))

    # ---- CR, LF and NUL ---------------------------------------------------------------------

    def test_crlf_nul_in_headers(self):
        sub = body()
        for name in (b"Idempotency-Key", b"Content-Type", b"User-Account", b"X-Request-Id"):
            for bad in (b"a\rX-Evil: 1", b"a\x00b", b"a\r\n X-Evil: 1", b"a\r\n\tX-Evil: 1"):
                st, h, d, head = raw_request("POST", "/apiv2/spark?dryRun=true",
                                             name + b": " + bad + b"\r\n", sub.encode())
                self.assertJsonError(st, h, d, (400,), "%s: %r" % (name, bad))
                self.assertNotIn("x-evil", h)
        # bytes nginx passes on: the worker refuses them, naming the header
        for bad in (b"\xff\xfe", b"a\x7fb", b"a b", b"\xc3\xa9t\xc3\xa9", b"a\x01b"):
            st, h, d, head = raw_request("POST", "/apiv2/spark", b"Idempotency-Key: " + bad + b"\r\n",
                                         sub.encode())
            self.assertIn("Idempotency-Key", self.assertJsonError(st, h, d, (400,), bad))
        st, h, d, head = raw_request("POST", "/apiv2/spark", b"Idempotency-Key: " + b"k" * 256 + b"\r\n",
                                     sub.encode())
        self.assertIn("Idempotency-Key", self.assertJsonError(st, h, d, (400,), "256-byte key"))
        # a hostile request id is replaced by nginx's own, never echoed
        for bad in (b"ab\xffcd", b"abc def", b"a" * 65, b"x;Set-Cookie=a", b"<script>"):
            st, h, d, head = raw_request("GET", "/apiv2/healthcheck/status", b"X-Request-Id: " + bad + b"\r\n")
            self.assertEqual(st, 200)
            self.assertRegex(h["x-request-id"], r"^[0-9a-f]{32}$")
        # a spoofed or hostile User-Account never authenticates nor changes the owner
        for bad in (b"admin", b"admin' OR '1'='1", b"\xff\xfeadmin"):
            st, h, d, head = raw_request("GET", "/apiv2/admin/version", b"User-Account: " + bad + b"\r\n")
            self.assertJsonError(st, h, d, (403,), bad)
        # odd content types on a valid body: read only as JSON or YAML, never guessed (the
        # Java gateway read any type as JSON: a cross-site text/plain form then submitted)
        st, h, d, head = raw_request("POST", "/apiv2/spark?dryRun=true",
                                     b"Content-Type: application/json; charset=\xff\xfe\r\n", sub.encode())
        self.assertEqual(st, 200, d[:200])
        self.assertEqual(json.loads(d)["kind"], "SparkApplication")
        for ct in (b"text/plain", b"\x01\x02", b"x" * 4000, b"application/x-www-form-urlencoded",
                   b"multipart/form-data; boundary=--'OR'1", b"text/plain; yaml"):
            st, h, d, head = raw_request("POST", "/apiv2/spark?dryRun=true", b"Content-Type: " + ct + b"\r\n",
                                         sub.encode())
            self.assertIn("unsupported Content-Type", self.assertJsonError(st, h, d, (415,), ct[:40]))
        # a YAML type reads the body as YAML (JSON is YAML): bad YAML is a JSON 400
        st, h, d, head = raw_request("POST", "/apiv2/spark?dryRun=true", b"Content-Type: TEXT/YAML\r\n",
                                     sub.encode())
        self.assertEqual(st, 200, d[:200])
        st, h, d, head = raw_request("POST", "/apiv2/spark", b"Content-Type: TEXT/YAML\r\n", b"a: [\xff")
        self.assertIn("Invalid YAML request", self.assertJsonError(st, h, d, (400,), "yaml"))

    def test_crlf_in_json_is_never_reflected_into_headers(self):
        evil = "x\r\nX-Evil: 1\r\nSet-Cookie: bpg=1\r\n\r\n<html>"
        for data in (body(applicationName=evil), body(sparkConf={"spark.x": evil}),
                     body(arguments=[evil]), body(driver={"annotations": {"a": evil}})):
            st, h, d = self.submit(data, query="?dryRun=true")
            self.assertEqual(st, 200, d[:300])
            self.assertNotIn("x-evil", h)
            self.assertNotIn("set-cookie", h)
        # in error messages the text is JSON-escaped inside the body, not in a header
        for data in ('{"%s":1}' % json.dumps(evil)[1:-1], body(queue=evil), body(sparkVersion=evil),
                     body(driver={"labels": {evil: "v"}})):
            st, h, d = self.submit(data)
            self.assertJsonError(st, h, d, (400,), data[:60])
            self.assertNotIn("x-evil", h)
            self.assertNotIn("set-cookie", h)
            self.assertNotIn(b"\r\nX-Evil", d)
        sid, h = self.submit_ok(body(applicationName=evil))
        self.assertNotIn("x-evil", h)
        self.assertEqual(hexcol("app_name", sid), evil.encode().hex().upper())
        for path in ("/spark/%s/status" % sid, "/spark/%s/spec" % sid, "/spark/%s/describe" % sid,
                     "/spark/%s/driver" % sid, "/spark/mySubmissions?limit=1000"):
            st, h, d = self.user.request("GET", path)
            self.assertEqual(st, 200, path)
            self.assertNotIn("x-evil", h)
            self.assertNotIn("set-cookie", h)
        st, h, d = self.admin.request("GET", "/admin/submissions?format=ndjson&limit=1000")
        self.assertEqual(st, 200)
        self.assertNotIn("x-evil", h)
        lines = d.split(b"\n")
        self.assertEqual(lines[-1], b"")
        items = [json.loads(l) for l in lines[:-1]]   # CR/LF escaped: every line is one submission
        self.assertEqual([i["applicationName"] for i in items if i["submissionId"] == sid], [evil])

    def test_nul_in_json_is_rejected_not_truncated(self):
        n = rows()
        for data in (body(applicationName="ab\u0000cd"), body(sparkConf={"spark.a\u0000b": "v"}),
                     body(sparkConf={"spark.a": "v\u0000w"}), body(arguments=["a", "\u0000"]),
                     body(mainClass="a.B\u0000C"), body(driver={"env": [{"name": "A", "value": "x\u0000"}]}),
                     body(sparkConf={"spark.a": "1", "spark.a\u0000": "2"})):
            self.assertIn("\\u0000", data)
            for query in ("", "?dryRun=true"):
                st, h, d = self.submit(data, query=query)
                msg = self.assertJsonError(st, h, d, (400,), data[-80:])
                self.assertIn("NUL", msg)
        self.assertEqual(rows(), n)
        # an escaped backslash before u0000 is not a NUL: stored as the six characters
        sid, _ = self.submit_ok(body(applicationName="a\\u0000b"))
        self.assertEqual(hexcol("app_name", sid), b"a\\u0000b".hex().upper())
        # raw NUL and raw control bytes inside strings are not JSON
        raw_nul = body(applicationName="ab").replace('"ab"', '"a\x00b"').encode()
        raw_ctl = body(applicationName="ab").replace('"ab"', '"a\x01\nb"').encode()
        for data, word in ((raw_nul, "NUL"), (raw_ctl, "control")):
            st, h, d = self.submit(data)
            self.assertIn(word, self.assertJsonError(st, h, d, (400,), data[-40:]))

    # ---- sizes --------------------------------------------------------------------------------

    def test_oversized_headers_and_uris(self):
        for extra in (b"X-Big: " + b"a" * 20000 + b"\r\n",
                      b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 8000) for i in range(10)),
                      b"Idempotency-Key: " + b"k" * 17000 + b"\r\n",
                      b"Cookie: " + b"c=" * 40000 + b"\r\n"):
            for method, path in (("GET", "/apiv2/healthcheck/status"), ("POST", "/apiv2/spark"),
                                 ("GET", "/apiv2/admin/submissions")):
                st, h, d, _ = raw_request(method, path, extra, b"{}" if method == "POST" else b"")
                self.assertJsonError(st, h, d, (400, 431), "%s %s %d" % (method, path, len(extra)))
        # many small headers fit and reach a worker that survives them
        st, h, d, _ = raw_request("GET", "/apiv2/healthcheck/status",
                                  b"".join(b"X-H%d: v%d\r\n" % (i, i) for i in range(300)))
        self.assertEqual(st, 200)
        for path in ("/apiv2/spark/mySubmissions?name=" + "n" * 40000, "/apiv2/" + "p" * 40000):
            st, h, d, _ = raw_request("GET", path)
            self.assertJsonError(st, h, d, (414, 400), path[:40])
        st, h, d, _ = raw_request("GET", "/apiv2/spark/mySubmissions?name=" + "n" * 5000)
        self.assertIn("query string", self.assertJsonError(st, h, d, (400,), "5k query"))

    def test_oversized_bodies(self):
        big = b'{"applicationName":"' + b"x" * (2 << 20) + b'"}'
        for path in ("/spark", "/spark?dryRun=true", "/spark/mySubmissions", "/admin/submissions"):
            c = self.admin if path.startswith("/admin") else self.user
            st, h, d = c.request("POST" if path.startswith("/spark?") or path == "/spark" else "GET", path,
                                 body=big, headers=JSON_CT)
            self.assertJsonError(st, h, d, (413,), path)
        st, h, d, _ = raw_request("POST", "/apiv2/spark", b"Content-Type: application/json\r\n", big,
                                  chunked=True)
        self.assertJsonError(st, h, d, (413,), "chunked")
        # under nginx's limit, over the field limits
        st, h, d = self.submit(body(applicationName="x" * 900000))
        self.assertIn("applicationName", self.assertJsonError(st, h, d, (400,), "900k name"))
        st, h, d = self.submit(body(sparkConf={"spark.x": "v" * 9000}))
        self.assertIn("sparkConf", self.assertJsonError(st, h, d, (400,), "9k conf value"))
        # a Content-Length that lies (more than is sent) ends cleanly, not in a hung worker
        st, h, d, _ = raw(b"POST /apiv2/spark HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic " +
                          base64.b64encode(("%s:%s" % (ENV["BPG_USER"], ENV["BPG_PASSWORD"])).encode()) +
                          b"\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}")
        self.assertJsonError(st, h, d, (400,), "bad Content-Length")

    def test_deep_nesting_huge_arrays_numbers_duplicates(self):
        m = OPEN
        cases = [
            (b"[" * 200000, "nested deeper"),
            (b"{\"a\":" * 100000, "nested deeper"),
            ((m + ',"sparkConf":{"a":' + "[" * 40 + "]" * 40 + "}}").encode(), "nested deeper"),
            (body(arguments=["x"] * 100000).encode(), "arguments"),
            (body(arguments=[[["x"]]]).encode(), "arguments"),
            (body(sparkConf={"k%d" % i: "v" for i in range(1001)}).encode(), "sparkConf"),
            (body(driver={"env": [{"name": "E%d" % i, "value": "v"} for i in range(300)]}).encode(), "env"),
            (body(volumes=[{"name": "v%d" % i, "emptyDir": {}} for i in range(100)]).encode(), "volumes"),
            ((m + ',"driver":{"cores":1e400}}').encode(), "driver.cores"),
            ((m + ',"driver":{"cores":-1e400}}').encode(), "driver.cores"),
            ((m + ',"driver":{"cores":99999999999999999999999999}}').encode(), "driver.cores"),
            ((m + ',"executor":{"instances":1e20}}').encode(), "executor.instances"),
            ((m + ',"executor":{"instances":-1}}').encode(), "executor.instances"),
            ((m + ',"driver":{"memory":"99999999999999999999g"}}').encode(), "driver.memory"),
            ((m + ',"driver":{"cores":NaN}}').encode(), "JSON"),
            ((m + ',"driver":{"cores":Infinity}}').encode(), "JSON"),
            ((m + ',"sparkConf":{"a":12345678901234567890123}}').encode(), "sparkConf.a"),
            ((m + ',"sparkConf":{"a":1e300}}').encode(), "sparkConf.a"),
            ((m + ',"applicationName":"a","applicationName":"b"}').encode(), "applicationName"),
            ((m + ',"sparkConf":{"a":"1","a":"2"}}').encode(), "sparkConf"),
            ((m + ',"driver":{"cores":1},"driver":{"cores":2}}').encode(), "driver"),
            ((m + ',"driver":{"cores":1,"cores":2}}').encode(), "driver"),
            (b'{"sparkVersion":"3.5"}{"sparkVersion":"3.5"}', "trailing"),
        ]
        n = rows()
        for data, word in cases:
            for query in ("", "?dryRun=true"):
                st, h, d = self.submit(data, query=query)
                msg = self.assertJsonError(st, h, d, (400,), data[:80])
                self.assertIn(word, msg, data[:80])
        self.assertEqual(rows(), n)

    def test_numbers_coerced_to_strings_exactly(self):
        m = OPEN
        data = (m + ',"sparkConf":{"a":1000000000000000,"b":0.1,"c":9007199254740991,"d":123.456,'
                '"e":0.30000000000000004,"f":4294967296000,"g":-42,"h":1e3,"i":2.5e-7}}')
        st, h, d = self.submit(data, query="?dryRun=true")
        self.assertEqual(st, 200, d[:300])
        conf = json.loads(d)["spec"]["sparkConf"]
        got = {k: conf[k] for k in "abcdefghi"}
        self.assertEqual(got, {"a": "1000000000000000", "b": "0.1", "c": "9007199254740991", "d": "123.456",
                               "e": "0.30000000000000004", "f": "4294967296000", "g": "-42", "h": "1000",
                               "i": "2.5e-07"})
        # too large to keep exactly: refused, never rounded
        for num in ("9007199254740993", "12345678901234567", "1e300", "-1e20"):
            st, h, d = self.submit(m + ',"sparkConf":{"spark.n":%s}}' % num, query="?dryRun=true")
            self.assertIn("sparkConf.spark.n", self.assertJsonError(st, h, d, (400,), num))

    # ---- encodings and malformed bodies ------------------------------------------------------

    def test_invalid_utf8_in_bodies_and_queries(self):
        m = OPEN.encode()
        for bad in (b"\xff", b"\xc3\x28", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                    b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"\x80"):
            for data in (m + b',"applicationName":"' + bad + b'"}', m + b',"sparkConf":{"' + bad + b'":"v"}}',
                         m + b',"arguments":["' + bad + b'"]}', m + b"}" + bad, bad + m + b"}"):
                st, h, d = self.submit(data)
                self.assertIn("UTF-8", self.assertJsonError(st, h, d, (400,), data[-30:]))
        for esc in ("\\ud800", "\\udfff", "\\ud800\\u0041", "\\uZZZZ", "\\u12", "\\x41", "\\q", "\\u"):
            st, h, d = self.submit(m + b',"applicationName":"a' + esc.encode() + b'b"}')
            self.assertJsonError(st, h, d, (400,), esc)
        lists = [(self.user, "/spark/mySubmissions"), (self.admin, "/admin/submissions")]
        for c, path in lists:
            for name in ("state", "queue", "applicationName", "name", "next", "limit"):
                for bad in ("%ff", "%c3%28", "%ed%a0%80", "%e2%82", "%00", "%0d%0a", "%", "%4", "%zz"):
                    st, h, d = c.request("GET", "%s?%s=a%s" % (path, name, bad))
                    msg = self.assertJsonError(st, h, d, (400,), "%s %s=%s" % (path, name, bad))
                    self.assertTrue(msg.startswith(name + ":"), msg)
            st, h, d = c.request("GET", path + "?%ff=1")
            self.assertJsonError(st, h, d, (400,), "bad name")
        for query in ("?dryRun=%ff", "?dagUser=%c3%28", "?dryRun=true&dryRun=true", "?%00=1", "?x=1"):
            st, h, d = self.submit(body(), query=query)
            self.assertJsonError(st, h, d, (400,), query)
        # endpoints without parameters ignore the query string, whatever it holds
        for c, path in ((self.admin, "/admin/version"), (self.user, "/healthcheck/status"),
                        (self.admin, "/metrics"), (Client(), "/openapi.json")):
            for query in ("?%ff=%fe", "?a=%00", "?x=" + q(SQLI[3]), "?" + "z" * 3000):
                st, h, d = c.request("GET", path + query)
                self.assertEqual(st, 200, path + query[:20])

    def test_empty_truncated_and_wrong_bodies(self):
        for data, word in ((b"", "empty body"), (b" \r\n\t", "malformed"), (b"null", "JSON object"),
                           (b"[]", "JSON object"), (b'"str"', "JSON object"), (b"42", "JSON object"),
                           (b"{}", "sparkVersion"), (b"{,}", "malformed"), (b"{'a':1}", "malformed"),
                           (b'{"a":1,}', "malformed"), (b"\xef\xbb\xbf", "malformed"),
                           (b"sparkVersion=3.5&mainApplicationFile=x", "malformed"),
                           (b"--x\r\nContent-Disposition: form-data\r\n\r\n{}\r\n--x--", "malformed")):
            st, h, d = self.submit(data, query="?dryRun=true")
            self.assertIn(word, self.assertJsonError(st, h, d, (400,), data[:40]))
        # every proper prefix of a valid request is malformed
        full = json.dumps(MINIMAL, separators=(",", ":")).encode()
        n = rows()
        for i in range(len(full)):
            st, h, d = self.submit(full[:i], query="?dryRun=true" if i % 2 else "")
            self.assertJsonError(st, h, d, (400,), full[:i])
        self.assertEqual(rows(), n)
        self.assertEqual(self.submit(full, query="?dryRun=true")[0], 200)
        # bodies on routes that take none are ignored, not parsed
        for method, path in (("GET", "/healthcheck/status"), ("GET", "/spark/%s/status" % CANARY_ID),
                             ("DELETE", "/spark/c01-%s" % uuid.uuid4().hex)):
            st, h, d = self.user.request(method, path, body=b"\xff\x00{[" * 100, headers=JSON_CT)
            self.assertIn(st, (200, 404), (path, d))


if __name__ == "__main__":
    unittest.main()
