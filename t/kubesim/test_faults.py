"""kubesim's control API: injected faults (refuse, 500, 503, delay, 429), their filters and counts, bulk, reset."""
import http.client
import json
import ssl
import time
import unittest

from simharness import APPS, HAVE_CRD, NS, Sim, SimTest, app, apps_path, step_state


class FaultTest(SimTest):

    def tearDown(self):
        for cid in ("c01", "c02"):
            self.assertEqual(self.sim.control("DELETE", "faults", cid=cid)[1], {"faults": []})

    def test_500_and_503_status_with_count(self):
        for fault, code, reason in (({"mode": "status", "status": 500}, 500, "InternalError"),
                                    ({"mode": "503"}, 503, "ServiceUnavailable"),
                                    ({"mode": "status", "status": 503}, 503, "ServiceUnavailable")):
            self.assertEqual(self.sim.control("POST", "faults", dict(fault, count=2))[0], 200)
            for _ in range(2):
                st, body = self.sim.req("GET", APPS)
                self.assertEqual((st, body["kind"], body["status"], body["reason"], body["code"]),
                                 (code, "Status", "Failure", reason, code))
            self.assertEqual(self.sim.req("GET", APPS)[0], 200)              # count 2: only twice
        self.assertEqual(self.sim.req("GET", APPS, cid="c02")[0], 200)

    def test_faults_apply_before_auth_and_not_to_control(self):
        self.sim.control("POST", "faults", {"mode": "503"})
        self.assertEqual(self.sim.req("GET", APPS, token=False)[0], 503)
        self.assertEqual(self.sim.control("GET", "faults")[0], 200)        # the control API is never faulted

    def test_429_with_retry_after_path_and_method(self):
        self.sim.control("POST", "faults", {"mode": "429", "retry_after": 7, "path_prefix": "/apis/",
                                            "method": "POST"})
        st, h, data = self.sim.req("POST", APPS, app(), raw=True)
        body = json.loads(data)
        self.assertEqual((st, h["retry-after"], body["reason"], body["details"]["retryAfterSeconds"], body["message"]),
                         (429, "7", "TooManyRequests", 7, "Too many requests, please try again later."))
        self.assertEqual(self.sim.req("GET", APPS)[0], 200)                   # other methods unaffected
        self.assertEqual(self.sim.req("PUT", "/api/v1/namespaces/%s/pods" % NS, {})[0], 405)  # other paths
        self.assertEqual(self.sim.req("POST", APPS, app(), cid="c02")[0], 201)   # other clusters

    def test_delay(self):
        self.sim.control("POST", "faults", {"mode": "delay", "delay_ms": 400, "method": "GET", "count": 1})
        t = time.time()
        self.assertEqual(self.sim.req("GET", "/version")[0], 200)
        self.assertGreaterEqual(time.time() - t, 0.4)
        # count 1: used up, so the next request is not delayed (no faults left to match)
        self.assertEqual(self.sim.control("GET", "faults")[1]["faults"], [])
        self.assertEqual(self.sim.req("GET", "/version")[0], 200)

    def test_refuse(self):
        self.sim.control("POST", "faults", {"mode": "refuse", "path_prefix": "/apis/"})
        with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError, OSError)):
            self.sim.req("GET", APPS)
        self.assertEqual(self.sim.req("GET", "/api/v1/namespaces/%s/pods" % NS)[0], 200)
        self.sim.control("DELETE", "faults")
        self.sim.control("POST", "faults", {"mode": "refuse"})
        with self.assertRaises((ConnectionError, http.client.HTTPException, ssl.SSLError, OSError)):
            self.sim.req("GET", "/version")
        st, f = self.sim.control("GET", "faults")
        self.assertEqual(f["faults"][0]["hits"], 1)
        self.sim.control("DELETE", "faults")
        self.assertEqual(self.sim.req("GET", "/version")[0], 200)

    def test_bad_control_requests(self):
        self.assertEqual(self.sim.control("POST", "faults", {"mode": "explode"})[0], 400)
        self.assertEqual(self.sim.control("POST", "faults", {"mode": "status", "status": 200})[0], 400)
        self.assertEqual(self.sim.control("GET", "nothing")[0], 404)
        self.assertEqual(self.sim.req("POST", "/_sim/faults", b"{bad", token=False)[0], 400)

    def test_bulk_in_states(self):
        tpl = app()
        del tpl["metadata"]["name"]
        with self.sim.stopped_clock():     # RUNNING until the test moves the clock on
            st, res = self.sim.control("POST", "bulk", {"count": 30, "template": tpl, "state": "RUNNING",
                                                        "prefix": "blk-run", "namespace": "other"})
            self.assertEqual((st, res["created"]), (200, 30))
            st, body = self.sim.req("GET", apps_path("other"))
            objs = [i for i in body["items"] if i["metadata"]["name"].startswith("blk-run-")]
            self.assertEqual(len(objs), 30)
            self.assertEqual({o["status"]["applicationState"]["state"] for o in objs}, {"RUNNING"})
            self.assertEqual(objs[0]["metadata"]["name"], "blk-run-000000")
            step_state(self.sim, "blk-run-000029", ["COMPLETED"], ns="other")     # they carry on
        st, res = self.sim.control("POST", "bulk", {"count": 5, "template": tpl, "state": "FAILED", "prefix": "blk-f"})
        st, obj = self.sim.req("GET", APPS + "/blk-f-000004")
        self.assertEqual(obj["status"]["applicationState"]["state"], "FAILED")
        self.assertTrue(obj["status"]["terminationTime"])
        self.assertEqual(self.sim.control("POST", "bulk", {"count": 1, "template": tpl, "state": "NOPE"})[0], 400)
        bad = app(labels={"k": "bad value"})
        self.assertEqual(self.sim.control("POST", "bulk", {"count": 2, "template": bad})[0], 422)


class ResetTest(unittest.TestCase):
    def test_reset(self):
        sim = Sim(speed=50, clusters=[("c01", [NS])])
        try:
            sim.create(app())
            sim.control("POST", "faults", {"mode": "503", "path_prefix": "/nothing"})
            st, res = sim.control("POST", "reset")
            self.assertEqual(st, 200)
            st, state = sim.control("GET", "state")
            self.assertEqual((state["apps"], state["pods"], state["events"], state["faults"]), (0, 0, 0, []))
            self.assertEqual(sim.req("GET", APPS)[1]["items"], [])
        finally:
            sim.stop()


if __name__ == "__main__":
    unittest.main()
