"""bpg.py: helpers for the integration tests: the stack's settings and an HTTPS client."""
import base64
import contextlib
import http.client
import json
import os
import ssl
import subprocess
import time
import unittest
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load_env(path=None):
    path = path or os.environ.get("BPG_STACK_ENV") or os.path.join(ROOT, "run", "stack.env")
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


ENV = load_env()


class Client:
    """One keep-alive HTTPS connection to nginx, verifying the stack's CA."""

    def __init__(self, user=None, password=None, timeout=10):
        u = urllib.parse.urlsplit(ENV["BPG_URL"])
        self.host, self.port, self.base = u.hostname, u.port, u.path
        self.ctx = ssl.create_default_context(cafile=ENV["BPG_CACERT"])
        self.timeout = timeout
        self.auth = None
        if user is not None:
            self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.conn = None

    def request(self, method, path, body=None, headers=None, base=None):
        """Returns (status, headers dict lowercased, body bytes); reconnects once if needed."""
        h = dict(headers or {})
        if self.auth and "Authorization" not in h:
            h["Authorization"] = self.auth
        url = (self.base if base is None else base) + path
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                        timeout=self.timeout)
            try:
                self.conn.request(method, url, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise

    def json(self, method, path, **kw):
        status, headers, data = self.request(method, path, **kw)
        return status, headers, json.loads(data) if data else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def user_client():
    return Client(ENV["BPG_USER"], ENV["BPG_PASSWORD"])


def admin_client():
    return Client(ENV["BPG_ADMIN_USER"], ENV["BPG_ADMIN_PASSWORD"])


def stack(*args):
    """Runs t/stack ARGS... RUN_DIR for this stack (db-stop, db-start, ...)."""
    subprocess.run([os.path.join(ROOT, "t", "stack"), args[0], ENV["BPG_RUN_DIR"]] + list(args[1:]),
                   check=True, env=dict(os.environ, BPG_PORT_BASE=str(int(ENV["MYSQL_PORT"]) - 306)))


def recv_all(sock):
    """Everything sock receives until the peer closes it."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def poll(fn, timeout, interval=0.05):
    """Calls fn until it returns a true value or timeout seconds pass; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def worker_pids():
    """The pids of the FastCGI workers (children of multiwatch)."""
    with open(ENV["BPG_MULTIWATCH_PID"]) as f:
        mw = f.read().strip()
    out = subprocess.run(["pgrep", "-P", mw], capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in out)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sim_port(cid):
    return dict(p.split(":") for p in ENV["KUBESIM_PORTS"].split(","))[cid]


def real_cluster(cid):
    """True when the stack points cluster CID at a real API server (make test-k8s: c01)."""
    return bool(ENV.get("BPG_%s_API_SERVER" % cid.upper()))


def skip_on_real(cid, why):
    """Skips the calling test, visibly, when CID is a real API server."""
    if real_cluster(cid):
        raise unittest.SkipTest("%s is a real kube-apiserver: %s" % (cid, why))


def sim(cid, method, path, body=None, token=True, ctype="application/json"):
    """A request to a simulated cluster's API (or its /_sim/ control API without token).
    On a cluster the stack points at a real API server, the same API call goes there (as its admin
    with BPG_K8S_ADMIN_TOKEN_FILE in the environment, else as the gateway), and a test that needs
    kubesim's /_sim/ controls is skipped."""
    if real_cluster(cid):
        if path.startswith("/_sim"):
            skip_on_real(cid, "the test drives kubesim's %s control" % path.split("?")[0])
        u = urllib.parse.urlsplit(ENV["BPG_%s_API_SERVER" % cid.upper()])
        ctx = ssl.create_default_context(cafile=ENV["BPG_%s_CA_FILE" % cid.upper()])
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
        tf = os.environ.get("BPG_K8S_ADMIN_TOKEN_FILE") or ENV["BPG_%s_TOKEN_FILE" % cid.upper()]
    else:
        d = ENV["KUBESIM_DIR"]
        ctx = ssl.create_default_context(cafile=os.path.join(d, cid, "ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", int(sim_port(cid)), context=ctx, timeout=30)
        tf = os.path.join(d, cid, "token")
    h = {}
    if token:
        with open(tf) as f:
            h["Authorization"] = "Bearer " + f.read().strip()
    if body is not None:
        body = json.dumps(body)
        h["Content-Type"] = ctype
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, (json.loads(data) if data and r.getheader("Content-Type", "").startswith("application/json")
                      else data)


SIM_APPS = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications"


def db(stmt):
    """Runs SQL as MariaDB's root on the stack's database; returns the rows as tab-separated text."""
    return subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=" + ENV["MYSQL_SOCKET"],
                           ENV["MYSQL_DATABASE"], "-N", "-e", stmt],
                          check=True, capture_output=True, text=True).stdout


@contextlib.contextmanager
def stopped_clock(cid):
    """Stops simulated cluster cid's clock for the block (sim_advance moves it), then restores
    its speed: each state of an application lasts until the test moves on, however slow the machine."""
    speed = sim(cid, "GET", "/_sim/clock", token=False)[1]["speed"]
    sim(cid, "POST", "/_sim/clock", {"speed": 0}, token=False)
    try:
        yield
    finally:
        sim(cid, "POST", "/_sim/clock", {"speed": speed}, token=False)


def sim_advance(cid, seconds):
    """Moves cid's simulated clock on; the transitions due by then are done when it returns."""
    st, body = sim(cid, "POST", "/_sim/clock", {"advance_seconds": seconds}, token=False)
    assert st == 200, body


def next_wall_second():
    """Waits until the wall clock is in a later second than now (the simulator's timestamps
    have whole seconds): a time written after it is later than one written before."""
    start = int(time.time())
    assert poll(lambda: int(time.time()) > start, 5, 0.01)


def s3_client(**s3_options):
    """A boto3 S3 client on the stack's moto, with the stack's credentials and bounded timeouts;
    s3_options are botocore's S3 settings (addressing_style="path", ...)."""
    import boto3
    import botocore.config
    return boto3.client("s3", endpoint_url=ENV["S3_ENDPOINT"], region_name="us-east-1",
                        aws_access_key_id=ENV["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=ENV["AWS_SECRET_ACCESS_KEY"],
                        config=botocore.config.Config(connect_timeout=5, read_timeout=30,
                                                      s3=s3_options or None))
