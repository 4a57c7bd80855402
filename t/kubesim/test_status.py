"""The status subresource and updates as kube-apiserver serves them for a CRD with `subresources: status: {}`:
GET/PUT/PATCH of .../NAME/status, PUT and JSON patch of the main resource, resourceVersion and generation,
409 Conflict, 422 on status, 415 for strategic merge patch, and the response delays tests use for races."""
import threading
import time
import unittest

from simharness import APPS, HAVE_CRD, NS, SimTest, app, state_of, wait_for, wait_state

MERGE = {"Content-Type": "application/merge-patch+json"}
JSONP = {"Content-Type": "application/json-patch+json"}
CONFLICT = ('Operation cannot be fulfilled on sparkapplications.sparkoperator.k8s.io "%s": the object has been '
            "modified; please apply your changes to the latest version and try again")


class StatusTest(SimTest):

    def manual(self, **kw):
        a = app(**kw)
        a["metadata"]["annotations"] = dict(a["metadata"].get("annotations") or {},
                                            **{"kubesim.bpg.dev/outcome": "manual"})
        obj = self.sim.create(a)
        return a["metadata"]["name"], obj

    def status_path(self, name):
        return APPS + "/" + name + "/status"

    def test_status_patch_changes_only_status(self):
        name, obj = self.manual()
        rv0 = int(obj["metadata"]["resourceVersion"])
        st, got = self.sim.req("GET", self.status_path(name))
        self.assertEqual((st, got["metadata"]["name"]), (200, name))
        st, obj = self.sim.req("PATCH", self.status_path(name), {
            "status": {"applicationState": {"state": "RUNNING"}, "driverInfo": {"podName": "p"}},
            "spec": {"image": "ignored"}, "metadata": {"labels": {"ignored": "yes"}}}, headers=MERGE)
        self.assertEqual(st, 200, obj)
        self.assertEqual(state_of(obj), "RUNNING")
        self.assertEqual(obj["spec"]["image"], "apache/spark:3.5.1")          # spec ignored on /status
        self.assertNotIn("ignored", obj["metadata"]["labels"])                # metadata too
        self.assertEqual(obj["metadata"]["generation"], 1)                   # status never bumps generation
        rv1 = int(obj["metadata"]["resourceVersion"])
        self.assertGreater(rv1, rv0)
        self.assertEqual(self.sim.req("GET", APPS + "/" + name)[1], obj)
        # the same write again changes nothing: no new resourceVersion
        st, obj = self.sim.req("PATCH", self.status_path(name), {"status": {"applicationState": {"state": "RUNNING"}}},
                               headers=MERGE)
        self.assertEqual(int(obj["metadata"]["resourceVersion"]), rv1)
        # JSON patch on /status
        st, obj = self.sim.req("PATCH", self.status_path(name), [
            {"op": "test", "path": "/status/applicationState/state", "value": "RUNNING"},
            {"op": "add", "path": "/status/applicationState/errorMessage", "value": "boom"},
            {"op": "replace", "path": "/status/applicationState/state", "value": "FAILING"}], headers=JSONP)
        self.assertEqual((st, obj["status"]["applicationState"]), (200, {"state": "FAILING", "errorMessage": "boom"}))
        self.assertGreater(int(obj["metadata"]["resourceVersion"]), rv1)
        st, body = self.sim.req("PATCH", self.status_path(name), [
            {"op": "test", "path": "/status/applicationState/state", "value": "RUNNING"}], headers=JSONP)
        self.assertEqual((st, body["reason"], body["details"]), (422, "Invalid", {}))    # why: not told, as real
        st, body = self.sim.req("PATCH", self.status_path(name), [
            {"op": "replace", "path": "/status/nope/deeper", "value": 1}], headers=JSONP)
        self.assertEqual(st, 422)
        st, body = self.sim.req("PATCH", self.status_path(name), {"status": {}},
                                headers={"Content-Type": "application/strategic-merge-patch+json"})
        self.assertEqual((st, body["reason"]), (415, "UnsupportedMediaType"))
        st, body = self.sim.req("PATCH", self.status_path("nope"), {"status": {}}, headers=MERGE)
        self.assertEqual((st, body["reason"]), (404, "NotFound"))

    def test_status_put_rules(self):
        name, obj = self.manual()
        st, obj = self.sim.req("PATCH", self.status_path(name), {
            "status": {"applicationState": {"state": "SUBMITTED"}, "driverInfo": {}}}, headers=MERGE)
        rv = obj["metadata"]["resourceVersion"]
        put = dict(obj, status={"applicationState": {"state": "RUNNING"}, "driverInfo": {"podName": "d"}},
                   spec=dict(obj["spec"], image="ignored"))
        st, got = self.sim.req("PUT", self.status_path(name), put)
        self.assertEqual((st, state_of(got), got["spec"]["image"]), (200, "RUNNING", "apache/spark:3.5.1"))
        self.assertEqual(int(got["metadata"]["resourceVersion"]), int(rv) + 1)   # the cluster's counter
        # stale resourceVersion: 409 as the real server words it
        st, body = self.sim.req("PUT", self.status_path(name), put)
        self.assertEqual((st, body["reason"], body["message"]), (409, "Conflict", CONFLICT % name))
        self.assertEqual(body["details"], {"name": name, "group": "sparkoperator.k8s.io", "kind": "sparkapplications"})
        # no resourceVersion: an update must carry one
        put["metadata"] = dict(put["metadata"])
        del put["metadata"]["resourceVersion"]
        st, body = self.sim.req("PUT", self.status_path(name), put)
        self.assertEqual((st, body["reason"], body["details"]["causes"][0]["field"]),
                         (422, "Invalid", "metadata.resourceVersion"))
        # status is validated: driverInfo is required by the operator's CRD
        st, body = self.sim.req("PATCH", self.status_path(name), {"status": {"driverInfo": None}}, headers=MERGE)
        self.assertEqual((st, body["reason"]), (422, "Invalid"))
        self.assertEqual(body["message"], 'SparkApplication.sparkoperator.k8s.io "%s" is invalid: status.driverInfo: '
                         "Required value" % name)
        self.assertEqual(body["details"]["causes"], [{"reason": "FieldValueRequired", "message": "Required value",
                                                      "field": "status.driverInfo"}])
        if HAVE_CRD:
            st, body = self.sim.req("PATCH", self.status_path(name), {"status": {"executionAttempts": "two"}},
                                    headers=MERGE)
            self.assertEqual((st, body["details"]["causes"][0]["field"]), (422, "status.executionAttempts"))
            st, hdrs, _ = self.sim.req("PATCH", self.status_path(name), {"status": {"unknownThing": 1}},
                                       headers=MERGE, raw=True)
            self.assertEqual(st, 200)
            self.assertIn('unknown field \\"status.unknownThing\\"', hdrs.get("warning", ""))
        # a PUT without status removes it (the status strategy copies status as sent)
        st, obj = self.sim.req("GET", APPS + "/" + name)
        obj.pop("status")
        st, obj = self.sim.req("PUT", self.status_path(name), obj)
        self.assertEqual((st, "status" in obj), (200, False))

    def test_main_resource_put_and_json_patch(self):
        name, obj = self.manual()
        self.sim.req("PATCH", self.status_path(name), {
            "status": {"applicationState": {"state": "RUNNING"}, "driverInfo": {}}}, headers=MERGE)
        st, obj = self.sim.req("GET", APPS + "/" + name)
        put = dict(obj, status={"applicationState": {"state": "ignored"}, "driverInfo": {}})
        put["spec"] = dict(obj["spec"], arguments=["1"])
        put["metadata"] = dict(obj["metadata"], labels={"proxyUser": "bob"}, generation=99,
                               creationTimestamp="2000-01-01T00:00:00Z")
        st, got = self.sim.req("PUT", APPS + "/" + name, put)
        self.assertEqual(st, 200, got)
        self.assertEqual((state_of(got), got["spec"]["arguments"], got["metadata"]["labels"]),
                         ("RUNNING", ["1"], {"proxyUser": "bob"}))                 # status ignored
        self.assertEqual(got["metadata"]["generation"], 2)                         # spec changed, server-managed
        self.assertEqual(got["metadata"]["creationTimestamp"], obj["metadata"]["creationTimestamp"])
        self.assertGreater(int(got["metadata"]["resourceVersion"]), int(obj["metadata"]["resourceVersion"]))
        st, body = self.sim.req("PUT", APPS + "/" + name, put)                     # stale
        self.assertEqual((st, body["message"]), (409, CONFLICT % name))
        put = dict(got, metadata=dict(got["metadata"], labels={"a": "b"}))
        st, got2 = self.sim.req("PUT", APPS + "/" + name, put)
        self.assertEqual(got2["metadata"]["generation"], 2)                        # metadata only
        st, body = self.sim.req("PUT", APPS + "/" + name, dict(put, metadata=dict(put["metadata"], name="other")))
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))
        st, body = self.sim.req("PUT", APPS + "/nope", dict(put, metadata=dict(put["metadata"], name="nope")))
        self.assertEqual(st, 404)
        put = dict(got2, spec=dict(got2["spec"], bogus=1))
        st, body = self.sim.req("PUT", APPS + "/" + name + "?fieldValidation=Strict", put)
        self.assertEqual((st, body["message"]), (400, 'SparkApplication in version "v1beta2" cannot be handled as a '
                                                      'SparkApplication: strict decoding error: unknown field '
                                                      '"spec.bogus"'))
        # JSON patch of the main resource: status operations are ignored
        st, obj = self.sim.req("PATCH", APPS + "/" + name, [
            {"op": "replace", "path": "/spec/image", "value": "img:2"},
            {"op": "replace", "path": "/status/applicationState/state", "value": "COMPLETED"},
            {"op": "remove", "path": "/metadata/labels/a"}], headers=JSONP)
        self.assertEqual(st, 200, obj)
        self.assertEqual((obj["spec"]["image"], state_of(obj), obj["metadata"]["generation"]), ("img:2", "RUNNING", 3))
        self.assertNotIn("a", obj["metadata"].get("labels") or {})
        st, body = self.sim.req("PATCH", APPS + "/" + name, [{"op": "remove", "path": "/spec/nope"}], headers=JSONP)
        self.assertEqual((st, body["reason"]), (422, "Invalid"))
        st, body = self.sim.req("PATCH", APPS + "/" + name, [{"op": "jump", "path": "/spec"}], headers=JSONP)
        self.assertEqual(st, 422)
        st, body = self.sim.req("PATCH", APPS + "/" + name, {"metadata": {"resourceVersion": "1"}}, headers=MERGE)
        self.assertEqual((st, body["message"]), (409, CONFLICT % name))

    def test_operator_writes_like_a_client(self):
        a = app(run=1)
        name = a["metadata"]["name"]
        created = self.sim.create(a)
        obj, _ = wait_state(self.sim, name, ["COMPLETED"])
        self.assertEqual(obj["metadata"]["generation"], 1)
        self.assertGreater(int(obj["metadata"]["resourceVersion"]), int(created["metadata"]["resourceVersion"]))
        st, body = self.sim.control("GET", "history?namespace=%s&name=%s" % (NS, name))
        rvs = [int(h["resourceVersion"]) for h in body["history"]]
        self.assertEqual(rvs, sorted(set(rvs)))
        self.assertEqual(body["history"][-1]["state"], "COMPLETED")
        st, listing = self.sim.req("GET", APPS)
        self.assertGreaterEqual(int(listing["metadata"]["resourceVersion"]), int(obj["metadata"]["resourceVersion"]))

    def test_get_delay_answers_the_state_at_arrival(self):
        # the lead's race: a GET whose answer arrives after a newer write
        name, _ = self.manual()
        self.sim.req("PATCH", APPS + "/" + name, {"metadata": {"annotations": {"kubesim.bpg.dev/get-delay-ms": "400"}}},
                     headers=MERGE)
        self.sim.req("PATCH", self.status_path(name), {
            "status": {"applicationState": {"state": "RUNNING"}, "driverInfo": {}}}, headers=MERGE)
        out = {}

        def reader():
            t0 = time.time()
            out["answer"] = self.sim.req("GET", APPS + "/" + name)
            out["seconds"] = time.time() - t0
        th = threading.Thread(target=reader)
        th.start()
        wait_for(lambda: self.sim.control("GET", "state")[1]["delayed"] == 1, what="a delayed answer")
        st, newer = self.sim.req("PATCH", self.status_path(name), {"status": {"applicationState": {
            "state": "COMPLETED"}}}, headers=MERGE)
        self.assertEqual(st, 200)
        th.join(10)
        st, old = out["answer"]
        self.assertEqual((st, state_of(old)), (200, "RUNNING"))
        self.assertLess(int(old["metadata"]["resourceVersion"]), int(newer["metadata"]["resourceVersion"]))
        self.assertGreaterEqual(out["seconds"], 0.4)
        self.assertEqual(self.sim.control("GET", "state")[1]["delayed"], 0)
        t0 = time.time()
        self.assertEqual(self.sim.req("GET", APPS + "?limit=1")[0], 200)     # lists are not delayed
        self.assertLess(time.time() - t0, 0.4)

    def test_create_answer_delayed_after_the_create(self):
        st, _ = self.sim.control("POST", "faults", {"mode": "delay", "delay_ms": 500, "after": True,
                                                    "method": "POST", "path_prefix": APPS, "count": 1})
        self.assertEqual(st, 200)
        a = app()
        name = a["metadata"]["name"]
        out = {}
        th = threading.Thread(target=lambda: out.update(r=self.sim.req("POST", APPS, a)))
        th.start()
        wait_for(lambda: self.sim.req("GET", APPS + "/" + name)[0] == 200, what="the object before its answer")
        self.assertNotIn("r", out)
        th.join(10)
        self.assertEqual(out["r"][0], 201)
        self.sim.control("DELETE", "faults")


if __name__ == "__main__":
    unittest.main()
