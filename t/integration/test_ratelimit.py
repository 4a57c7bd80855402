"""Per-user rate limits: the stack's own nginx configuration, run with a low rate, answers 429 JSON."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest
import base64
import http.client
import ssl

from bpg import ENV, poll


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class RateLimitTest(unittest.TestCase):
    def setUp(self):
        run = ENV["BPG_RUN_DIR"]
        with open(os.path.join(run, "nginx", "nginx.conf")) as f:
            conf = f.read()
        self.dir = tempfile.mkdtemp(prefix="bpg-ratelimit-")
        self.port = free_port()
        nginx_dir = os.path.join(run, "nginx")
        conf = conf.replace(os.path.join(nginx_dir, "nginx.pid"), os.path.join(self.dir, "nginx.pid"))
        conf = conf.replace(os.path.join(nginx_dir, "error.log"), os.path.join(self.dir, "error.log"))
        conf = conf.replace(os.path.join(nginx_dir, "access.log"), os.path.join(self.dir, "access.log"))
        conf = conf.replace(os.path.join(nginx_dir, "tmp"), self.dir)
        conf = re.sub(r"listen 127\.0\.0\.1:\d+ ssl;", "listen 127.0.0.1:%d ssl;" % self.port, conf)
        # one request a minute and a burst of 2: the 4th request within a minute is refused,
        # however slow the machine (at 1r/s, slow requests would all pass)
        conf = re.sub(r"rate=\S+;", "rate=1r/m;", conf)
        conf = re.sub(r"burst=\d+", "burst=2", conf)
        conf = conf.replace("shared:bpgssl:10m", "shared:bpgssl2:1m")
        self.assertIn("rate=1r/m", conf)
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        subprocess.run(["nginx", "-c", os.path.join(self.dir, "nginx.conf"), "-e", os.path.join(self.dir, "error.log")],
                       check=True)
        self.assertTrue(poll(lambda: os.path.exists(os.path.join(self.dir, "nginx.pid")), 30))

    def tearDown(self):
        pid = os.path.join(self.dir, "nginx.pid")
        try:
            with open(pid) as f:
                os.kill(int(f.read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        poll(lambda: not os.path.exists(pid), 30)   # nginx removes it when it has exited
        shutil.rmtree(self.dir, ignore_errors=True)

    def get(self, user, password):
        ctx = ssl.create_default_context(cafile=ENV["BPG_CACERT"])
        c = http.client.HTTPSConnection("localhost", self.port, context=ctx, timeout=10)
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        c.request("GET", "/apiv2/healthcheck/status", headers={"Authorization": "Basic " + auth})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def test_abuse_gets_429_json_others_do_not(self):
        results = [self.get(ENV["BPG_USER"], ENV["BPG_PASSWORD"]) for _ in range(5)]
        codes = [r[0] for r in results]
        self.assertEqual(codes, [200, 200, 200, 429, 429])
        status, headers, data = next(r for r in results if r[0] == 429)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(headers.get("retry-after"), "1")
        import json
        self.assertEqual(json.loads(data)["code"], 429)
        # the limit is per user: another user is not throttled by the first one's burst
        st, _, _ = self.get(ENV["BPG_ADMIN_USER"], ENV["BPG_ADMIN_PASSWORD"])
        self.assertEqual(st, 200)


if __name__ == "__main__":
    unittest.main()
