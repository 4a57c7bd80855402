"""kubesim's Spark operator: lifecycles, status fields, pods, events, TTL, driver-pod deletion, the clock."""
import re
import time
import unittest

from simharness import APPS, NS, SimTest, app, state_of, step_for, step_state, wait_for, wait_state

PODS = "/api/v1/namespaces/%s/pods" % NS
EVENTS = "/api/v1/namespaces/%s/events" % NS
TS = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"


class OperatorTest(SimTest):
    SPEED = 40

    def states(self, name):
        """Every state the object went through, from the simulator's own record (polling can miss one)."""
        st, hist = self.sim.control("GET", "history?namespace=%s&name=%s" % (NS, name))
        self.assertEqual(st, 200)
        return [h["state"] for h in hist["history"]]

    def pods(self, name):
        st, body = self.sim.req("GET", PODS + "?labelSelector=sparkoperator.k8s.io%2Fapp-name%3D" + name)
        self.assertEqual(st, 200)
        return {p["metadata"]["name"]: p for p in body["items"]}

    def reasons(self, name, kind="SparkApplication"):
        st, body = self.sim.req("GET", EVENTS + "?fieldSelector=involvedObject.name%3D" + name +
                                ",involvedObject.kind%3D" + kind)
        self.assertEqual(st, 200)
        return [e["reason"] for e in body["items"]]

    def test_success_lifecycle(self):
        a = app(run=20, instances=2)
        name = a["metadata"]["name"]
        with self.sim.stopped_clock():       # each state stays until the test moves the clock
            self.lifecycle(name, a)

    def lifecycle(self, name, a):
        self.sim.create(a)
        obj, seen = step_state(self.sim, name, ["RUNNING"])
        self.assertIn(seen[0], (None, "SUBMITTED", "RUNNING"))
        st = obj["status"]
        self.assertRegex(st["sparkApplicationId"], r"^spark-[0-9a-f]{32}$")
        self.assertRegex(st["submissionID"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertRegex(st["lastSubmissionAttemptTime"], TS)
        self.assertEqual((st["submissionAttempts"], st["executionAttempts"]), (1, 1))
        self.assertEqual(st["driverInfo"]["podName"], name + "-driver")
        self.assertEqual(st["driverInfo"]["webUIServiceName"], name + "-ui-svc")
        self.assertEqual(st["driverInfo"]["webUIPort"], 4040)
        self.assertTrue(st["driverInfo"]["webUIAddress"].endswith(":4040"))
        self.assertIsNone(st["terminationTime"])                # null, as the operator's Go struct writes it
        step_for(self.sim, lambda: set(self.sim.req("GET", APPS + "/" + name)[1]["status"].get("executorState", {})
                                       .values()) == {"RUNNING"}, what="executors running")
        pods = self.pods(name)
        self.assertEqual(set(pods), {name + "-driver", name + "-exec-1", name + "-exec-2"})
        d = pods[name + "-driver"]
        lab = d["metadata"]["labels"]
        self.assertEqual(lab["spark-role"], "driver")
        self.assertEqual(lab["sparkoperator.k8s.io/app-name"], name)
        self.assertEqual(lab["sparkoperator.k8s.io/launched-by-spark-operator"], "true")
        self.assertEqual(lab["spark-app-selector"], st["sparkApplicationId"])
        self.assertEqual(lab["sparkoperator.k8s.io/submission-id"], st["submissionID"])
        self.assertEqual(lab["dag_name"], "d")                                  # spec.driver.labels
        self.assertEqual(d["spec"]["containers"][0]["name"], "spark-kubernetes-driver")
        self.assertEqual(d["status"]["phase"], "Running")
        self.assertIn("running", d["status"]["containerStatuses"][0]["state"])
        owner = d["metadata"]["ownerReferences"][0]
        self.assertEqual((owner["kind"], owner["name"], owner["uid"]), ("SparkApplication", name, obj["metadata"]["uid"]))
        e = pods[name + "-exec-2"]
        self.assertEqual((e["metadata"]["labels"]["spark-role"], e["metadata"]["labels"]["tier"]), ("executor", "exec"))
        self.assertEqual(e["spec"]["containers"][0]["name"], "spark-kubernetes-executor")
        self.assertEqual(self.sim.req("GET", PODS + "/" + name + "-exec-1")[1]["metadata"]["name"], name + "-exec-1")
        st_, body = self.sim.req("GET", PODS + "/nope")
        self.assertEqual((st_, body["message"], body["details"]), (404, 'pods "nope" not found',
                                                                    {"name": "nope", "kind": "pods"}))
        self.assertEqual(len(self.pods(name)), 3)
        st_, body = self.sim.req("GET", PODS + "?labelSelector=spark-role%3Ddriver,sparkoperator.k8s.io%2Fapp-name%3D"
                                 + name)
        self.assertEqual([p["metadata"]["name"] for p in body["items"]], [name + "-driver"])
        obj, seen = step_state(self.sim, name, ["COMPLETED"])
        self.assertIn("SUCCEEDING", seen)
        self.assertRegex(obj["status"]["terminationTime"], TS)
        self.assertEqual(obj["status"]["executorState"], {name + "-exec-1": "COMPLETED", name + "-exec-2": "COMPLETED"})
        self.assertEqual({p["status"]["phase"] for p in self.pods(name).values()}, {"Succeeded"})
        r = self.reasons(name)
        for reason in ("SparkApplicationAdded", "SparkApplicationSubmitted", "SparkDriverRunning",
                       "SparkExecutorPending", "SparkExecutorRunning", "SparkDriverCompleted",
                       "SparkApplicationCompleted"):
            self.assertIn(reason, r)
        self.assertLess(r.index("SparkApplicationSubmitted"), r.index("SparkDriverRunning"))
        self.assertEqual(r[-1], "SparkApplicationCompleted")
        self.assertEqual(self.reasons("nothing-by-that-name"), [])

    def test_fail(self):
        a = app(outcome="fail", run=2)
        name = a["metadata"]["name"]
        with self.sim.stopped_clock():
            self.sim.create(a)
            obj, seen = step_state(self.sim, name, ["FAILED"])
        self.assertIn("FAILING", seen)
        self.assertTrue(obj["status"]["applicationState"]["errorMessage"])
        self.assertRegex(obj["status"]["terminationTime"], TS)
        self.assertEqual(self.pods(name)[name + "-driver"]["status"]["phase"], "Failed")
        r = self.reasons(name)
        self.assertIn("SparkDriverFailed", r)
        self.assertEqual(r[-1], "SparkApplicationFailed")

    def test_submission_fail(self):
        a = app(outcome="submission-fail")
        name = a["metadata"]["name"]
        self.sim.create(a)
        obj, _ = wait_state(self.sim, name, ["FAILED"])     # restartPolicy Never: no resubmission
        self.assertNotIn("RUNNING", self.states(name))
        self.assertIn("spark-submit", obj["status"]["applicationState"]["errorMessage"])
        self.assertEqual((obj["status"]["submissionAttempts"], obj["status"].get("executionAttempts")), (1, None))
        self.assertRegex(obj["status"]["terminationTime"], TS)
        self.assertEqual(self.pods(name), {})
        self.assertIn("SparkApplicationSubmissionFailed", self.reasons(name))

    def test_names_from_spec(self):
        a = app(run=50, instances=3, spec={"sparkConf": {"spark.kubernetes.executor.podNamePrefix": "custom-pfx"}})
        a["spec"]["driver"]["podName"] = "my-driver"
        name = a["metadata"]["name"]
        self.sim.create(a)
        obj, _ = wait_state(self.sim, name, ["RUNNING"])
        self.assertEqual(obj["status"]["driverInfo"]["podName"], "my-driver")
        wait_for(lambda: len(self.pods(name)) == 4, what="4 pods")
        self.assertEqual(set(self.pods(name)), {"my-driver", "custom-pfx-exec-1", "custom-pfx-exec-2",
                                                "custom-pfx-exec-3"})
        self.sim.req("DELETE", APPS + "/" + name)

    def test_hang_then_driver_pod_deleted(self):
        a = app(outcome="hang", run=1)
        name = a["metadata"]["name"]
        with self.sim.stopped_clock():
            self.sim.create(a)
            step_state(self.sim, name, ["RUNNING"])
            self.sim.advance(12)  # far beyond run-seconds: still RUNNING
            self.assertEqual(state_of(self.sim.req("GET", APPS + "/" + name)[1]), "RUNNING")
            st, body = self.sim.req("DELETE", PODS + "/" + name + "-driver")
            self.assertEqual((st, body["kind"], body["metadata"]["name"]), (200, "Pod", name + "-driver"))
            obj, seen = step_state(self.sim, name, ["FAILED"])
        self.assertIn("FAILING", seen)
        self.assertIn("driver pod", obj["status"]["applicationState"]["errorMessage"])
        self.assertIn("deleted", obj["status"]["applicationState"]["errorMessage"])
        self.assertNotIn(name + "-driver", self.pods(name))
        self.assertEqual(self.sim.req("DELETE", PODS + "/" + name + "-driver")[0], 404)
        self.assertEqual(self.reasons(name)[-1], "SparkApplicationFailed")

    def test_ttl_removes_app_and_pods(self):
        a = app(run=1, ttl=10)
        name = a["metadata"]["name"]
        self.sim.create(a)
        wait_state(self.sim, name, ["COMPLETED"])
        self.assertEqual(len(self.pods(name)), 3)
        wait_state(self.sim, name, ["<gone>"], timeout=10)
        self.assertEqual(self.pods(name), {})
        # without timeToLiveSeconds the object stays
        b = app(run=1)
        with self.sim.stopped_clock():
            self.sim.create(b)
            step_state(self.sim, b["metadata"]["name"], ["COMPLETED"])
            self.sim.advance(30)
            self.assertEqual(self.sim.req("GET", APPS + "/" + b["metadata"]["name"])[0], 200)


class ClockTest(SimTest):
    """A clock at speed 0 only moves when the control API advances it."""
    SPEED = 0
    CLUSTERS = [("c01", [NS])]

    def test_advance_and_speed(self):
        st, clock = self.sim.control("GET", "clock")
        self.assertEqual((st, clock["speed"]), (200, 0))
        a = app(run=100)
        name = a["metadata"]["name"]
        self.sim.create(a)
        time.sleep(0.3)
        self.assertIsNone(state_of(self.sim.req("GET", APPS + "/" + name)[1]))      # the clock stands still
        st, c2 = self.sim.control("POST", "clock", {"advance_seconds": 3})
        self.assertAlmostEqual(c2["now"] - clock["now"], 3, delta=0.01)
        self.assertEqual(state_of(self.sim.req("GET", APPS + "/" + name)[1]), "RUNNING")
        self.sim.control("POST", "clock", {"advance_seconds": 50})
        self.assertEqual(state_of(self.sim.req("GET", APPS + "/" + name)[1]), "RUNNING")
        self.sim.control("POST", "clock", {"advance_seconds": 60})              # past run-seconds and the 1 s after
        self.assertEqual(state_of(self.sim.req("GET", APPS + "/" + name)[1]), "COMPLETED")
        st, c3 = self.sim.control("POST", "clock", {"speed": 1000})
        self.assertEqual(c3["speed"], 1000)
        b = app(run=5)
        self.sim.create(b)
        wait_state(self.sim, b["metadata"]["name"], ["COMPLETED"], timeout=5)
        self.sim.control("POST", "clock", {"speed": 0})
        self.assertEqual(self.sim.control("POST", "clock", {"speed": -1})[0], 400)
        st, state = self.sim.control("GET", "state")
        self.assertEqual(state["states"].get("COMPLETED"), 2)
        st, _ = self.sim.control("POST", "reset")
        self.assertEqual(self.sim.req("GET", APPS)[1]["items"], [])
        self.assertEqual(self.sim.control("GET", "state")[1]["pods"], 0)


if __name__ == "__main__":
    unittest.main()
