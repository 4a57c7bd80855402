"""bpg.py: helpers for the integration tests: the stack's settings and an HTTPS client (t/lib/bpgtest)."""
import contextlib
import json
import os
import subprocess
import sys
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "t", "lib"))

import bpgtest  # noqa: E402
from bpgtest import poll  # noqa: E402,F401  (the tests import it from here)
from bpgtest import rss_kib as _rss_kib  # noqa: E402


def load_env(path=None):
    return bpgtest.load_env(path or os.environ.get("BPG_STACK_ENV") or os.path.join(ROOT, "run", "stack.env"))


ENV = load_env()


class Client(bpgtest.Client):
    """One keep-alive HTTPS connection to this stack's nginx, verifying its CA; a request whose
    connection fails is sent once more."""

    def __init__(self, user=None, password=None, timeout=10):
        super().__init__(ENV, user, password, timeout)


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


def worker_pids():
    """The pids of the FastCGI workers (children of multiwatch)."""
    return bpgtest.worker_pids(ENV)


def rss_kib(pid):
    """A process's resident set (KiB); raises ProcessLookupError when it is gone."""
    kib = _rss_kib(pid)
    if kib is None:
        raise ProcessLookupError(pid)
    return kib


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
    server = None
    if real_cluster(cid):
        if path.startswith("/_sim"):
            skip_on_real(cid, "the test drives kubesim's %s control" % path.split("?")[0])
        key = "BPG_%s_" % cid.upper()
        server = (ENV[key + "API_SERVER"], ENV[key + "CA_FILE"],
                  os.environ.get("BPG_K8S_ADMIN_TOKEN_FILE") or ENV[key + "TOKEN_FILE"])
    status, ct, data = bpgtest.sim_request(ENV, cid, method, path, body, token, ctype, 30, server)
    return status, (json.loads(data) if data and ct.startswith("application/json") else data)


SIM_APPS = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/spark-applications/sparkapplications"


def db(stmt):
    """Runs SQL as MariaDB's root on the stack's database; returns the rows as tab-separated text."""
    return bpgtest.mariadb(ENV, stmt, "-N")


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
    """A boto3 S3 client on the stack's moto (bpgtest.s3_client)."""
    return bpgtest.s3_client(ENV, **s3_options)
