"""The differential test: the same scripted API calls against kubesim and a real kube-apiserver.

Each test makes one call (or one short script of calls) on both servers with the same names and
bodies, reduces each answer to its shape -- status code, content type, and for a Status its
`status`, `reason`, `code`, `message`, `details`; for an object or a list its kind, apiVersion and
the keys it carries -- and asserts the two shapes are equal. kubesim is a private instance started
here (its /_sim/reset is used), the real server the one of t/k8s/cluster (BPG_K8S_DIR).

A mismatch is a failure: kubesim is fixed to answer as the real server does (t/kubesim/README.md
lists what it matches). Calls that need an application no operator touches run in namespace
diff-quiet, which the real operator does not watch and where kubesim's is told to keep out
(outcome "manual").
"""
import http.client
import json
import os
import ssl
import sys
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
NS = "spark-applications"
APPS = "/apis/sparkoperator.k8s.io/v1beta2/namespaces/%s/sparkapplications" % NS
PODS = "/api/v1/namespaces/%s/pods" % NS
QUIET = "diff-quiet"    # no operator acts here: the real one does not watch it, kubesim's is told not to
QAPPS = APPS.replace("/namespaces/%s/" % NS, "/namespaces/%s/" % QUIET)
MERGE, JSONP = "application/merge-patch+json", "application/json-patch+json"
RUN = uuid.uuid4().hex[:6]
MISMATCHES = []
sys.path.insert(0, os.path.join(ROOT, "t", "kubesim"))
from simharness import Sim  # noqa: E402  (kubesim's own test harness starts the private instance)
from bpgtest import load_env, poll  # noqa: E402  (t/lib)


class Mismatch(AssertionError):
    """kubesim and the real server answered differently."""


class Server:
    def __init__(self, name, host, port, ca, token_file):
        self.name, self.host, self.port, self.ca, self.token_file = name, host, port, ca, token_file

    def call(self, method, path, body=None, token=None, ctype="application/json"):
        ctx = ssl.create_default_context(cafile=self.ca)
        c = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=30)
        if token is None:
            with open(self.token_file) as f:
                token = f.read().strip()
        h = {"Authorization": "Bearer " + token, "Accept": "application/json"}
        if body is not None:
            body = json.dumps(body)
            h["Content-Type"] = ctype
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        ct = (r.getheader("Content-Type") or "").split(";")[0].strip()
        obj = None
        if ct == "application/json" and data:
            obj = json.loads(data)
        return r.status, ct, obj, data


def shape(status, ct, obj, data):
    """What must be equal between kubesim and the real server."""
    s = {"http": status, "content_type": ct if data else ""}
    if obj is None:
        s["body"] = data.decode(errors="replace").strip() if status >= 400 else ("text" if data else "")
        return s
    s["kind"] = obj.get("kind")
    s["apiVersion"] = obj.get("apiVersion")
    if obj.get("kind") == "Status":
        for k in ("status", "reason", "code", "message"):
            s[k] = obj.get(k)
        d = dict(obj.get("details") or {})
        if "causes" in d:
            d["causes"] = sorted((c.get("reason"), c.get("field")) for c in d["causes"])
        if "uid" in d:
            d["uid"] = "<uid>"
        s["details"] = d
        s["metadata"] = sorted(obj.get("metadata") or {})
        return s
    s["keys"] = sorted(obj)
    s["metadata"] = sorted(obj.get("metadata") or {})
    if "items" in obj:
        s["items"] = len(obj["items"])
        s["continue"] = bool(obj["metadata"].get("continue"))
        # status: kubesim's operator writes it at once, the real one a moment later
        s["item_keys"] = sorted({k for i in obj["items"] for k in i} - {"status"})
    return s


def app(name, **spec):
    sp = {"type": "Python", "mode": "cluster", "sparkVersion": "3.5.8", "image": "spark:3.5.8",
          "mainApplicationFile": "local:///opt/spark/examples/src/main/python/pi.py",
          "driver": {"cores": 1, "memory": "512m", "serviceAccount": "spark"},
          "executor": {"instances": 1, "cores": 1, "memory": "512m"}}
    sp.update(spec)
    return {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": name, "namespace": NS, "labels": {"diff-run": RUN}}, "spec": sp}


class Differential(unittest.TestCase):
    sim = real = proc = None

    @classmethod
    def setUpClass(cls):
        kdir = os.environ.get("BPG_K8S_DIR")
        if not kdir or not os.path.exists(os.path.join(kdir, "cluster.env")):
            raise unittest.SkipTest("no real cluster (BPG_K8S_DIR): run through make test-k8s")
        env = load_env(os.path.join(kdir, "cluster.env"))
        u = env["K8S_URL"].split("//")[1]
        cls.real = Server("real", u.split(":")[0], int(u.split(":")[1]), env["K8S_CA_FILE"],
                          env["K8S_ADMIN_TOKEN_FILE"])
        cls.proc = Sim(speed=1.0, clusters=[("d01", [NS, "default", QUIET])])
        st = cls.real.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                          "metadata": {"name": QUIET}})[0]
        if st not in (201, 409):
            raise AssertionError("creating namespace %s on the real server: %d" % (QUIET, st))
        d = cls.proc.dir
        cls.sim = Server("kubesim", "127.0.0.1", cls.proc.ports["d01"], os.path.join(d, "d01", "ca.crt"),
                         os.path.join(d, "d01", "token"))

    @classmethod
    def tearDownClass(cls):
        if cls.proc:
            cls.proc.stop()
        if cls.real:
            cls.real.call("DELETE", APPS + "?labelSelector=diff-run%3D" + RUN)
            cls.real.call("DELETE", PODS + "?labelSelector=diff-run%3D" + RUN)
            cls.real.call("DELETE", APPS.replace(NS, "default") + "?labelSelector=diff-run%3D" + RUN)
            cls.real.call("DELETE", QAPPS + "?labelSelector=diff-run%3D" + RUN)
        if MISMATCHES:
            print("\ndifferential test: %d mismatch(es) between kubesim and the real server:" % len(MISMATCHES))
            for m in MISMATCHES:
                print("  - " + m[:400])

    def both(self, method, path, body=None, **kw):
        """The call on both servers: (kubesim's answer, the real one's)."""
        return self.sim.call(method, path, body, **kw), self.real.call(method, path, body, **kw)

    def same(self, what, a, b):
        sa, sb = shape(*a), shape(*b)
        if sa != sb:
            diff = {k: {"kubesim": sa.get(k), "real": sb.get(k)} for k in sorted(set(sa) | set(sb))
                    if sa.get(k) != sb.get(k)}
            msg = "%s: kubesim and the real server differ: %s" % (what, json.dumps(diff, sort_keys=True))
            print("  MISMATCH " + msg)
            MISMATCHES.append(msg)
            raise Mismatch(msg)

    def same_value(self, what, a, b):
        if a != b:
            msg = "%s: kubesim %r, the real server %r" % (what, a, b)
            print("  MISMATCH " + msg)
            MISMATCHES.append(msg)
            raise Mismatch(msg)

    def name(self, what):
        return "diff-%s-%s" % (what, RUN)

    # --- SparkApplications -------------------------------------------------------------------
    def test_create(self):
        a, b = self.both("POST", APPS, app(self.name("create")))
        self.same("create", a, b)

    def test_create_conflict(self):
        self.both("POST", APPS, app(self.name("conflict")))
        a, b = self.both("POST", APPS, app(self.name("conflict")))
        self.same("create of an existing name (409 AlreadyExists)", a, b)

    def test_create_invalid(self):
        a, b = self.both("POST", APPS, app(self.name("invalid"), executor={"instances": "string"}))
        self.same("create with a wrongly typed field (422 Invalid)", a, b)

    def test_create_with_resource_version(self):
        body = app(self.name("withrv"))
        body["metadata"]["resourceVersion"] = "12"
        a, b = self.both("POST", APPS, body)
        self.same("create carrying metadata.resourceVersion", a, b)

    def test_get(self):
        self.both("POST", APPS, app(self.name("get")))
        a, b = self.both("GET", APPS + "/" + self.name("get"))
        self.same("get", a, b)

    @staticmethod
    def managers(r):
        """An object's managedFields without their times, in a stable order."""
        mf = (r[2].get("metadata") or {}).get("managedFields") or []
        return sorted(([m.get("manager"), m.get("operation"), m.get("apiVersion"), m.get("fieldsType"),
                        m.get("subresource"), m.get("fieldsV1")] for m in mf), key=json.dumps)

    def test_create_managed_fields(self):
        body = app(self.name("mf"))
        body["metadata"]["annotations"] = {"diff/a": "1"}
        body["spec"]["arguments"] = ["1", "2"]
        body["spec"]["sparkConf"] = {}
        a, b = self.both("POST", APPS + "?fieldManager=diff-fm", body)
        self.same("create with ?fieldManager", a, b)
        self.same_value("managedFields of a create", self.managers(a), self.managers(b))
        a, b = self.both("POST", APPS, app(self.name("mf2")))
        self.same_value("managedFields of a create without a User-Agent", self.managers(a), self.managers(b))

    def test_get_missing(self):
        a, b = self.both("GET", APPS + "/" + self.name("missing"))
        self.same("get of a missing name (404)", a, b)

    def pages(self, srv, path):
        """Every page of a list: [(status, content type, object, bytes)], following continue."""
        out = [srv.call("GET", path)]
        while out[-1][0] == 200 and out[-1][2]["metadata"].get("continue") and len(out) < 10:
            out.append(srv.call("GET", path + "&continue=" + out[-1][2]["metadata"]["continue"]))
        return out

    def test_list_pages(self):
        for i in range(3):
            self.both("POST", APPS, app(self.name("page%d" % i)))
        for i in range(3):
            self.both("PATCH", APPS + "/" + self.name("page%d" % i),
                      {"metadata": {"labels": {"diff-page": RUN}}}, ctype="application/merge-patch+json")
        path = APPS + "?labelSelector=diff-page%%3D%s&limit=2" % RUN
        a, b = self.pages(self.sim, path), self.pages(self.real, path)
        self.same("list, first page of 2 of 3", a[0], b[0])
        self.assertEqual(sum(len(p[2]["items"]) for p in a), 3)
        self.assertEqual(sum(len(p[2]["items"]) for p in b), 3)
        self.same_value("list, pages of 2 for 3 items with a label selector", len(a), len(b))

    def test_list_pages_unfiltered(self):
        # in namespace default, which only this test fills on both servers
        apps = APPS.replace("/namespaces/%s/" % NS, "/namespaces/default/")
        for i in range(3):
            body = app(self.name("upage%d" % i))
            body["metadata"]["namespace"] = "default"
            self.both("POST", apps, body)
        a, b = self.pages(self.sim, apps + "?limit=2"), self.pages(self.real, apps + "?limit=2")
        self.same("list without a selector, first page", a[0], b[0])
        self.same("list without a selector, last page", a[-1], b[-1])

    def test_list_continue_with_resource_version(self):
        sel = "?labelSelector=diff-run%%3D%s&limit=1" % RUN
        self.both("POST", APPS, app(self.name("crv")))
        a, b = self.both("GET", APPS + sel)
        a2 = self.sim.call("GET", APPS + sel + "&resourceVersion=1&continue=" + a[2]["metadata"]["continue"])
        b2 = self.real.call("GET", APPS + sel + "&resourceVersion=1&continue=" + b[2]["metadata"]["continue"])
        self.same("list with continue and resourceVersion (400)", a2, b2)

    def test_list_bad_field_selector(self):
        a, b = self.both("GET", APPS + "?fieldSelector=spec.type%3DPython")
        self.same("list with a field selector on an unsupported field (400)", a, b)

    def test_delete(self):
        self.both("POST", APPS, app(self.name("delete")))
        a, b = self.both("DELETE", APPS + "/" + self.name("delete"))
        self.same("delete", a, b)
        poll(lambda: self.real.call("GET", APPS + "/" + self.name("delete"))[0] == 404, 10, 0.2)
        a, b = self.both("DELETE", APPS + "/" + self.name("delete"))
        self.same("delete of a missing name (404)", a, b)

    def test_unauthorized(self):
        a, b = self.both("GET", APPS, token="not-a-token")
        self.same("a bad token (401)", a, b)

    # --- unknown paths -------------------------------------------------------------------------
    def test_unknown_group(self):
        a, b = self.both("GET", "/apis/nope.example.com/v1/namespaces/%s/things" % NS)
        self.same("an unknown API group", a, b)

    def test_unknown_plural(self):
        a, b = self.both("GET", "/apis/sparkoperator.k8s.io/v1beta2/namespaces/%s/sparkapps" % NS)
        self.same("an unknown resource of a known group", a, b)

    def test_unknown_core_resource(self):
        a, b = self.both("GET", "/api/v1/namespaces/%s/things" % NS)
        self.same("an unknown resource of the core group (JSON 404)", a, b)

    def test_unknown_subresource(self):
        self.both("POST", APPS, app(self.name("unksub")))
        a, b = self.both("GET", APPS + "/" + self.name("unksub") + "/nope")
        self.same("an unknown subresource of a SparkApplication", a, b)

    def test_missing_pod(self):
        a, b = self.both("GET", PODS + "/" + self.name("nopod"))
        self.same("a missing pod (404)", a, b)

    def test_missing_pod_log(self):
        a, b = self.both("GET", PODS + "/" + self.name("nopod") + "/log")
        self.same("the log of a missing pod (404)", a, b)

    # --- pods and their logs -------------------------------------------------------------------
    def test_unscheduled_pod_log(self):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": self.name("unsched"), "labels": {"diff-run": RUN}},
               "spec": {"nodeSelector": {"bpg.dev/no-such-node": "x"},
                        "containers": [{"name": "c", "image": "busybox"}]}}
        a, b = self.both("POST", PODS, pod)
        self.assertEqual(b[0], 201, b)
        a, b = self.both("GET", PODS + "/" + self.name("unsched") + "/log")
        self.same("the log of an unscheduled pod", a, b)

    def test_create_pod_invalid(self):
        a, b = self.both("POST", PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": self.name("pnc")},
                                        "spec": {}})
        self.same("a pod without containers (422)", a, b)
        a, b = self.both("POST", PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": self.name("pni")},
                                        "spec": {"containers": [{"name": "c"}]}})
        self.same("a pod container without an image (422)", a, b)
        a, b = self.both("POST", PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {},
                                        "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
        self.same("a pod without a name (422)", a, b)

    def test_create_pod_conflict(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": self.name("pdup"), "labels": {"diff-run": RUN}},
               "spec": {"nodeSelector": {"bpg.dev/no-such-node": "x"}, "containers": [{"name": "c", "image": "busybox:1"}]}}
        a, b = self.both("POST", PODS, pod)
        self.same("create of an unschedulable pod", a, b)
        self.same_value("managedFields of a pod create", self.managers(a), self.managers(b))
        a, b = self.both("POST", PODS, pod)
        self.same("create of an existing pod (409)", a, b)
        a, b = self.both("GET", PODS + "/" + self.name("pdup") + "/log?container=nope")
        self.same("the log of an unknown container of an unscheduled pod (400)", a, b)

    # --- the status subresource (issue 25), in a namespace no operator acts on -------------------
    def quiet_app(self, what):
        """A SparkApplication in QUIET on both servers, with a full status written through /status."""
        name = self.name(what)
        body = app(name)
        body["metadata"]["namespace"] = QUIET
        body["metadata"]["annotations"] = {"kubesim.bpg.dev/outcome": "manual"}
        a, b = self.both("POST", QAPPS, body)
        self.assertEqual((a[0], b[0]), (201, 201), (a[3][:300], b[3][:300]))
        st = {"status": {"applicationState": {"state": "SUBMITTED"}, "driverInfo": {"podName": name + "-driver"},
                         "submissionAttempts": 1}}
        a, b = self.both("PATCH", QAPPS + "/" + name + "/status", st, ctype=MERGE)
        self.same("merge patch of a full status", a, b)
        self.assertEqual(b[0], 200, b[3][:300])
        return name

    def test_status_get_and_write(self):
        name = self.name("stw")
        body = app(name)
        body["metadata"]["namespace"] = QUIET
        body["metadata"]["annotations"] = {"kubesim.bpg.dev/outcome": "manual"}
        self.both("POST", QAPPS, body)
        path = QAPPS + "/" + name + "/status"
        a, b = self.both("GET", path)
        self.same("GET of /status before any status", a, b)
        a, b = self.both("PATCH", path, {"status": {"applicationState": {"state": "SUBMITTED"}}}, ctype=MERGE)
        self.same("a status without driverInfo (422)", a, b)
        a, b = self.both("PATCH", path, {"status": None}, ctype=MERGE)
        self.same("a no-op merge patch of /status", a, b)
        name = self.quiet_app("stw2")
        path = QAPPS + "/" + name + "/status"
        a, b = self.both("GET", path)
        self.same("GET of /status", a, b)
        self.same_value("managedFields after a /status write", self.managers(a), self.managers(b))
        self.same_value("generation after a /status write", a[2]["metadata"]["generation"],
                        b[2]["metadata"]["generation"])
        a, b = self.both("PATCH", path, {"status": {"applicationState": {"errorMessage": "boom"}},
                                         "spec": {"image": "changed:1"}, "metadata": {"labels": {"x": "y"}}},
                         ctype=MERGE)
        self.same("merge patch of /status that also touches spec and labels", a, b)
        self.same_value("spec, labels and generation after that", [a[2]["spec"]["image"], a[2]["metadata"].get("labels"),
                                                                   a[2]["metadata"]["generation"]],
                        [b[2]["spec"]["image"], b[2]["metadata"].get("labels"), b[2]["metadata"]["generation"]])
        self.same_value("managedFields after a second /status write", self.managers(a), self.managers(b))
        a, b = self.both("PATCH", path, [{"op": "replace", "path": "/status/applicationState/state",
                                          "value": "RUNNING"}], ctype=JSONP)
        self.same("JSON patch of /status", a, b)
        a, b = self.both("PATCH", path, [{"op": "replace", "path": "/status/nope/deeper", "value": 1}], ctype=JSONP)
        self.same("JSON patch of /status on a missing path (422)", a, b)
        a, b = self.both("PATCH", path, [{"op": "test", "path": "/status/applicationState/state",
                                          "value": "COMPLETED"}], ctype=JSONP)
        self.same("JSON patch of /status with a failing test (422)", a, b)
        a, b = self.both("PATCH", path, {"status": {"x": 1}}, ctype="application/strategic-merge-patch+json")
        self.same("strategic merge patch of /status (415)", a, b)
        a, b = self.both("PATCH", path, {"metadata": {"resourceVersion": "1"}, "status": {"submissionAttempts": 2}},
                         ctype=MERGE)
        self.same("merge patch of /status with a stale resourceVersion (409)", a, b)

    def test_status_put(self):
        name = self.quiet_app("stp")
        path = QAPPS + "/" + name + "/status"
        a, b = self.both("GET", path)
        ga, gb = a[2], b[2]
        ga["status"]["applicationState"]["state"] = gb["status"]["applicationState"]["state"] = "RUNNING"
        ga["spec"]["image"] = gb["spec"]["image"] = "changed:1"
        a, b = self.sim.call("PUT", path, ga), self.real.call("PUT", path, gb)
        self.same("PUT of /status", a, b)
        self.same_value("spec and generation after a PUT of /status", [a[2]["spec"]["image"],
                                                                       a[2]["metadata"]["generation"]],
                        [b[2]["spec"]["image"], b[2]["metadata"]["generation"]])
        a, b = self.sim.call("PUT", path, ga), self.real.call("PUT", path, gb)
        self.same("PUT of /status with a stale resourceVersion (409)", a, b)
        ga, gb = self.sim.call("GET", path)[2], self.real.call("GET", path)[2]
        del ga["status"]["driverInfo"], gb["status"]["driverInfo"]
        a, b = self.sim.call("PUT", path, ga), self.real.call("PUT", path, gb)
        self.same("PUT of /status without driverInfo (422)", a, b)
        a, b = self.both("POST", path, {})
        self.same("POST on /status (405)", a, b)
        a, b = self.both("DELETE", path)
        self.same("DELETE on /status (405)", a, b)
        a, b = self.both("PATCH", QAPPS + "/" + self.name("stnope") + "/status", {"status": {}}, ctype=MERGE)
        self.same("merge patch of a missing object's /status (404)", a, b)

    def test_status_ignored_by_main_resource(self):
        name = self.quiet_app("stm")
        a, b = self.both("PATCH", QAPPS + "/" + name, {"status": {"applicationState": {"state": "FAILED"}},
                                                       "spec": {"image": "changed:2"}}, ctype=MERGE)
        self.same("merge patch of the main resource carrying status", a, b)
        self.same_value("status state and generation after that",
                        [a[2]["status"]["applicationState"]["state"], a[2]["metadata"]["generation"]],
                        [b[2]["status"]["applicationState"]["state"], b[2]["metadata"]["generation"]])
        self.same_value("managedFields after a spec write", self.managers(a), self.managers(b))
        a, b = self.both("PATCH", QAPPS + "/" + name, {"spec": {"image": "x"}},
                         ctype="application/strategic-merge-patch+json")
        self.same("strategic merge patch of a custom resource (415)", a, b)

    def driver_phase(self, srv, name, phases):
        st, _, obj, _ = srv.call("GET", PODS + "/" + name + "-driver")
        return st == 200 and obj["status"].get("phase") in phases

    def test_driver_logs(self):
        name = self.name("logs")
        self.both("POST", APPS, app(name))
        for srv in (self.sim, self.real):
            self.assertTrue(poll(lambda: self.driver_phase(srv, name, ("Running", "Succeeded")), 120, 0.2),
                            "%s: no running driver pod %s-driver" % (srv.name, name))
        path = PODS + "/" + name + "-driver/log?container=spark-kubernetes-driver"
        a = self.sim.call("GET", path) if self.driver_phase(self.sim, name, ("Running",)) else None
        b = self.real.call("GET", path) if self.driver_phase(self.real, name, ("Running",)) else None
        if a and b:
            self.same("the log of a running driver", a, b)
        for srv in (self.sim, self.real):
            self.assertTrue(poll(lambda: self.driver_phase(srv, name, ("Succeeded",)), 120, 0.2),
                            "%s: driver pod %s-driver did not succeed" % (srv.name, name))
        a, b = self.both("GET", path)
        self.same("the log of a finished driver", a, b)
        a, b = self.both("GET", PODS + "/" + name + "-driver/log?container=nope")
        self.same("the log of an unknown container (400)", a, b)

    # --- last: an expired continue token (kubesim: its snapshots dropped; real: compaction) ---
    def test_zz_expired_continue(self):
        sel = "?labelSelector=diff-run%%3D%s&limit=1" % RUN
        self.both("POST", APPS, app(self.name("exp0")))
        self.both("POST", APPS, app(self.name("exp1")))
        a, b = self.both("GET", APPS + sel)
        ta, tb = a[2]["metadata"]["continue"], b[2]["metadata"]["continue"]
        # the real server compacts etcd every --etcd-compaction-interval (t/k8s/cluster: 10 s) to
        # the revision of the interval before: write, then wait until the token's revision is gone
        self.real.call("POST", APPS, app(self.name("exp2")))

        def expired():
            self.real.call("PATCH", APPS + "/" + self.name("exp2"), {"metadata": {"labels": {"t": str(time.time())}}},
                           ctype="application/merge-patch+json")
            return self.real.call("GET", APPS + sel + "&continue=" + tb)[0] == 410
        self.assertTrue(poll(expired, 60, 1), "the real server never expired the continue token")
        b = self.real.call("GET", APPS + sel + "&continue=" + tb)
        self.proc.control("POST", "reset", {}, cid="d01")   # kubesim: its snapshots are gone
        a = self.sim.call("GET", APPS + sel + "&continue=" + ta)
        self.same("list with an expired continue token (410 Expired)", a, b)
        self.assertTrue(b[2]["metadata"].get("continue"), "the real 410 carries a fresh continue token")


if __name__ == "__main__":
    unittest.main()
