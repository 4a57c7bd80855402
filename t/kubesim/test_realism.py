"""Behaviours kubesim copies from a real kube-apiserver v1.34 (t/k8s/test_differential.py checks the same
calls against one): managedFields, a create carrying resourceVersion, a custom resource's list metadata
and continue rules, an expired token's fresh continue, unserved paths, pod creation and an unscheduled
pod's log, and the verbs /status refuses."""
import base64
import json
import unittest

from simharness import APPS, NS, SimTest, app, wait_for

MERGE = {"Content-Type": "application/merge-patch+json"}
PODS = "/api/v1/namespaces/%s/pods" % NS


def manual(**kw):
    return app(outcome="manual", **kw)


class RealismTest(SimTest):

    def test_managed_fields_of_create_and_updates(self):
        a = manual(labels={"l": "1"})
        name = a["metadata"]["name"]
        st, obj = self.sim.req("POST", APPS, a, headers={"User-Agent": "bpg-gateway/1.0 (linux)"})
        self.assertEqual(st, 201)
        (mf,) = obj["metadata"]["managedFields"]
        self.assertEqual((mf["manager"], mf["operation"], mf["apiVersion"], mf["fieldsType"]),
                         ("bpg-gateway", "Update", "sparkoperator.k8s.io/v1beta2", "FieldsV1"))
        self.assertRegex(mf["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(mf["fieldsV1"]["f:metadata"], {"f:labels": {".": {}, "f:l": {}},
                                                        "f:annotations": {".": {}, "f:kubesim.bpg.dev/outcome": {}}})
        self.assertEqual(mf["fieldsV1"]["f:spec"]["."], {})
        self.assertEqual(mf["fieldsV1"]["f:spec"]["f:driver"]["f:cores"], {})
        self.assertNotIn("subresource", mf)
        # no User-Agent: "unknown"; ?fieldManager= wins over the User-Agent
        b = manual()
        self.assertEqual(self.sim.create(b)["metadata"]["managedFields"][0]["manager"], "unknown")
        st, obj = self.sim.req("POST", APPS + "?fieldManager=fm", manual(), headers={"User-Agent": "curl/8"})
        self.assertEqual(obj["metadata"]["managedFields"][0]["manager"], "fm")
        # a /status write: its own entry, with the fields it changed (a label sent there is recorded, not applied)
        st, obj = self.sim.req("PATCH", APPS + "/" + name + "/status", {
            "metadata": {"labels": {"x": "y"}},
            "status": {"applicationState": {"state": "SUBMITTED"}, "driverInfo": {}}}, headers=MERGE)
        self.assertEqual(st, 200, obj)
        self.assertNotIn("x", obj["metadata"]["labels"])
        ent = {(m["manager"], m.get("subresource")): m["fieldsV1"] for m in obj["metadata"]["managedFields"]}
        self.assertEqual(ent[("unknown", "status")], {
            "f:metadata": {"f:labels": {"f:x": {}}},
            "f:status": {".": {}, "f:applicationState": {".": {}, "f:state": {}}, "f:driverInfo": {}}})
        # a spec write by the creator: its entry takes the changed field; a no-op write changes nothing
        rv = obj["metadata"]["resourceVersion"]
        st, obj = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"image": "new:1"}}, headers=dict(
            MERGE, **{"User-Agent": "bpg-gateway/1.0"}))
        ent = {(m["manager"], m.get("subresource")): m["fieldsV1"] for m in obj["metadata"]["managedFields"]}
        self.assertEqual(len(ent), 2)
        self.assertIn("f:image", ent[("bpg-gateway", None)]["f:spec"])
        self.assertNotEqual(obj["metadata"]["resourceVersion"], rv)
        st, same = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"image": "new:1"}}, headers=MERGE)
        self.assertEqual(same["metadata"], obj["metadata"])

    def test_operator_status_writes_are_recorded(self):
        a = app()
        self.sim.create(a)
        name = a["metadata"]["name"]
        obj = wait_for(lambda: next((o for o in [self.sim.req("GET", APPS + "/" + name)[1]]
                                     if any(m["manager"] == "spark-operator" for m in o["metadata"]["managedFields"])),
                                    None), what="the operator's status write")
        (op,) = [m for m in obj["metadata"]["managedFields"] if m["manager"] == "spark-operator"]
        self.assertEqual((op["subresource"], op["operation"]), ("status", "Update"))
        self.assertIn("f:applicationState", op["fieldsV1"]["f:status"])

    def test_create_with_resource_version_500(self):
        a = app()
        a["metadata"]["resourceVersion"] = "12"
        st, body = self.sim.req("POST", APPS, a)
        self.assertEqual((st, body), (500, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                            "message": "resourceVersion should not be set on objects to be created",
                                            "code": 500}))

    def test_list_metadata_and_continue_rules(self):
        for i in range(3):
            self.sim.create(manual(name="lst-%d" % i, labels={"lst": "x"}))
        q = APPS + "?labelSelector=lst%3Dx"
        st, body = self.sim.req("GET", q)
        self.assertEqual(body["metadata"]["continue"], "")          # a custom resource's list: always the key
        st, body = self.sim.req("GET", q + "&limit=2")
        tok = body["metadata"]["continue"]
        self.assertTrue(tok)
        st, body = self.sim.req("GET", q + "&limit=2&resourceVersion=5&continue=" + tok)
        self.assertEqual((st, body["reason"], body["message"]),
                         (400, "BadRequest", "specifying resource version is not allowed when using continue"))
        st, body = self.sim.req("GET", q + "&limit=2&resourceVersion=0&continue=" + tok)
        self.assertEqual((st, len(body["items"]), body["metadata"]["continue"]), (200, 1, ""))
        st, body = self.sim.req("GET", q + "&limit=2&resourceVersionMatch=NotOlderThan&continue=" + tok)
        self.assertEqual((st, body["details"]["causes"][0]["field"]), (422, "resourceVersionMatch"))
        st, body = self.sim.req("GET", APPS + "?fieldSelector=spec.type%3DPython")
        self.assertEqual((st, body["message"]), (400, "field label not supported: spec.type"))
        st, body = self.sim.req("GET", PODS + "?fieldSelector=spec.nope%3Dx")
        self.assertEqual((st, body["message"]), (400, "field label not supported: spec.nope"))
        # a Table's metadata has no empty continue
        st, body = self.sim.req("GET", q, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
        self.assertNotIn("continue", body["metadata"])

    def test_expired_token_carries_a_fresh_one(self):
        for i in range(3):
            self.sim.create(manual(name="exp-%d" % i, labels={"exp": "x"}))
        q = APPS + "?labelSelector=exp%3Dx&limit=1"
        st, body = self.sim.req("GET", q)
        tok = body["metadata"]["continue"]
        self.sim.control("POST", "reset", {})       # every snapshot gone, and every object
        for i in range(4):
            self.sim.create(manual(name="exp-%d" % i, labels={"exp": "x"}))
        st, body = self.sim.req("GET", q + "&continue=" + tok)
        self.assertEqual((st, body["reason"]), (410, "Expired"))
        fresh = body["metadata"]["continue"]
        d = json.loads(base64.urlsafe_b64decode(fresh + "=" * (-len(fresh) % 4)))
        self.assertEqual(d["rv"], -1)
        # the fresh token goes on after the key the old one stopped at, in the list as it is now
        names = []
        while fresh:
            st, body = self.sim.req("GET", q + "&continue=" + fresh)
            self.assertEqual(st, 200, body)
            names += [i["metadata"]["name"] for i in body["items"]]
            fresh = body["metadata"]["continue"]
        self.assertEqual(names, ["exp-1", "exp-2", "exp-3"])
        # a token that says nothing of where it stopped: a plain 410
        st, body = self.sim.req("GET", q + "&continue=" + base64.urlsafe_b64encode(b'{"id":"x"}').decode())
        self.assertEqual((st, body["metadata"]), (410, {}))

    def test_unserved_paths(self):
        for p in ("/apis/nope.example.com/v1/namespaces/%s/things" % NS,
                  "/apis/sparkoperator.k8s.io/v1beta2/namespaces/%s/sparkapps" % NS, "/nope"):
            st, h, data = self.sim.req("GET", p, raw=True)
            self.assertEqual((st, h["content-type"], data), (404, "text/plain; charset=utf-8", b"404 page not found\n"))
        st, body = self.sim.req("GET", "/api/v1/namespaces/%s/things" % NS)
        self.assertEqual((st, body["message"], body["details"]), (404, "the server could not find the requested resource",
                                                                  {}))
        a = manual()
        self.sim.create(a)
        st, body = self.sim.req("GET", APPS + "/" + a["metadata"]["name"] + "/nope")
        self.assertEqual((st, body["reason"], body["details"]["name"]), (404, "NotFound", a["metadata"]["name"]))
        for m, verb in (("POST", "create"), ("DELETE", "delete")):
            st, body = self.sim.req(m, APPS + "/" + a["metadata"]["name"] + "/status", {})
            self.assertEqual((st, body["message"]), (405, '%s is not supported on resources of kind '
                                                          '"sparkapplications.sparkoperator.k8s.io"' % verb))

    def test_pod_create_and_unscheduled_log(self):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "loose-pod", "labels": {"a": "b"}},
               "spec": {"nodeSelector": {"x": "y"}, "containers": [{"name": "c", "image": "busybox"}]}}
        st, obj = self.sim.req("POST", PODS, pod)
        self.assertEqual(st, 201, obj)
        self.assertEqual((obj["status"], obj["spec"]["restartPolicy"], obj["spec"]["containers"][0]["imagePullPolicy"]),
                         ({"phase": "Pending", "qosClass": "BestEffort"}, "Always", "Always"))
        self.assertNotIn("nodeName", obj["spec"])
        self.assertIn('k:{"name":"c"}', obj["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:containers"])
        st, h, data = self.sim.req("GET", PODS + "/loose-pod/log", raw=True)
        self.assertEqual((st, data), (204, b""))
        st, body = self.sim.req("GET", PODS + "/loose-pod/log?container=nope")
        self.assertEqual((st, body["message"]), (400, "container nope is not valid for pod loose-pod"))
        self.assertEqual(self.sim.req("GET", PODS + "/loose-pod")[0], 200)
        self.assertIn("loose-pod", [p["metadata"]["name"] for p in self.sim.req("GET", PODS + "?labelSelector=a%3Db")[1]
                                    ["items"]])
        st, body = self.sim.req("POST", PODS, pod)
        self.assertEqual((st, body["reason"], body["details"]), (409, "AlreadyExists",
                                                                 {"name": "loose-pod", "kind": "pods"}))
        st, body = self.sim.req("POST", PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p2"},
                                               "spec": {"containers": [{"name": "c"}]}})
        self.assertEqual((st, body["message"]), (422, 'Pod "p2" is invalid: spec.containers[0].image: Required value'))
        self.assertEqual(self.sim.req("DELETE", PODS + "/loose-pod")[0], 200)
        self.assertEqual(self.sim.req("GET", PODS + "/loose-pod")[0], 404)


if __name__ == "__main__":
    unittest.main()
