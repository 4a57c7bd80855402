"""Tests of the Kubernetes API simulator against what the real API server and operator do."""
import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
CRD_DIR = os.path.abspath(os.path.join(HERE, "..", "..", "..", "shared", "crd"))
HAVE_CRD = os.path.exists(os.path.join(CRD_DIR, "sparkapplication-v1beta2.schema.json"))
NS = "spark-applications"
APPS = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/%s/sparkapplications" % NS


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Sim:
    """A kubesim process with clusters c01 (two namespaces) and c02."""

    def __init__(self, speed=50.0, crd_dir=None):
        self.dir = tempfile.mkdtemp(prefix="kubesim-test-")
        self.ports = {"c01": free_port(), "c02": free_port()}
        args = [sys.executable, os.path.join(HERE, "kubesim.py"), "--dir", self.dir, "--speed", str(speed),
                "--cluster", "c01:%d:%s,default" % (self.ports["c01"], NS),
                "--cluster", "c02:%d:%s" % (self.ports["c02"], NS)]
        if crd_dir is not None:
            args += ["--crd-dir", crd_dir]
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while not os.path.exists(os.path.join(self.dir, "ready")):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("kubesim did not start: " + self.output())
            time.sleep(0.05)

    def output(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def token(self, cid="c01"):
        with open(os.path.join(self.dir, cid, "token")) as f:
            return f.read().strip()

    def conn(self, cid="c01"):
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, cid, "ca.crt"))
        return http.client.HTTPSConnection("127.0.0.1", self.ports[cid], context=ctx, timeout=30)

    def req(self, method, path, body=None, cid="c01", token=True, headers=None, raw=False):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + (token if isinstance(token, str) else self.token(cid))
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c = self.conn(cid)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        if raw:
            return r.status, dict(r.getheaders()), data
        return r.status, json.loads(data) if data else None

    def control(self, method, path, body=None, cid="c01"):
        return self.req(method, "/_sim/" + path, body, cid=cid, token=False)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def app(name=None, outcome=None, run=None, labels=None, instances=2, log_bytes=None, ttl=None, sidecar=False):
    ann = {}
    if outcome:
        ann["kubesim.bpg.dev/outcome"] = outcome
    if run is not None:
        ann["kubesim.bpg.dev/run-seconds"] = str(run)
    if log_bytes is not None:
        ann["kubesim.bpg.dev/log-bytes"] = str(log_bytes)
    if sidecar:
        ann["kubesim.bpg.dev/sidecar"] = "true"
    spec = {"type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.1", "sparkVersion": "3.5.1",
            "mainClass": "org.apache.spark.examples.SparkPi",
            "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "driver": {"cores": 1, "memory": "1g", "serviceAccount": "spark", "labels": {"dag_name": "d"}},
            "executor": {"cores": 1, "instances": instances, "memory": "1g"},
            "restartPolicy": {"type": "Never"}}
    if ttl is not None:
        spec["timeToLiveSeconds"] = ttl
    return {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": name or "c01-" + uuid.uuid4().hex, "labels": labels or {"proxyUser": "alice"},
                         "annotations": ann},
            "spec": spec}


def wait_state(sim, name, states, timeout=20, cid="c01"):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        st, obj = sim.req("GET", APPS + "/" + name, cid=cid)
        if st == 404:
            seen.append("<gone>")
            if "<gone>" in states:
                return None, seen
        else:
            s = obj.get("status", {}).get("applicationState", {}).get("state")
            if not seen or seen[-1] != s:
                seen.append(s)
            if s in states:
                return obj, seen
        time.sleep(0.02)
    raise AssertionError("%s never reached %s; saw %s" % (name, states, seen))


class ApiServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(speed=50)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_auth(self):
        st, body = self.sim.req("GET", APPS, token=False)
        self.assertEqual(st, 401)
        self.assertEqual((body["kind"], body["reason"], body["code"], body["status"]),
                         ("Status", "Unauthorized", 401, "Failure"))
        self.assertEqual(self.sim.req("GET", APPS, token="wrong")[0], 401)
        # each cluster has its own token
        self.assertEqual(self.sim.req("GET", APPS, token=self.sim.token("c02"))[0], 401)
        self.assertEqual(self.sim.req("GET", APPS, cid="c02")[0], 200)

    def test_own_ca_per_cluster(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.sim.dir, "c02", "ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", self.sim.ports["c01"], context=ctx, timeout=5)
        with self.assertRaises(ssl.SSLCertVerificationError):
            c.request("GET", "/version")

    def test_discovery(self):
        for path in ("/version", "/api", "/api/v1", "/apis", "/apis/sparkoperator.k8s.io/v1beta2"):
            st, body = self.sim.req("GET", path)
            self.assertEqual(st, 200, path)
        st, body = self.sim.req("GET", "/apis/sparkoperator.k8s.io/v1beta2")
        self.assertEqual(body["resources"][0]["name"], "sparkapplications")

    def test_create_get_conflict_notfound(self):
        a = app()
        name = a["metadata"]["name"]
        st, obj = self.sim.req("POST", APPS, a)
        self.assertEqual(st, 201)
        md = obj["metadata"]
        for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            self.assertIn(k, md)
        self.assertEqual(md["namespace"], NS)
        st, obj2 = self.sim.req("GET", APPS + "/" + name)
        self.assertEqual((st, obj2["metadata"]["uid"]), (200, md["uid"]))
        st, body = self.sim.req("POST", APPS, a)
        self.assertEqual((st, body["reason"]), (409, "AlreadyExists"))
        self.assertEqual(body["message"], 'sparkapplications.sparkoperator.k8s.io "%s" already exists' % name)
        self.assertEqual(body["details"], {"name": name, "group": "sparkoperator.k8s.io", "kind": "sparkapplications"})
        st, body = self.sim.req("GET", APPS + "/nope")
        self.assertEqual(st, 404)
        self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": 'sparkapplications.sparkoperator.k8s.io "nope" not found',
                                "reason": "NotFound", "details": {"name": "nope", "group": "sparkoperator.k8s.io",
                                                                  "kind": "sparkapplications"}, "code": 404})
        # as the real server: listing a namespace that does not exist is an empty list,
        # creating in it is a 404 for the namespace
        st, body = self.sim.req("GET", "/apis/sparkoperator.k8s.io/v1beta2/namespaces/nons/sparkapplications")
        self.assertEqual((st, body["items"]), (200, []))
        st, body = self.sim.req("POST", "/apis/sparkoperator.k8s.io/v1beta2/namespaces/nons/sparkapplications", app())
        self.assertEqual((st, body["message"]), (404, 'namespaces "nons" not found'))

    def test_metadata_rules(self):
        for name in ("C01-UPPER", "-leading", "a" * 254, "under_score"):
            st, body = self.sim.req("POST", APPS, app(name=name))
            self.assertEqual((st, body["reason"]), (422, "Invalid"), name)
            self.assertEqual(body["details"]["causes"][0]["field"], "metadata.name")
        for labels in ({"proxyUser": "alice@example.com"}, {"x": "a" * 64}, {"bad key!": "v"}):
            st, body = self.sim.req("POST", APPS, app(labels=labels))
            self.assertEqual((st, body["details"]["causes"][0]["field"]), (422, "metadata.labels"), labels)

    @unittest.skipUnless(HAVE_CRD, "../shared/crd is not beside the project")
    def test_schema_422_names_the_field(self):
        a = app()
        a["spec"]["executor"]["instances"] = "two"
        st, body = self.sim.req("POST", APPS, a)
        self.assertEqual((st, body["code"], body["reason"]), (422, 422, "Invalid"))
        fields = [c["field"] for c in body["details"]["causes"]]
        self.assertIn("spec.executor.instances", fields)
        self.assertIn("spec.executor.instances", body["message"])
        a = app()
        a["spec"]["type"] = "Cobol"
        st, body = self.sim.req("POST", APPS, a)
        self.assertEqual(st, 422)
        self.assertIn("spec.type", [c["field"] for c in body["details"]["causes"]])

    @unittest.skipUnless(HAVE_CRD, "../shared/crd is not beside the project")
    def test_unknown_fields_pruned_or_strict(self):
        a = app()
        a["spec"]["originalUser"] = "alice"
        a["spec"]["batchSchedulerOptions"] = {"queue": "root.poc", "gang": False}
        st, obj = self.sim.req("POST", APPS, a)
        self.assertEqual(st, 201)
        self.assertNotIn("originalUser", obj["spec"])
        self.assertEqual(obj["spec"]["batchSchedulerOptions"], {"queue": "root.poc"})
        st, obj = self.sim.req("GET", APPS + "/" + a["metadata"]["name"])
        self.assertNotIn("originalUser", obj["spec"])
        b = app()
        b["spec"]["originalUser"] = "alice"
        st, body = self.sim.req("POST", APPS + "?fieldValidation=Strict", b)
        self.assertEqual(st, 422)
        self.assertIn("spec.originalUser", [c["field"] for c in body["details"]["causes"]])

    def test_bad_json_400(self):
        st, body = self.sim.req("POST", APPS, b"{not json", headers={"Content-Type": "application/json"})
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))

    def test_label_and_field_selectors(self):
        tag = uuid.uuid4().hex[:8]
        objs = [("c01-%s-a" % tag, {"t": tag, "tier": "gold", "env": "prod"}),
                ("c01-%s-b" % tag, {"t": tag, "tier": "silver", "env": "dev"}),
                ("c01-%s-c" % tag, {"t": tag, "tier": "bronze"})]
        for n, l in objs:
            self.assertEqual(self.sim.req("POST", APPS, app(name=n, labels=l, outcome="hang"))[0], 201)

        def names(sel, field=None):
            from urllib.parse import quote
            q = "?labelSelector=" + quote("t=%s,%s" % (tag, sel) if sel else "t=" + tag)
            if field:
                q += "&fieldSelector=" + quote(field)
            st, body = self.sim.req("GET", APPS + q)
            self.assertEqual(st, 200, body)
            return sorted(o["metadata"]["name"][-1] for o in body["items"])
        self.assertEqual(names("tier=gold"), ["a"])
        self.assertEqual(names("tier==silver"), ["b"])
        self.assertEqual(names("tier!=gold"), ["b", "c"])
        self.assertEqual(names("tier in (gold,bronze)"), ["a", "c"])
        self.assertEqual(names("tier notin (gold,bronze)"), ["b"])
        self.assertEqual(names("env"), ["a", "b"])
        self.assertEqual(names("!env"), ["c"])
        self.assertEqual(names(None, "metadata.name=c01-%s-b" % tag), ["b"])
        self.assertEqual(names(None, "metadata.namespace=%s" % NS), ["a", "b", "c"])
        st, body = self.sim.req("GET", APPS + "?labelSelector=%28%28bad")
        self.assertEqual(st, 400)
        st, body = self.sim.req("GET", APPS + "?fieldSelector=spec.type%3DScala")
        self.assertEqual(st, 400)

    def test_paging_consistent_while_objects_change(self):
        tag = uuid.uuid4().hex[:8]
        for i in range(25):
            self.sim.req("POST", APPS, app(name="c01-%s-%02d" % (tag, i), labels={"p": tag}, outcome="hang"))
        st, page = self.sim.req("GET", APPS + "?labelSelector=p%3D" + tag + "&limit=10")
        got = [o["metadata"]["name"] for o in page["items"]]
        rv = page["metadata"]["resourceVersion"]
        self.assertEqual(page["metadata"]["remainingItemCount"], 15)
        # change the world between pages
        self.sim.req("DELETE", APPS + "/c01-%s-20" % tag)
        self.sim.req("POST", APPS, app(name="c01-%s-99" % tag, labels={"p": tag}))
        while page["metadata"].get("continue"):
            st, page = self.sim.req("GET", APPS + "?labelSelector=p%3D" + tag + "&limit=10&continue=" +
                                    page["metadata"]["continue"])
            self.assertEqual(st, 200)
            self.assertEqual(page["metadata"]["resourceVersion"], rv)
            got += [o["metadata"]["name"] for o in page["items"]]
        self.assertEqual(got, ["c01-%s-%02d" % (tag, i) for i in range(25)])
        for bad in ("garbage", base64.urlsafe_b64encode(b'{"id":"nope"}').decode()):
            st, body = self.sim.req("GET", APPS + "?limit=10&continue=" + bad)
            self.assertEqual((st, body["reason"], body["code"]), (410, "Expired", 410))

    def test_delete_patch(self):
        a = app(outcome="hang")
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["RUNNING"])
        st, pods = self.sim.req("GET", "/api/v1/namespaces/%s/pods?labelSelector=sparkoperator.k8s.io%%2Fapp-name%%3D%s"
                                % (NS, name))
        self.assertEqual(len(pods["items"]), 3)
        st, obj = self.sim.req("PATCH", APPS + "/" + name, {"metadata": {"labels": {"extra": "yes", "proxyUser": None}}},
                               headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(st, 200)
        self.assertEqual(obj["metadata"]["labels"], {"extra": "yes"})
        self.assertEqual(obj["metadata"]["generation"], 2)
        st, body = self.sim.req("PATCH", APPS + "/" + name, [{"op": "add"}],
                                headers={"Content-Type": "application/json-patch+json"})
        self.assertEqual(st, 415)
        st, obj = self.sim.req("DELETE", APPS + "/" + name)
        self.assertEqual((st, obj["metadata"]["name"]), (200, name))
        self.assertEqual(self.sim.req("GET", APPS + "/" + name)[0], 404)
        st, pods = self.sim.req("GET", "/api/v1/namespaces/%s/pods?labelSelector=sparkoperator.k8s.io%%2Fapp-name%%3D%s"
                                % (NS, name))
        self.assertEqual(pods["items"], [])
        self.assertEqual(self.sim.req("DELETE", APPS + "/" + name)[0], 404)


class OperatorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(speed=50)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_success_lifecycle(self):
        a = app(run=10, instances=2)
        name = a["metadata"]["name"]
        a["spec"]["sparkConf"] = {"spark.kubernetes.executor.podNamePrefix": name}
        self.sim.req("POST", APPS, a)
        obj, seen = wait_state(self.sim, name, ["COMPLETED"])
        for s in ("SUBMITTED", "RUNNING", "SUCCEEDING", "COMPLETED"):
            self.assertIn(s, seen)
        self.assertLess(seen.index("SUBMITTED"), seen.index("RUNNING"))
        st = obj["status"]
        self.assertRegex(st["sparkApplicationId"], r"^spark-[0-9a-f]{32}$")
        for k in ("submissionID", "lastSubmissionAttemptTime", "terminationTime", "submissionAttempts",
                  "executionAttempts"):
            self.assertIn(k, st)
        self.assertEqual(st["driverInfo"]["podName"], name + "-driver")
        self.assertEqual(st["driverInfo"]["webUIServiceName"], name + "-ui-svc")
        self.assertEqual(sorted(st["executorState"]), [name + "-exec-1", name + "-exec-2"])
        _, pod = self.sim.req("GET", "/api/v1/namespaces/%s/pods/%s-driver" % (NS, name))
        l = pod["metadata"]["labels"]
        self.assertEqual((l["spark-role"], l["sparkoperator.k8s.io/app-name"], l["spark-app-selector"],
                          l["sparkoperator.k8s.io/launched-by-spark-operator"], l["dag_name"]),
                         ("driver", name, st["sparkApplicationId"], "true", "d"))
        self.assertEqual(pod["status"]["phase"], "Succeeded")
        _, ev = self.sim.req("GET", "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D%s" % (NS, name))
        reasons = [e["reason"] for e in ev["items"]]
        for r in ("SparkApplicationAdded", "SparkApplicationSubmitted", "SparkDriverRunning",
                  "SparkExecutorRunning", "SparkDriverCompleted", "SparkApplicationCompleted"):
            self.assertIn(r, reasons)
        _, ev = self.sim.req("GET", "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D%s%%2C"
                             "involvedObject.kind%%3DPod" % (NS, name))
        self.assertEqual(ev["items"], [])

    def test_fail_and_submission_fail(self):
        a = app(outcome="fail", run=2)
        self.sim.req("POST", APPS, a)
        obj, seen = wait_state(self.sim, a["metadata"]["name"], ["FAILED"])
        self.assertIn("FAILING", seen)
        self.assertTrue(obj["status"]["applicationState"]["errorMessage"])
        b = app(outcome="submission-fail")
        self.sim.req("POST", APPS, b)
        obj, seen = wait_state(self.sim, b["metadata"]["name"], ["SUBMISSION_FAILED"])
        self.assertNotIn("RUNNING", seen)
        self.assertIn("terminationTime", obj["status"])
        st, pods = self.sim.req("GET", "/api/v1/namespaces/%s/pods?labelSelector=sparkoperator.k8s.io%%2Fapp-name%%3D%s"
                                % (NS, b["metadata"]["name"]))
        self.assertEqual(pods["items"], [])

    def test_hang_and_driver_pod_deletion(self):
        a = app(outcome="hang")
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["RUNNING"])
        time.sleep(0.5)   # 25 simulated seconds: still running
        _, obj = self.sim.req("GET", APPS + "/" + name)
        self.assertEqual(obj["status"]["applicationState"]["state"], "RUNNING")
        st, _ = self.sim.req("DELETE", "/api/v1/namespaces/%s/pods/%s-driver" % (NS, name))
        self.assertEqual(st, 200)
        obj, seen = wait_state(self.sim, name, ["FAILED"])
        self.assertIn("driver pod", obj["status"]["applicationState"]["errorMessage"])

    def test_ttl_removes_app_and_pods(self):
        a = app(run=1, ttl=5)
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["COMPLETED"])
        wait_state(self.sim, name, ["<gone>"])
        st, pods = self.sim.req("GET", "/api/v1/namespaces/%s/pods?labelSelector=sparkoperator.k8s.io%%2Fapp-name%%3D%s"
                                % (NS, name))
        self.assertEqual(pods["items"], [])

    def test_executor_pods_by_label(self):
        a = app(outcome="hang", instances=3)
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["RUNNING"])
        st, pods = self.sim.req("GET", "/api/v1/namespaces/%s/pods?labelSelector=spark-role%%3Dexecutor%%2C"
                                "sparkoperator.k8s.io%%2Fapp-name%%3D%s" % (NS, name))
        self.assertEqual(sorted(p["metadata"]["name"] for p in pods["items"]),
                         ["%s-exec-%d" % (name, i) for i in (1, 2, 3)])
        self.sim.req("DELETE", APPS + "/" + name)


class LogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(speed=20)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def log(self, pod, q=""):
        return self.sim.req("GET", "/api/v1/namespaces/%s/pods/%s/log%s" % (NS, pod, q), raw=True)

    def test_generated_log_tail_limit(self):
        a = app(run=1, log_bytes=10000)
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["COMPLETED"])
        st, h, data = self.log(name + "-driver")
        self.assertEqual(st, 200)
        lines = data.decode().splitlines()
        self.assertEqual(len(lines), 100)
        self.assertIn("%s-driver line 000000001 " % name, lines[0])
        self.assertIn("line 000000100", lines[-1])
        st, _, again = self.log(name + "-driver")
        self.assertEqual(again, data)   # deterministic
        st, _, data = self.log(name + "-driver", "?tailLines=3")
        self.assertEqual([l.split(" line ")[1][:9] for l in data.decode().splitlines()], ["000000098", "000000099",
                                                                                         "000000100"])
        st, _, data = self.log(name + "-driver", "?limitBytes=150")
        self.assertEqual(len(data), 150)
        st, _, data = self.log(name + "-driver", "?timestamps=true&tailLines=1")
        self.assertRegex(data.decode(), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")
        st, _, data = self.log(name + "-exec-1", "?tailLines=1")
        self.assertIn(name + "-exec-1 line", data.decode())
        st, _, data = self.log("nope-driver")
        self.assertEqual(st, 404)
        st, _, data = self.log(name + "-driver", "?tailLines=-1")
        self.assertEqual(st, 400)

    def test_huge_log_tail_without_generating_it(self):
        a = app(run=1, log_bytes=5 * 1024 ** 3)
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["COMPLETED"])
        t = time.time()
        st, _, data = self.log(name + "-driver", "?tailLines=2")
        self.assertLess(time.time() - t, 2.0)
        self.assertIn("line 053687091", data.decode().splitlines()[-1])

    def test_follow_streams_until_the_pod_ends(self):
        self.sim.control("POST", "clock", {"speed": 5})
        try:
            a = app(run=3, log_bytes=3000)
            name = a["metadata"]["name"]
            self.sim.req("POST", APPS, a)
            wait_state(self.sim, name, ["RUNNING"])
            t = time.time()
            st, _, data = self.log(name + "-driver", "?follow=true")
            elapsed = time.time() - t
            self.assertEqual(st, 200)
            self.assertEqual(len(data.decode().splitlines()), 30)   # all of it, then the stream ended
            self.assertGreater(elapsed, 0.1)                         # it waited for lines to appear
            st, _, data = self.log(name + "-driver")                 # without follow: at once
            self.assertEqual(len(data.decode().splitlines()), 30)
        finally:
            self.sim.control("POST", "clock", {"speed": 20})

    def test_multi_container_needs_a_name(self):
        a = app(outcome="hang", sidecar=True)
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["RUNNING"])
        st, _, data = self.log(name + "-driver")
        body = json.loads(data)
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))
        self.assertEqual(body["message"], "a container name must be specified for pod %s-driver, choose one of: "
                                          "[spark-kubernetes-driver sidecar]" % name)
        st, _, data = self.log(name + "-driver", "?container=spark-kubernetes-driver&tailLines=1")
        self.assertEqual(st, 200)
        self.sim.req("DELETE", APPS + "/" + name)


class FaultTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(speed=50)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def tearDown(self):
        self.sim.control("DELETE", "faults", cid="c01")
        self.sim.control("DELETE", "faults", cid="c02")

    def test_status_faults(self):
        for code, reason in ((500, "InternalError"), (503, "ServiceUnavailable")):
            self.sim.control("POST", "faults", {"mode": "status", "status": code, "count": 1})
            st, body = self.sim.req("GET", APPS)
            self.assertEqual((st, body["reason"], body["kind"]), (code, reason, "Status"))
            self.assertEqual(self.sim.req("GET", APPS)[0], 200)   # count 1: only once

    def test_429_with_retry_after(self):
        self.sim.control("POST", "faults", {"mode": "429", "retry_after": 7, "path_prefix": "/apis/"})
        st, h, data = self.sim.req("GET", APPS, raw=True)
        body = json.loads(data)
        self.assertEqual((st, h["Retry-After"], body["reason"], body["details"]["retryAfterSeconds"]),
                         (429, "7", "TooManyRequests", 7))
        self.assertEqual(self.sim.req("GET", "/version")[0], 200)        # other paths unaffected
        self.assertEqual(self.sim.req("GET", APPS, cid="c02")[0], 200)   # other clusters unaffected

    def test_delay(self):
        self.sim.control("POST", "faults", {"mode": "delay", "delay_ms": 400, "method": "GET"})
        t = time.time()
        self.assertEqual(self.sim.req("GET", "/version")[0], 200)
        self.assertGreaterEqual(time.time() - t, 0.4)

    def test_refuse(self):
        self.sim.control("POST", "faults", {"mode": "refuse"})
        with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError, OSError)):
            self.sim.req("GET", "/version")
        self.sim.control("DELETE", "faults")
        self.assertEqual(self.sim.req("GET", "/version")[0], 200)

    def test_bad_fault_400(self):
        st, body = self.sim.control("POST", "faults", {"mode": "explode"})
        self.assertEqual(st, 400)


class ScaleTest(unittest.TestCase):
    def test_100k_objects_listed_in_pages_of_500(self):
        sim = Sim(speed=1)
        try:
            tpl = app()
            del tpl["metadata"]["name"]
            tpl["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "bpg"
            st, res = sim.control("POST", "bulk", {"count": 100000, "template": tpl, "state": "COMPLETED",
                                                   "prefix": "c01-bulk"})
            self.assertEqual((st, res["created"]), (200, 100000))
            t = time.time()
            n, cont, pages = 0, None, 0
            c = sim.conn()     # one kept-alive connection, as a real client pages
            while True:
                q = "?limit=500&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dbpg"
                c.request("GET", APPS + q + ("&continue=" + cont if cont else ""),
                          headers={"Authorization": "Bearer " + sim.token()})
                r = c.getresponse()
                st, page = r.status, json.loads(r.read())
                self.assertEqual(st, 200)
                n += len(page["items"])
                pages += 1
                cont = page["metadata"].get("continue")
                if not cont:
                    break
            elapsed = time.time() - t
            self.assertEqual((n, pages), (100000, 200))
            self.assertEqual(page["items"][-1]["status"]["applicationState"]["state"], "COMPLETED")
            print("\n  listed 100000 objects in 200 pages in %.1f s" % elapsed, file=sys.stderr)
            self.assertLess(elapsed, 60)   # "within seconds" on a quiet machine; bounded loosely for CI
        finally:
            sim.stop()


class BuiltinChecksTest(unittest.TestCase):
    def test_without_the_crd_folder(self):
        empty = tempfile.mkdtemp()
        sim = Sim(speed=50, crd_dir=empty)
        try:
            self.assertIn("the full schema check is off", sim.output())
            a = app()
            a["spec"]["executor"]["instances"] = "two"
            st, body = sim.req("POST", APPS, a)
            self.assertEqual(st, 422)
            self.assertIn("spec.executor.instances", [c["field"] for c in body["details"]["causes"]])
            a = app()
            a["spec"]["type"] = "Cobol"
            self.assertEqual(sim.req("POST", APPS, a)[0], 422)
            self.assertEqual(sim.req("POST", APPS, app())[0], 201)
        finally:
            sim.stop()
            shutil.rmtree(empty, ignore_errors=True)


@unittest.skipUnless(shutil.which("kubectl"), "kubectl is not installed")
class KubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(speed=50)
        cls.home = tempfile.mkdtemp(prefix="kubectl-home-")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.home, ignore_errors=True)

    def kubectl(self, *args, check=True):
        env = dict(os.environ, HOME=self.home)
        env.pop("KUBECONFIG", None)
        p = subprocess.run(["kubectl", "--kubeconfig", os.path.join(self.sim.dir, "kubeconfig"), "--context", "c01",
                            "--cache-dir", os.path.join(self.home, "cache"), "--request-timeout", "20s"] + list(args),
                           capture_output=True, text=True, env=env, timeout=60)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_get_describe_logs_delete(self):
        a = app(run=1)
        name = a["metadata"]["name"]
        self.sim.req("POST", APPS, a)
        wait_state(self.sim, name, ["COMPLETED"])
        out = self.kubectl("get", "sparkapplications")
        self.assertIn(name, out)
        self.assertIn("COMPLETED", out)
        self.assertEqual(self.kubectl("get", "sparkapplication", name, "-o", "jsonpath={.status.applicationState.state}"),
                         "COMPLETED")
        out = self.kubectl("describe", "sparkapplication", name)
        self.assertIn("SparkApplicationCompleted", out)
        out = self.kubectl("get", "pods")
        self.assertIn(name + "-driver", out)
        self.assertIn("Succeeded", out)
        out = self.kubectl("logs", name + "-driver", "--tail=1")
        self.assertIn(name + "-driver line", out)
        out = self.kubectl("delete", "sparkapplication", name)
        self.assertIn("deleted", out)
        self.assertEqual(self.sim.req("GET", APPS + "/" + name)[0], 404)
        self.assertNotIn(name, self.kubectl("get", "pods"))


if __name__ == "__main__":
    unittest.main()
