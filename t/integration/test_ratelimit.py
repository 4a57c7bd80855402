"""Rate limits through nginx: per verified user in the workers, per address on failed logins.

The stack runs with generous limits, so this test starts its own FastCGI pool (4 workers, the
stack's bpg.ini with a low [ratelimit]) and its own nginx (the stack's nginx.conf with a low
failed-authentication budget) in a temporary folder. Each test talks from its own loopback
address (127.0.0.N), so the per-address budgets of one test do not leak into another.
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from bpg import ENV, ROOT, poll, worker_pids
from bpgtest import free_port

AUTHFAIL_PER_MIN = 6      # one failed authentication back every 10 s
AUTHFAIL_BURST = 3
WORKERS = 4
LIMITS = {                # class: (rate per second, burst); the rates refill nothing in a test
    "submit": (0.01, 2),
    "list": (0.01, 5),
    "poll": (0.01, 30),
    "other": (0.01, 8),
}
NOSUCH = "c01-" + "0" * 32    # a well-formed submission id that does not exist: 404


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in out)


class RateLimitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bpg-ratelimit-")
        cls.port = free_port()
        cls.start_pool()
        cls.start_nginx()

    @classmethod
    def start_pool(cls):
        d = cls.dir
        with open(ENV["BPG_CONFIG"]) as f:
            ini = f.read()
        rl = "[ratelimit]\nfile = %s/ratelimit.shm\n" % d
        for k, (rate, burst) in LIMITS.items():
            rl += "%s_rate = %s\n%s_burst = %d\n" % (k, rate, k, burst)
        ini, n = re.subn(r"\[ratelimit\]\n(?:[^\[\n][^\n]*\n)*", rl + "\n", ini)
        assert n == 1, "the stack's bpg.ini has no [ratelimit] section"
        ini = re.sub(r"(?m)^metrics_file = .*$", "metrics_file = %s/metrics.shm" % d, ini)
        with open(os.path.join(d, "bpg.ini"), "w") as f:
            f.write(ini)
        # the stack's own worker binary (an ASan build when the stack runs one)
        fcgi = os.readlink("/proc/%d/exe" % worker_pids()[0])
        cls.sock = os.path.join(d, "bpg.sock")
        cls.worker_log = os.path.join(d, "worker.log")
        subprocess.run(["spawn-fcgi", "-s", cls.sock, "-M", "0666", "-P", os.path.join(d, "multiwatch.pid"), "--",
                        "/usr/bin/multiwatch", "-f", str(WORKERS), "-s", "TERM", "--",
                        fcgi, "--config", os.path.join(d, "bpg.ini"), "--log", cls.worker_log],
                       check=True, capture_output=True)
        with open(os.path.join(d, "multiwatch.pid")) as f:
            cls.multiwatch = int(f.read().strip())
        assert poll(lambda: len(children(cls.multiwatch)) == WORKERS and os.path.exists(cls.sock), 10)

    @classmethod
    def start_nginx(cls):
        d, run = cls.dir, ENV["BPG_RUN_DIR"]
        nginx_dir = os.path.join(run, "nginx")
        with open(os.path.join(nginx_dir, "nginx.conf")) as f:
            conf = f.read()
        for name in ("nginx.pid", "error.log", "access.log"):
            conf = conf.replace(os.path.join(nginx_dir, name), os.path.join(d, name))
        conf = conf.replace(os.path.join(nginx_dir, "tmp"), d)
        conf = conf.replace(os.path.join(run, "fcgi", "bpg.sock"), cls.sock)
        conf = re.sub(r"listen 127\.0\.0\.1:\d+ ssl;", "listen 127.0.0.1:%d ssl;" % cls.port, conf)
        conf = conf.replace("shared:bpgssl:10m", "shared:bpgssl2:1m")
        conf, n1 = re.subn(r"zone=authfail:10m rate=\d+r/m", "zone=authfail:10m rate=%dr/m" % AUTHFAIL_PER_MIN, conf)
        conf, n2 = re.subn(r"zone=authfail burst=\d+", "zone=authfail burst=%d" % AUTHFAIL_BURST, conf)
        conf, n3 = re.subn(r"(/_bpg_error/429auth \{[^}]*Retry-After )\d+", r"\g<1>10", conf)
        assert (n1, n2, n3) == (1, 1, 1), "the stack's nginx.conf changed: %r" % ((n1, n2, n3),)
        cls.access_log = os.path.join(d, "access.log")
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)
        subprocess.run(["nginx", "-c", os.path.join(d, "nginx.conf"), "-e", os.path.join(d, "error.log")], check=True)
        assert poll(lambda: os.path.exists(os.path.join(d, "nginx.pid")), 5)

    @classmethod
    def tearDownClass(cls):
        for pidfile in ("nginx.pid", "multiwatch.pid"):
            try:
                with open(os.path.join(cls.dir, pidfile)) as f:
                    pid = int(f.read())
                kids = children(pid)
                os.kill(pid, signal.SIGTERM)
                for k in kids:      # never leave a worker stopped by a failed test
                    try:
                        os.kill(k, signal.SIGCONT)
                    except OSError:
                        pass
                poll(lambda: not os.path.exists("/proc/%d" % pid) and
                     not any(os.path.exists("/proc/%d" % k) for k in kids), 10)
            except (OSError, ValueError):
                pass
        shutil.rmtree(cls.dir, ignore_errors=True)

    def call(self, user, password, path, source="127.0.0.1", headers=None, base="/apiv2"):
        """One request on a fresh connection from address source: (status, headers, body)."""
        ctx = ssl.create_default_context(cafile=ENV["BPG_CACERT"])
        c = http.client.HTTPSConnection("localhost", self.port, context=ctx, timeout=20,
                                        source_address=(source, 0))
        h = dict(headers or {})
        if user is not None:
            h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        c.request("GET", base + path, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def password(self, user):
        return ENV["BPG_ADMIN_PASSWORD"] if user == ENV["BPG_ADMIN_USER"] else ENV["BPG_PASSWORD"]

    def until_429(self, user, path, cap=50):
        """Requests path as user until a 429; returns the statuses before it and the 429."""
        seen = []
        for _ in range(cap):
            st, h, body = self.call(user, self.password(user), path)
            if st == 429:
                return seen, (h, body)
            seen.append(st)
        self.fail("no 429 for %s on %s after %d requests: %r" % (user, path, cap, seen))

    def assert_429_json(self, headers, body, max_retry):
        self.assertEqual(headers["content-type"], "application/json")
        j = json.loads(body)
        self.assertEqual(j["code"], 429)
        self.assertTrue(j["message"])
        retry = int(headers["retry-after"])
        self.assertGreaterEqual(retry, 1)
        self.assertLessEqual(retry, max_retry)
        self.assertIn("x-request-id", headers)

    def test_wrong_passwords_do_not_lock_out_the_user(self):
        """A stranger hammering demo's name is slowed; the real demo keeps its answers."""
        stranger, real = [], []
        for i in range(12):
            stranger.append(self.call(ENV["BPG_USER"], "wrong-%d" % i, "/spark/%s/status" % NOSUCH,
                                      source="127.0.0.2")[0])
            real.append(self.call(ENV["BPG_USER"], ENV["BPG_PASSWORD"], "/spark/%s/status" % NOSUCH,
                                  source="127.0.0.2")[0])
        self.assertEqual(stranger[:AUTHFAIL_BURST + 1], [401] * (AUTHFAIL_BURST + 1))
        self.assertEqual(set(stranger[AUTHFAIL_BURST + 1:]), {429}, stranger)
        # the real user, from the very same address, is neither locked out nor slowed
        self.assertEqual(set(real), {404}, real)

    def test_guessing_across_names_reaches_429(self):
        """Rotating made-up names from one address: 401, then 429 with JSON and Retry-After."""
        codes, last = [], None
        for i in range(10):
            st, h, body = self.call("guess%d" % i, "pw%d" % i, "/healthcheck/status", source="127.0.0.3")
            codes.append(st)
            if st == 429:
                last = (h, body)
        self.assertEqual(codes[:AUTHFAIL_BURST + 1], [401] * (AUTHFAIL_BURST + 1))
        self.assertEqual(set(codes[AUTHFAIL_BURST + 1:]), {429}, codes)
        self.assert_429_json(last[0], last[1], 10)
        self.assertEqual(last[0]["retry-after"], "10")
        self.assertIn("www-authenticate", self.call("x", "y", "/healthcheck/status", source="127.0.0.9")[1])
        # asking without credentials is no guess: clients that wait for the challenge keep getting it
        for _ in range(AUTHFAIL_BURST + 3):
            st, h, body = self.call(None, None, "/healthcheck/status", source="127.0.0.3")
            self.assertEqual(st, 401)
            self.assertEqual(h["www-authenticate"], 'Basic realm="bpg"')
            self.assertEqual(json.loads(body)["code"], 401)
        # a client's own X-Forwarded-For is not trusted: a new one per request does not help
        codes = [self.call("fwd%d" % i, "pw", "/healthcheck/status", source="127.0.0.4",
                           headers={"X-Forwarded-For": "10.9.%d.1" % i})[0] for i in range(10)]
        self.assertIn(429, codes)
        self.assertEqual(set(codes[AUTHFAIL_BURST + 1:]), {429}, codes)
        # nginx logs every refusal with the claimed name, the address and the request id,
        # never the password
        with open(self.access_log) as f:
            log = f.read()
        self.assertRegex(log, r"127\.0\.0\.3 guess0 \[[^\]]*\] \"GET /apiv2/healthcheck/status HTTP/1\.1\" 401 .*req=\S+")
        self.assertRegex(log, r"127\.0\.0\.3 guess9 \[[^\]]*\] \"GET [^\"]*\" 429 .*req=\S+")
        self.assertNotIn("pw9", log)

    def test_two_users_do_not_share_a_budget(self):
        """demo exhausts its list budget: 429 JSON + Retry-After; admin is not affected."""
        before, (h, body) = self.until_429(ENV["BPG_USER"], "/spark/mySubmissions")
        self.assertEqual(before, [200] * LIMITS["list"][1])
        self.assert_429_json(h, body, int(1 / LIMITS["list"][0]))
        # the budget is the user's, whichever base path it calls
        st, _, _ = self.call(ENV["BPG_USER"], ENV["BPG_PASSWORD"], "/spark/mySubmissions", base="/skatev2")
        self.assertEqual(st, 429)
        st, _, _ = self.call(ENV["BPG_ADMIN_USER"], ENV["BPG_ADMIN_PASSWORD"], "/spark/mySubmissions")
        self.assertEqual(st, 200)

    def test_polls_have_their_own_budget(self):
        """Status polls keep working once the user's list budget is spent."""
        user = ENV["BPG_OTHER_USER"]
        self.until_429(user, "/spark/mySubmissions")
        polls = [self.call(user, ENV["BPG_PASSWORD"], "/spark/%s/%s" % (NOSUCH, k))[0]
                 for k in ("status", "spec", "driver", "describe") * 3]
        self.assertEqual(set(polls), {404}, polls)
        # and the poll budget is a budget too
        before, (h, body) = self.until_429(user, "/spark/%s/status" % NOSUCH)
        self.assertEqual(len(before) + len(polls), LIMITS["poll"][1])
        self.assert_429_json(h, body, int(1 / LIMITS["poll"][0]))

    def test_workers_share_one_bucket(self):
        """Each worker in turn serves the user alone: together they grant one burst, not four."""
        user = ENV["BPG_PROXY_USER"]
        workers = children(self.multiwatch)
        self.assertEqual(len(workers), WORKERS)
        per_worker = []
        for w in workers:
            others = [o for o in workers if o != w]
            for o in others:
                os.kill(o, signal.SIGSTOP)
            try:
                per_worker.append([self.call(user, ENV["BPG_PASSWORD"], "/healthcheck/status")[0]
                                   for _ in range(4)])
            finally:
                for o in others:
                    os.kill(o, signal.SIGCONT)
        self.assertEqual(children(self.multiwatch), workers)   # the same four served
        granted = sum(s.count(200) for s in per_worker)
        self.assertEqual(granted, LIMITS["other"][1], per_worker)
        # per-worker buckets would have granted all 16; the last two workers found it empty
        self.assertEqual(per_worker[2:], [[429] * 4, [429] * 4], per_worker)

    def test_refusals_are_counted_and_logged(self):
        """bpg_denied_total counts 429s and 403s by class; the worker logs who was refused."""
        user = ENV["BPG_PROXY_USER"]
        self.until_429(user, "/admin/submissions")            # 403s until the list budget is gone
        st, _, body = self.call(ENV["BPG_ADMIN_USER"], ENV["BPG_ADMIN_PASSWORD"], "/metrics")
        self.assertEqual(st, 200)
        text = body.decode()
        m = re.search(r'^bpg_denied_total\{reason="ratelimit",class="list"\} (\d+)$', text, re.M)
        self.assertTrue(m and int(m.group(1)) >= 1, text)
        m = re.search(r'^bpg_denied_total\{reason="forbidden",class="list"\} (\d+)$', text, re.M)
        self.assertTrue(m and int(m.group(1)) >= LIMITS["list"][1], text)

        def logged():
            with open(self.worker_log) as f:
                return [ln for ln in f if "msg=denied" in ln and "claimed_user=%s" % user in ln]
        lines = poll(lambda: [ln for ln in logged() if "status=429" in ln], 5)
        self.assertTrue(lines)
        self.assertRegex(lines[0], r"req=\S+ .*class=list .*addr=127\.0\.0\.1")
        with open(self.worker_log) as f:
            self.assertNotIn(ENV["BPG_PASSWORD"], f.read())

    def test_429_documented(self):
        """Every operation that needs a user documents the 429 and its Retry-After."""
        with open(os.path.join(ROOT, "fcgi", "openapi.json")) as f:
            doc = json.load(f)
        for path, ops in doc["paths"].items():
            for method, op in ops.items():
                if method != "servers" and "401" in op["responses"]:
                    self.assertIn("Retry-After", op["responses"]["429"]["headers"], (method, path))


if __name__ == "__main__":
    unittest.main()
