"""Shared helpers for kubesim's tests: start a simulator process, talk to it, build SparkApplications."""
import contextlib
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

from bpgtest import free_port  # t/lib (t/pyrun.py puts it on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))
CRD_DIR = os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared", "crd"))
HAVE_CRD = os.path.exists(os.path.join(CRD_DIR, "sparkapplication-v1beta2.schema.json"))
NS = "spark-apps"
GV = "sparkoperator.k8s.io/v1beta2"
API = "/apis/" + GV


def apps_path(ns=NS):
    return "%s/namespaces/%s/sparkapplications" % (API, ns)


APPS = apps_path()


class Sim:
    """A kubesim process with clusters c01 (namespaces spark-apps, other) and c02 (spark-apps)."""

    def __init__(self, speed=50.0, crd_dir=None, clusters=None):
        self.dir = tempfile.mkdtemp(prefix="kubesim-test-")
        self.ports = {}
        args = [sys.executable, os.path.join(HERE, "kubesim.py"), "--dir", self.dir, "--speed", str(speed)]
        for cid, nss in (clusters or [("c01", [NS, "other"]), ("c02", [NS])]):
            self.ports[cid] = free_port()
            args += ["--cluster", "%s:%d:%s" % (cid, self.ports[cid], ",".join(nss))]
        if crd_dir is not None:
            args += ["--crd-dir", crd_dir]
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(os.path.join(self.dir, "ready")):
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop(keep=True)
                raise RuntimeError("kubesim did not start: " + self.output())
            time.sleep(0.05)
        self._tokens = {}

    def output(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def token(self, cid="c01"):
        if cid not in self._tokens:
            with open(os.path.join(self.dir, cid, "token")) as f:
                self._tokens[cid] = f.read().strip()
        return self._tokens[cid]

    def conn(self, cid="c01", timeout=30):
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, cid, "ca.crt"))
        return http.client.HTTPSConnection("127.0.0.1", self.ports[cid], context=ctx, timeout=timeout)

    def req(self, method, path, body=None, cid="c01", token=True, headers=None, raw=False, conn=None):
        """One request; (status, parsed JSON) or with raw (status, headers, bytes)."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + (token if isinstance(token, str) else self.token(cid))
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c = conn or self.conn(cid)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        if raw:
            hs = {}
            for k, v in r.getheaders():
                hs[k.lower()] = hs[k.lower()] + ", " + v if k.lower() in hs else v
            return r.status, hs, data
        return r.status, json.loads(data) if data else None

    def control(self, method, path, body=None, cid="c01"):
        return self.req(method, "/_sim/" + path, body, cid=cid, token=False)

    @contextlib.contextmanager
    def stopped_clock(self, cid="c01"):
        """Stops cid's simulated clock for the block (only advance() moves it), then restores its speed."""
        speed = self.control("GET", "clock", cid=cid)[1]["speed"]
        self.control("POST", "clock", {"speed": 0}, cid=cid)
        try:
            yield
        finally:
            self.control("POST", "clock", {"speed": speed}, cid=cid)

    def advance(self, seconds, cid="c01"):
        """Moves cid's clock on; the operator's transitions due by then are done when it returns."""
        st, body = self.control("POST", "clock", {"advance_seconds": seconds}, cid=cid)
        assert st == 200, body

    def create(self, obj, cid="c01", ns=NS, expect=201):
        st, body = self.req("POST", apps_path(ns), obj, cid=cid)
        if expect is not None and st != expect:
            raise AssertionError("create gave %d: %s" % (st, body))
        return body

    def stop(self, keep=False):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not keep:
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)


class SimTest(unittest.TestCase):
    """A test class that shares one simulator (cls.sim) among its tests: SPEED simulated seconds per
    real second, CLUSTERS as Sim takes them (None: c01 and c02)."""
    SPEED = 50
    CLUSTERS = None

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(speed=cls.SPEED) if cls.CLUSTERS is None else Sim(speed=cls.SPEED, clusters=cls.CLUSTERS)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()


def app(name=None, outcome=None, run=None, labels=None, instances=2, log_bytes=None, ttl=None, sidecar=False,
        spec=None, ns=None):
    """A SparkApplication that validates against the operator's strict schema."""
    ann = {}
    if outcome:
        ann["kubesim.bpg.dev/outcome"] = outcome
    if run is not None:
        ann["kubesim.bpg.dev/run-seconds"] = str(run)
    if log_bytes is not None:
        ann["kubesim.bpg.dev/log-bytes"] = str(log_bytes)
    s = {"type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.1", "sparkVersion": "3.5.1",
         "mainClass": "org.apache.spark.examples.SparkPi",
         "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
         "driver": {"cores": 1, "memory": "1g", "serviceAccount": "spark", "labels": {"dag_name": "d"}},
         "executor": {"cores": 1, "instances": instances, "memory": "1g", "labels": {"tier": "exec"}},
         "restartPolicy": {"type": "Never"}}
    if sidecar:
        s["driver"]["sidecars"] = [{"name": "sidecar", "image": "busybox"}]
    if ttl is not None:
        s["timeToLiveSeconds"] = ttl
    s.update(spec or {})
    md = {"name": name or "c01-" + uuid.uuid4().hex, "labels": dict(labels or {"proxyUser": "alice"})}
    if ann:
        md["annotations"] = ann
    if ns:
        md["namespace"] = ns
    return {"apiVersion": GV, "kind": "SparkApplication", "metadata": md, "spec": s}


def state_of(obj):
    return ((obj or {}).get("status") or {}).get("applicationState", {}).get("state")


def wait_state(sim, name, states, timeout=20, cid="c01", ns=NS):
    """Polls until the app is in one of states ('<gone>' for deleted); returns (object, states seen)."""
    deadline = time.time() + timeout
    seen = []
    c = sim.conn(cid)
    try:
        while time.time() < deadline:
            st, obj = sim.req("GET", apps_path(ns) + "/" + name, cid=cid, conn=c)
            s = "<gone>" if st == 404 else state_of(obj)
            if not seen or seen[-1] != s:
                seen.append(s)
            if s in states:
                return obj, seen
            time.sleep(0.01)
    finally:
        c.close()
    raise AssertionError("%s never reached %s; saw %s" % (name, states, seen))


def step_state(sim, name, states, step=0.25, limit=2000, cid="c01", ns=NS):
    """With cid's clock stopped (Sim.stopped_clock), advances it step simulated seconds at a
    time until the app is in one of states; returns (object, states seen). Every state that
    lasts step or longer is seen, however slow the machine."""
    seen = []
    for _ in range(limit):
        st, obj = sim.req("GET", apps_path(ns) + "/" + name, cid=cid)
        s = "<gone>" if st == 404 else state_of(obj)
        if not seen or seen[-1] != s:
            seen.append(s)
        if s in states:
            return obj, seen
        sim.advance(step, cid=cid)
    raise AssertionError("%s never reached %s in %g simulated s; saw %s" % (name, states, step * limit, seen))


def step_for(sim, pred, step=0.25, limit=2000, what="condition", cid="c01"):
    """As step_state, for any condition: advances the stopped clock until pred() is true."""
    for _ in range(limit):
        v = pred()
        if v:
            return v
        sim.advance(step, cid=cid)
    raise AssertionError("%s never came in %g simulated s" % (what, step * limit))


def wait_for(pred, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)
