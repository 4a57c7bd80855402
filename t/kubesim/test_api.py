"""kubesim's API server: auth, TLS, discovery, create/get/list/delete/patch, selectors, paging, Status errors."""
import base64
import http.client
import json
import os
import ssl
import threading
import time
import unittest
import uuid

import yaml

from simharness import API, APPS, HAVE_CRD, NS, SimTest, app, apps_path


class ApiTest(SimTest):

    # files, TLS, tokens, discovery
    def test_files_and_kubeconfig(self):
        d = self.sim.dir
        for cid in ("c01", "c02"):
            for f in ("ca.crt", "tls.crt", "tls.key", "token"):
                self.assertTrue(os.path.getsize(os.path.join(d, cid, f)) > 0, (cid, f))
        self.assertNotEqual(self.sim.token("c01"), self.sim.token("c02"))
        with open(os.path.join(d, "kubeconfig")) as f:
            kc = yaml.safe_load(f)
        self.assertEqual(kc["current-context"], "c01")
        ctx = {c["name"]: c["context"] for c in kc["contexts"]}
        self.assertEqual(ctx["c01"]["namespace"], NS)
        clusters = {c["name"]: c["cluster"] for c in kc["clusters"]}
        self.assertEqual(clusters["c02"]["server"], "https://127.0.0.1:%d" % self.sim.ports["c02"])
        with open(os.path.join(d, "c01", "ca.crt"), "rb") as f:
            self.assertEqual(base64.b64decode(clusters["c01"]["certificate-authority-data"]), f.read())
        users = {u["name"]: u["user"] for u in kc["users"]}
        self.assertEqual(users["c02"]["token"], self.sim.token("c02"))
        self.assertIn("full schema check" if not HAVE_CRD else "CRD schema check on", self.sim.output())

    def test_auth_401_status(self):
        st, body = self.sim.req("GET", APPS, token=False)
        self.assertEqual(st, 401)
        self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
        self.assertEqual(self.sim.req("GET", APPS, token="wrong")[0], 401)
        self.assertEqual(self.sim.req("GET", APPS, token=self.sim.token("c02"))[0], 401)   # a token per cluster
        self.assertEqual(self.sim.req("GET", APPS, cid="c02")[0], 200)
        self.assertEqual(self.sim.req("GET", "/version", token=False)[0], 200)      # anonymous, as real servers
        self.assertEqual(self.sim.req("GET", "/version", token="wrong")[0], 401)
        self.assertEqual(self.sim.req("GET", "/api/v1/namespaces/%s/pods" % NS, token=False)[0], 401)

    def test_own_ca_per_cluster_and_san(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.sim.dir, "c02", "ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", self.sim.ports["c01"], context=ctx, timeout=5)
        with self.assertRaises(ssl.SSLCertVerificationError):
            c.request("GET", "/version")
        c.close()
        ctx = ssl.create_default_context(cafile=os.path.join(self.sim.dir, "c01", "ca.crt"))
        c = http.client.HTTPSConnection("localhost", self.sim.ports["c01"], context=ctx, timeout=5)
        c.request("GET", "/version")          # the name localhost is in the certificate too
        self.assertEqual(c.getresponse().status, 200)
        c.close()

    def test_discovery(self):
        for path in ("/version", "/api", "/api/v1", "/apis", "/apis/sparkoperator.k8s.io", API):
            st, body = self.sim.req("GET", path)
            self.assertEqual(st, 200, path)
        self.assertEqual(self.sim.req("GET", "/version")[1]["major"], "1")
        groups = self.sim.req("GET", "/apis")[1]["groups"]
        self.assertEqual(groups[0]["preferredVersion"]["groupVersion"], "sparkoperator.k8s.io/v1beta2")
        res = {r["name"]: r for r in self.sim.req("GET", API)[1]["resources"]}
        self.assertTrue(res["sparkapplications"]["namespaced"])
        self.assertEqual(res["sparkapplications"]["kind"], "SparkApplication")
        self.assertIn("pods/log", {r["name"] for r in self.sim.req("GET", "/api/v1")[1]["resources"]})
        self.assertEqual(res["sparkapplications/status"]["verbs"], ["get", "patch", "update"])
        st, body = self.sim.req("GET", "/openapi/v2")
        self.assertEqual((st, body["swagger"]), (200, "2.0"))
        st, body = self.sim.req("GET", "/openapi/v3")
        url = body["paths"]["apis/sparkoperator.k8s.io/v1beta2"]["serverRelativeURL"]
        self.assertRegex(url, r"^/openapi/v3/apis/sparkoperator.k8s.io/v1beta2\?hash=[0-9A-F]{128}$")
        st, doc = self.sim.req("GET", url)
        self.assertEqual(st, 200)
        patch = doc["paths"][API + "/namespaces/{namespace}/sparkapplications/{name}"]["patch"]
        self.assertEqual(patch["x-kubernetes-group-version-kind"]["kind"], "SparkApplication")
        self.assertIn("fieldValidation", [p["name"] for p in patch["parameters"]])
        self.assertNotIn("application/strategic-merge-patch+json", patch["requestBody"]["content"])
        st, body = self.sim.req("GET", "/openapi/v2", headers={
            "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
        self.assertEqual((st, body["reason"]), (406, "NotAcceptable"))
        st, _, data = self.sim.req("GET", "/openapi/v3/apis/nope/v1", raw=True)
        self.assertEqual((st, data), (404, b""))          # as the real server: an empty 404

    # create / get
    def test_create_get_409_404(self):
        a = app()
        name = a["metadata"]["name"]
        obj = self.sim.create(a)
        md = obj["metadata"]
        for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            self.assertIn(k, md)
        self.assertEqual((md["namespace"], md["generation"], obj["kind"]), (NS, 1, "SparkApplication"))
        self.assertRegex(md["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        st, obj2 = self.sim.req("GET", APPS + "/" + name)
        self.assertEqual((st, obj2["metadata"]["uid"]), (200, md["uid"]))
        st, body = self.sim.req("POST", APPS, a)
        self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": 'sparkapplications.sparkoperator.k8s.io "%s" already exists' % name,
                                "reason": "AlreadyExists", "details": {"name": name, "group": "sparkoperator.k8s.io",
                                                                       "kind": "sparkapplications"}, "code": 409})
        st, body = self.sim.req("GET", APPS + "/nope")
        self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": 'sparkapplications.sparkoperator.k8s.io "nope" not found',
                                "reason": "NotFound", "details": {"name": "nope", "group": "sparkoperator.k8s.io",
                                                                  "kind": "sparkapplications"}, "code": 404})
        # as the real server: a namespace that does not exist lists empty; creating in it is a 404
        st, body = self.sim.req("GET", apps_path("nons"))
        self.assertEqual((st, body["items"]), (200, []))
        st, body = self.sim.req("POST", apps_path("nons"), app())
        self.assertEqual((st, body["message"], body["details"]), (404, 'namespaces "nons" not found',
                                                                   {"name": "nons", "kind": "namespaces"}))
        st, body = self.sim.req("POST", APPS, app(ns="other"))
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))

    def test_generate_name(self):
        a = app()
        del a["metadata"]["name"]
        a["metadata"]["generateName"] = "gen-"
        obj = self.sim.create(a)
        self.assertRegex(obj["metadata"]["name"], r"^gen-[a-z0-9]{5}$")

    def test_metadata_rules_422(self):
        for name in ("C01-UPPER", "-leading", "a" * 254, "under_score", "trailing."):
            st, body = self.sim.req("POST", APPS, app(name=name))
            self.assertEqual((st, body["reason"], body["code"]), (422, "Invalid", 422), name)
            self.assertEqual(body["details"]["causes"][0]["field"], "metadata.name")
            self.assertEqual(body["details"]["kind"], "SparkApplication")
            self.assertTrue(body["message"].startswith('SparkApplication.sparkoperator.k8s.io "%s" is invalid: '
                                                       "metadata.name: Invalid value" % name), body["message"])
        for labels in ({"proxyUser": "bad value"}, {"proxyUser": "x" * 64}, {"bad key!": "v"},
                       {"UPPER.example.com/k": "v"}, {"k": "-dash"}):
            st, body = self.sim.req("POST", APPS, app(labels=labels))
            self.assertEqual(st, 422, labels)
            self.assertEqual(body["details"]["causes"][0]["field"], "metadata.labels")
        for labels in ({"a.b/c-d_e.f": "x_y.z-1"}, {"empty": ""}):
            self.assertEqual(self.sim.req("POST", APPS, app(labels=labels))[0], 201, labels)

    @unittest.skipUnless(HAVE_CRD, "the project's ../shared/crd is not there")
    def test_schema_422_names_the_field(self):
        a = app()
        a["spec"]["executor"]["instances"] = "two"
        name = a["metadata"]["name"]
        st, body = self.sim.req("POST", APPS, a)
        self.assertEqual((st, body["reason"]), (422, "Invalid"))
        self.assertEqual(body["details"]["causes"], [{
            "reason": "FieldValueTypeInvalid", "field": "spec.executor.instances",
            "message": 'Invalid value: "string": spec.executor.instances in body must be of type integer: "string"'}])
        self.assertEqual(body["message"], 'SparkApplication.sparkoperator.k8s.io "%s" is invalid: '
                         'spec.executor.instances: Invalid value: "string": spec.executor.instances in body must be '
                         'of type integer: "string"' % name)
        self.assertEqual(self.sim.req("GET", APPS + "/" + name)[0], 404)      # nothing was stored
        a = app()
        a["spec"]["type"] = "Cobol"
        del a["spec"]["sparkVersion"]
        st, body = self.sim.req("POST", APPS, a)
        causes = {c["field"]: c for c in body["details"]["causes"]}
        self.assertEqual(causes["spec.sparkVersion"]["reason"], "FieldValueRequired")
        self.assertEqual(causes["spec.type"]["reason"], "FieldValueNotSupported")
        self.assertIn('Unsupported value: "Cobol"', causes["spec.type"]["message"])
        self.assertTrue(body["message"].split(" is invalid: ")[1].startswith("["))   # several: aggregated

    @unittest.skipUnless(HAVE_CRD, "the project's ../shared/crd is not there")
    def test_unknown_fields_pruned_warned_or_strict(self):
        a = app()
        a["spec"]["notAField"] = 1
        a["spec"]["driver"]["bogus"] = {"x": 1}
        a["topLevelJunk"] = True
        a["status"] = {"applicationState": {"state": "COMPLETED"}}       # status is a subresource: ignored
        st, h, data = self.sim.req("POST", APPS, a, raw=True)
        obj = json.loads(data)
        self.assertEqual(st, 201, obj)
        self.assertNotIn("notAField", obj["spec"])
        self.assertNotIn("bogus", obj["spec"]["driver"])
        self.assertNotIn("topLevelJunk", obj)
        self.assertNotEqual((obj.get("status") or {}).get("applicationState", {}).get("state"), "COMPLETED")
        self.assertEqual(obj["spec"]["driver"]["memory"], "1g")
        self.assertIn('unknown field \\"spec.notAField\\"', h.get("warning", ""))
        self.assertNotIn("notAField", self.sim.req("GET", APPS + "/" + a["metadata"]["name"])[1]["spec"])
        b = app()
        b["spec"]["notAField"] = 1
        st, body = self.sim.req("POST", APPS + "?fieldValidation=Strict", b)
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))
        self.assertEqual(body["message"], 'SparkApplication in version "v1beta2" cannot be handled as a '
                                          'SparkApplication: strict decoding error: unknown field "spec.notAField"')
        self.assertEqual(self.sim.req("POST", APPS + "?fieldValidation=Strict", app())[0], 201)

    def test_bad_input_400_and_keepalive(self):
        c = self.sim.conn()
        for body in (b"{not json", b"[1,2]", b"\xff\xfe", b""):
            st, b = self.sim.req("POST", APPS, body, conn=c, headers={"Content-Type": "application/json"})
            self.assertEqual((st, b["kind"], b["reason"]), (400, "Status", "BadRequest"), body)
        st, b = self.sim.req("POST", APPS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}}, conn=c)
        self.assertEqual(st, 400)
        st, b = self.sim.req("GET", APPS + "?limit=abc", conn=c)
        self.assertEqual(st, 400)
        st, b = self.sim.req("GET", APPS + "?labelSelector=a%20in%20(", conn=c)
        self.assertEqual((st, b["reason"]), (400, "BadRequest"))
        st, b = self.sim.req("GET", APPS + "?fieldSelector=spec.type%3DScala", conn=c)
        self.assertEqual(st, 400)
        st, h, data = self.sim.req("POST", "/nowhere", {"a": 1}, conn=c, raw=True)
        self.assertEqual((st, h["content-type"], data), (404, "text/plain; charset=utf-8", b"404 page not found\n"))
        # the same kept-alive connection still answers
        self.assertEqual(self.sim.req("GET", "/version", conn=c)[0], 200)
        c.close()
        # garbage on the socket does not kill the server
        import socket
        s = socket.create_connection(("127.0.0.1", self.sim.ports["c01"]))
        s.sendall(b"\x16\x03\x01garbage" * 10)
        s.close()
        raw = ssl.create_default_context(cafile=os.path.join(self.sim.dir, "c01", "ca.crt")).wrap_socket(
            socket.create_connection(("127.0.0.1", self.sim.ports["c01"])), server_hostname="127.0.0.1")
        raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        raw.recv(100)
        raw.close()
        self.assertEqual(self.sim.req("GET", "/version")[0], 200)

    def test_label_and_field_selectors(self):
        tag = uuid.uuid4().hex[:8]
        specs = {"s1": {"t": tag, "user": "alice", "tier": "gold"}, "s2": {"t": tag, "user": "bob", "tier": "silver"},
                 "s3": {"t": tag, "user": "carol"}, "s4": {"t": tag, "user": "alice", "tier": "bronze"}}
        for n, labels in specs.items():
            self.sim.create(app(name="%s-%s" % (tag, n), labels=labels))

        def names(sel, path=APPS):
            st, body = self.sim.req("GET", path + "?labelSelector=" + sel.replace(" ", "%20").replace("!", "%21")
                                    .replace("=", "%3D").replace(",", "%2C"))
            self.assertEqual(st, 200, (sel, body))
            return sorted(i["metadata"]["name"].split("-")[1] for i in body["items"])
        t = "t=%s," % tag
        self.assertEqual(names(t + "user=alice"), ["s1", "s4"])
        self.assertEqual(names(t + "user==alice"), ["s1", "s4"])
        self.assertEqual(names(t + "user!=alice"), ["s2", "s3"])
        self.assertEqual(names(t + "tier in (gold,silver)"), ["s2", "s1"][::-1])
        self.assertEqual(names(t + "tier notin (gold,silver)"), ["s3", "s4"])     # no label counts as notin
        self.assertEqual(names(t + "tier"), ["s1", "s2", "s4"])
        self.assertEqual(names(t + "!tier"), ["s3"])
        self.assertEqual(names(t + "user=alice,tier=bronze"), ["s4"])
        self.assertEqual(names(t + "user=nobody"), [])
        self.assertEqual(names(t + "user=alice", path=API + "/sparkapplications"), ["s1", "s4"])   # all namespaces
        st, body = self.sim.req("GET", APPS + "?fieldSelector=metadata.name%3D" + tag + "-s2")
        self.assertEqual([i["metadata"]["name"] for i in body["items"]], [tag + "-s2"])
        st, body = self.sim.req("GET", API + "/sparkapplications?fieldSelector=metadata.namespace%3Dother")
        self.assertEqual((st, body["items"]), (200, []))
        st, body = self.sim.req("GET", APPS + "?fieldSelector=metadata.name!%3D" + tag + "-s2&labelSelector=t%3D" + tag)
        self.assertEqual(len(body["items"]), 3)

    def test_list_shape_and_all_namespaces(self):
        self.sim.create(app(name="ns-other-app", ns="other"), ns="other")
        st, body = self.sim.req("GET", APPS)
        self.assertEqual((body["kind"], body["apiVersion"]), ("SparkApplicationList", "sparkoperator.k8s.io/v1beta2"))
        self.assertTrue(body["metadata"]["resourceVersion"].isdigit())
        self.assertTrue(all(i["kind"] == "SparkApplication" and i["apiVersion"] for i in body["items"]))
        self.assertNotIn("ns-other-app", [i["metadata"]["name"] for i in body["items"]])
        st, body = self.sim.req("GET", API + "/sparkapplications")
        self.assertIn(("other", "ns-other-app"), [(i["metadata"]["namespace"], i["metadata"]["name"])
                                                  for i in body["items"]])

    def test_paging_consistent_while_objects_change(self):
        tag = uuid.uuid4().hex[:8]
        for i in range(25):
            self.sim.create(app(name="%s-%03d" % (tag, i), labels={"page": tag}))
        q = APPS + "?labelSelector=page%3D" + tag + "&limit=10"
        st, p1 = self.sim.req("GET", q)
        self.assertEqual(len(p1["items"]), 10)
        cont = p1["metadata"]["continue"]
        self.assertNotIn("remainingItemCount", p1["metadata"])         # not counted with a selector
        rv = p1["metadata"]["resourceVersion"]
        # change the collection between pages: deletions, creations, updates
        self.sim.req("DELETE", APPS + "/%s-015" % tag)
        self.sim.req("DELETE", APPS + "/%s-003" % tag)
        self.sim.create(app(name="%s-0125" % tag, labels={"page": tag}))
        st, p2 = self.sim.req("GET", q + "&continue=" + cont)
        st, p3 = self.sim.req("GET", q + "&continue=" + p2["metadata"]["continue"])
        self.assertEqual(p2["metadata"]["resourceVersion"], rv)
        self.assertFalse(p3["metadata"].get("continue"))
        names = [i["metadata"]["name"] for p in (p1, p2, p3) for i in p["items"]]
        self.assertEqual(names, ["%s-%03d" % (tag, i) for i in range(25)])     # the list as it was at the start
        # the same token again gives the same page
        st, again = self.sim.req("GET", q + "&continue=" + cont)
        self.assertEqual([i["metadata"]["name"] for i in again["items"]], [i["metadata"]["name"] for i in p2["items"]])
        # without a selector the server counts what is left
        st, body = self.sim.req("GET", APPS + "?limit=1")
        self.assertEqual(body["metadata"]["remainingItemCount"], len(self.sim.req("GET", APPS)[1]["items"]) - 1)

    def test_bad_continue_410(self):
        for tok in ("garbage", base64.urlsafe_b64encode(b'{"id":"nope","start":10}').decode(), "%%%"):
            st, body = self.sim.req("GET", APPS + "?limit=5&continue=" + tok)
            self.assertEqual((st, body["reason"], body["code"], body["status"]), (410, "Expired", 410, "Failure"), tok)
            self.assertTrue(body["message"].startswith("The provided continue parameter is too old"))

    def test_delete_returns_status_and_removes_pods(self):
        a = app(outcome="hang")
        name = a["metadata"]["name"]
        uid = self.sim.create(a)["metadata"]["uid"]
        deadline = time.time() + 10
        while time.time() < deadline:
            pods = self.sim.req("GET", "/api/v1/namespaces/%s/pods?labelSelector=sparkoperator.k8s.io%%2Fapp-name%%3D%s"
                                % (NS, name))[1]["items"]
            if len(pods) == 3:
                break
            time.sleep(0.02)
        self.assertEqual(len(pods), 3)
        st, body = self.sim.req("DELETE", APPS + "/" + name, {"propagationPolicy": "Background"})
        self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                "details": {"name": name, "group": "sparkoperator.k8s.io", "kind": "sparkapplications",
                                            "uid": uid}})
        self.assertEqual(self.sim.req("GET", APPS + "/" + name)[0], 404)
        self.assertEqual(self.sim.req("GET", "/api/v1/namespaces/%s/pods/%s-driver" % (NS, name))[0], 404)
        st, body = self.sim.req("DELETE", APPS + "/" + name)
        self.assertEqual((st, body["reason"]), (404, "NotFound"))

    def test_merge_patch(self):
        a = app(outcome="hang", labels={"proxyUser": "alice", "drop": "me"})
        name = a["metadata"]["name"]
        obj = self.sim.create(a)
        rv = obj["metadata"]["resourceVersion"]
        st, obj = self.sim.req("PATCH", APPS + "/" + name, {"metadata": {"labels": {"drop": None, "new": "x"}}},
                               headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(st, 200, obj)
        self.assertEqual(obj["metadata"]["labels"], {"proxyUser": "alice", "new": "x"})
        self.assertNotEqual(obj["metadata"]["resourceVersion"], rv)
        self.assertEqual(obj["metadata"]["generation"], 1)                  # metadata only
        st, obj = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"arguments": ["10"]}, "status": {"x": 1}},
                               headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual((st, obj["spec"]["arguments"], obj["metadata"]["generation"]), (200, ["10"], 2))
        self.assertNotIn("x", obj.get("status") or {})                         # status is a subresource
        self.assertEqual(obj["spec"]["driver"]["memory"], "1g")                 # the rest is kept
        st, body = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"x": 1}},
                                headers={"Content-Type": "application/strategic-merge-patch+json"})
        self.assertEqual((st, body["reason"], body["code"]), (415, "UnsupportedMediaType", 415))
        self.assertEqual(body["message"], "the body of the request was in an unknown format - accepted media types "
                         "include: application/json-patch+json, application/merge-patch+json, "
                         "application/apply-patch+yaml")
        st, body = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"x": 1}},
                                headers={"Content-Type": "application/json-patch+json"})
        self.assertEqual((st, body["reason"]), (400, "BadRequest"))         # a JSON patch is a list
        st, body = self.sim.req("PATCH", APPS + "/" + name, {"metadata": {"resourceVersion": "1"}},
                                headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual((st, body["reason"]), (409, "Conflict"))
        st, body = self.sim.req("PATCH", APPS + "/" + name, {"metadata": {"labels": {"k": "bad value"}}},
                                headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual((st, body["reason"]), (422, "Invalid"))
        st, body = self.sim.req("PATCH", APPS + "/nope", {}, headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(st, 404)
        with self.subTest("a patch breaking the CRD schema"):
            if not HAVE_CRD:
                self.skipTest("the project's ../shared/crd is not there")
            st, body = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"executor": {"instances": "many"}}},
                                    headers={"Content-Type": "application/merge-patch+json"})
            self.assertEqual((st, body["details"]["causes"][0]["field"]), (422, "spec.executor.instances"))

    def test_concurrent_clients(self):
        errors = []

        def worker(i):
            try:
                c = self.sim.conn()
                for j in range(10):
                    st, _ = self.sim.req("POST", APPS, app(name="conc-%d-%d" % (i, j)), conn=c)
                    assert st == 201, st
                    st, _ = self.sim.req("GET", APPS + "?limit=5", conn=c)
                    assert st == 200, st
                c.close()
            except Exception as e:
                errors.append(e)
        ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(errors, [])
        st, body = self.sim.req("GET", APPS + "?limit=500")
        self.assertEqual(len([i for i in body["items"] if i["metadata"]["name"].startswith("conc-")]), 80)


if __name__ == "__main__":
    unittest.main()
