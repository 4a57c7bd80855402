"""A stack's settings (stack.env), its database, its simulated clusters, its S3, its workers; and
Stack, a private stack that a bench script brings up on its own ports (t/stack)."""
import http.client
import json
import os
import random
import socket
import ssl
import subprocess
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def load_env(path):
    """A KEY=VALUE file (stack.env) as a dict; blank lines and # comments are skipped."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


def read_ini(path):
    """An INI file (the gateway's config) as {section: {key: value}}."""
    cfg, sec = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in ";#":
                continue
            if line.startswith("["):
                sec = line.strip("[]")
                cfg.setdefault(sec, {})
            elif "=" in line and sec:
                k, v = line.split("=", 1)
                cfg[sec][k.strip()] = v.strip()
    return cfg


def mariadb(env, stmt, *opts, database=None):
    """Runs SQL (on stdin) as MariaDB's root on the stack's database with the client options opts
    ("-N", "-B", ...); returns its output as text."""
    return subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=" + env["MYSQL_SOCKET"],
                           database or env["MYSQL_DATABASE"]] + list(opts), input=stmt, check=True,
                          capture_output=True, text=True).stdout


def poll(fn, timeout, interval=0.05):
    """Calls fn until it returns a true value or timeout seconds pass; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def worker_pids(env):
    """The pids of the FastCGI workers (children of multiwatch), sorted."""
    with open(env["BPG_MULTIWATCH_PID"]) as f:
        mw = f.read().strip()
    out = subprocess.run(["pgrep", "-P", mw], capture_output=True, text=True).stdout.split()
    return sorted(int(p) for p in out)


def rss_kib(pid):
    """A process's resident set (KiB); None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def free_port(lo=None, span=None):
    """A TCP port free on 127.0.0.1: any the kernel gives, or one of lo..lo+span-1."""
    if lo is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    for port in random.sample(range(lo, lo + span), span):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in %d-%d" % (lo, lo + span - 1))


def sim_request(env, cid, method, path, body=None, token=True, ctype="application/json", timeout=60,
                server=None):
    """A request to simulated cluster cid's API (token False: its /_sim/ control API); server
    (url, CA file, token file) sends it to another API server. body: JSON-encoded.
    Returns (status, content type, body bytes)."""
    if server is None:
        d = os.path.join(env["KUBESIM_DIR"], cid)
        port = dict(p.split(":") for p in env["KUBESIM_PORTS"].split(","))[cid]
        server = ("https://127.0.0.1:%s" % port, os.path.join(d, "ca.crt"), os.path.join(d, "token"))
    url, ca, token_file = server
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPSConnection(u.hostname, u.port, context=ssl.create_default_context(cafile=ca),
                                    timeout=timeout)
    h = {}
    if token:
        with open(token_file) as f:
            h["Authorization"] = "Bearer " + f.read().strip()
    if body is not None:
        body = json.dumps(body)
        h["Content-Type"] = ctype
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read()
    finally:
        c.close()


def s3_client(env, read_timeout=30, **s3_options):
    """A boto3 S3 client on the stack's moto, with the stack's credentials and bounded timeouts;
    s3_options are botocore's S3 settings (addressing_style="path", ...)."""
    import boto3
    import botocore.config
    return boto3.client("s3", endpoint_url=env["S3_ENDPOINT"], region_name="us-east-1",
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                        config=botocore.config.Config(connect_timeout=5, read_timeout=read_timeout,
                                                      s3=s3_options or None))


class Stack:
    """A private stack a bench script brings up and down (t/stack RUN) on its own ports; env is its
    stack.env once up."""

    def __init__(self, run, port_base):
        self.run, self.port_base = run, port_base
        self.env = {}

    def tstack(self, cmd, *args, extra_env=None, check=True, quiet=False):
        """Runs t/stack CMD RUN ARGS... (quiet: without its output)."""
        env = dict(os.environ, BPG_PORT_BASE=str(self.port_base), BPG_QUIET="1")
        env.update(extra_env or {})
        return subprocess.run([os.path.join(ROOT, "t", "stack"), cmd, self.run] + list(args), env=env, check=check,
                              stdout=subprocess.DEVNULL if quiet else None)

    def load_env(self):
        self.env = load_env(os.path.join(self.run, "stack.env"))
        return self.env

    def db_text(self, stmt):
        """Runs SQL as MariaDB's root; its output as tab-separated text."""
        return mariadb(self.env, stmt, "-N", "-B")

    def db(self, stmt):
        """Runs SQL as MariaDB's root; the rows as lists of strings (NULL is "NULL")."""
        return [line.split("\t") for line in self.db_text(stmt).splitlines()]

    def worker_pids(self):
        return worker_pids(self.env)

    def clusters(self):
        """The simulated clusters' ids, in the order of KUBESIM_PORTS."""
        return [p.split(":")[0] for p in self.env["KUBESIM_PORTS"].split(",")]

    def sim(self, cid, method, path, body=None, token=True):
        """A request to simulated cluster cid; (status, the JSON answer or None)."""
        status, _, data = sim_request(self.env, cid, method, path, body, token)
        return status, (json.loads(data) if data else None)

    def s3(self):
        return s3_client(self.env, read_timeout=60)
