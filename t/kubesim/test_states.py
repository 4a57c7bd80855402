"""kubesim's operator plays the Spark operator's state machine (controller.go, v2.x): restartPolicy retries of
submissions and attempts, PENDING_RERUN, INVALIDATING on a spec change, suspend/resume, and what a client
writes through /status. The clock is stopped (speed 0) and advanced by the test, so every step is exact."""
import unittest

from simharness import APPS, NS, SimTest, app, state_of

PODS = "/api/v1/namespaces/%s/pods" % NS
MERGE = {"Content-Type": "application/merge-patch+json"}


def policy(typ, **kw):
    return dict({"type": typ}, **kw)


class StatesTest(SimTest):
    SPEED = 0

    def make(self, restart=None, ann=None, run=5, **kw):
        a = app(run=run, instances=1, **kw)
        if restart is not None:
            a["spec"]["restartPolicy"] = restart
        a["metadata"].setdefault("annotations", {}).update({"kubesim.bpg.dev/" + k: str(v)
                                                            for k, v in (ann or {}).items()})
        self.sim.create(a)
        return a["metadata"]["name"]

    def adv(self, seconds):
        st, _ = self.sim.control("POST", "clock", {"advance_seconds": seconds})
        self.assertEqual(st, 200)

    def get(self, name):
        st, obj = self.sim.req("GET", APPS + "/" + name)
        self.assertEqual(st, 200, obj)
        return obj

    def state(self, name):
        return state_of(self.get(name))

    def history(self, name):
        st, body = self.sim.control("GET", "history?namespace=%s&name=%s" % (NS, name))
        self.assertEqual(st, 200, body)
        return body["history"]

    def states(self, name):
        return [h["state"] for h in self.history(name)]

    def reasons(self, name):
        st, body = self.sim.req("GET", "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D%s"
                                % (NS, name))
        return [e["reason"] for e in body["items"]]

    def pods(self, name):
        st, body = self.sim.req("GET", PODS + "?labelSelector=sparkoperator.k8s.io%2Fapp-name%3D" + name)
        return {p["metadata"]["name"]: p for p in body["items"]}

    def assert_rvs_grow(self, name):
        rvs = [int(h["resourceVersion"]) for h in self.history(name)]
        self.assertEqual(rvs, sorted(set(rvs)), rvs)

    # submission failures
    def test_submission_retries_then_completes(self):
        # the first two spark-submits fail; OnFailure allows 3 resubmissions
        name = self.make(policy("OnFailure", onSubmissionFailureRetries=3, onSubmissionFailureRetryInterval=10),
                         {"submission-failures": 2}, run=1)
        self.adv(0.5)
        obj = self.get(name)
        st = obj["status"]
        self.assertEqual((state_of(obj), st["submissionAttempts"], st.get("executionAttempts")),
                         ("SUBMISSION_FAILED", 1, None))
        self.assertIn("spark-submit", st["applicationState"]["errorMessage"])
        self.assertIsNone(st["terminationTime"])                     # not final
        self.assertEqual(st["driverInfo"]["podName"], name + "-driver")
        self.assertEqual(self.pods(name), {})
        self.adv(9.9)                                                 # retry due 10 s x 1 attempt after it
        self.assertEqual(self.state(name), "SUBMISSION_FAILED")
        self.adv(0.2)
        st = self.get(name)["status"]
        self.assertEqual((st["applicationState"]["state"], st["submissionAttempts"]), ("SUBMISSION_FAILED", 2))
        self.adv(19.8)                                                # then 10 s x 2 attempts (due 30.5)
        self.assertEqual(self.state(name), "SUBMISSION_FAILED")
        self.adv(0.2)
        obj = self.get(name)
        self.assertEqual((state_of(obj), obj["status"]["submissionAttempts"], obj["status"]["executionAttempts"]),
                         ("SUBMITTED", 3, 1))
        self.assertNotIn("errorMessage", obj["status"]["applicationState"])
        self.adv(30)
        obj = self.get(name)
        self.assertEqual(state_of(obj), "COMPLETED")
        self.assertEqual(self.states(name), ["SUBMISSION_FAILED", "SUBMISSION_FAILED", "SUBMITTED", "RUNNING",
                                             "SUCCEEDING", "COMPLETED"])
        self.assertEqual(self.reasons(name).count("SparkApplicationSubmissionFailed"), 2)
        self.assertEqual(obj["metadata"]["generation"], 1)         # status writes never touch generation
        self.assert_rvs_grow(name)

    def test_submission_retries_exhausted(self):
        name = self.make(policy("OnFailure", onSubmissionFailureRetries=1, onSubmissionFailureRetryInterval=1),
                         {"outcome": "submission-fail"})
        self.adv(60)
        obj = self.get(name)
        self.assertEqual(self.states(name), ["SUBMISSION_FAILED", "SUBMISSION_FAILED", "FAILED"])
        self.assertEqual(obj["status"]["submissionAttempts"], 2)
        self.assertIn("spark-submit", obj["status"]["applicationState"]["errorMessage"])
        self.assertTrue(obj["status"]["terminationTime"])

    def test_submission_failure_never(self):
        name = self.make(policy("Never"), {"outcome": "submission-fail"})
        self.adv(0.5)
        self.assertEqual(self.state(name), "SUBMISSION_FAILED")
        self.adv(1)
        self.assertEqual(self.state(name), "FAILED")
        self.assertEqual(self.reasons(name)[-1], "SparkApplicationFailed")

    def test_submission_retry_always(self):
        name = self.make(policy("Always", onSubmissionFailureRetryInterval=1), {"submission-failures": 3}, run=1)
        self.adv(60)
        self.assertEqual(self.states(name)[:4], ["SUBMISSION_FAILED"] * 3 + ["SUBMITTED"])
        self.sim.req("DELETE", APPS + "/" + name)

    # failed attempts
    def test_on_failure_fails_once_then_completes(self):
        name = self.make(policy("OnFailure", onFailureRetries=2, onFailureRetryInterval=10), {"attempt-failures": 1})
        self.adv(0.5)
        first = self.get(name)["status"]
        self.adv(7)                                                   # 0.5 + 2 submitted + 5 running
        obj = self.get(name)
        self.assertEqual(state_of(obj), "FAILING")
        self.assertTrue(obj["status"]["terminationTime"])
        self.assertEqual(self.pods(name)[name + "-driver"]["status"]["phase"], "Failed")
        self.adv(2.9)                                                 # due 10 s after the submission at 0.5
        self.assertEqual(self.state(name), "FAILING")
        self.adv(0.2)
        obj = self.get(name)
        st = obj["status"]
        self.assertEqual(state_of(obj), "PENDING_RERUN")
        self.assertEqual((st["submissionAttempts"], st["executionAttempts"]), (1, 1))
        self.assertNotIn("sparkApplicationId", st)
        self.assertEqual(st["driverInfo"], {})
        self.assertIsNone(st["terminationTime"])
        self.assertEqual(self.pods(name), {})                         # the old attempt's pods are deleted
        self.adv(0.5)
        obj = self.get(name)
        st = obj["status"]
        self.assertEqual((state_of(obj), st["submissionAttempts"], st["executionAttempts"]), ("SUBMITTED", 2, 2))
        self.assertNotEqual(st["sparkApplicationId"], first["sparkApplicationId"])
        self.assertNotEqual(st["submissionID"], first["submissionID"])
        self.assertGreaterEqual(st["lastSubmissionAttemptTime"], first["lastSubmissionAttemptTime"])
        self.assertEqual(self.pods(name)[name + "-driver"]["metadata"]["labels"]["spark-app-selector"],
                         st["sparkApplicationId"])
        self.adv(20)
        self.assertEqual(self.states(name), ["SUBMITTED", "RUNNING", "FAILING", "PENDING_RERUN", "SUBMITTED",
                                             "RUNNING", "SUCCEEDING", "COMPLETED"])
        self.assertIn("SparkApplicationPendingRerun", self.reasons(name))
        self.assert_rvs_grow(name)

    def test_on_failure_retries_exhausted(self):
        name = self.make(policy("OnFailure", onFailureRetries=1, onFailureRetryInterval=1), {"outcome": "fail"})
        self.adv(120)
        obj = self.get(name)
        self.assertEqual(self.states(name), ["SUBMITTED", "RUNNING", "FAILING", "PENDING_RERUN", "SUBMITTED",
                                             "RUNNING", "FAILING", "FAILED"])
        self.assertEqual((obj["status"]["executionAttempts"], obj["status"]["submissionAttempts"]), (2, 2))
        self.assertIn("ExitCode: 1", obj["status"]["applicationState"]["errorMessage"])

    def test_on_failure_without_retries_is_never(self):
        name = self.make(policy("OnFailure"), {"outcome": "fail"})
        self.adv(60)
        self.assertEqual(self.states(name), ["SUBMITTED", "RUNNING", "FAILING", "FAILED"])

    def test_always_reruns_success_and_failure(self):
        name = self.make(policy("Always", onFailureRetryInterval=1), run=1)
        self.adv(0.5 + 2 + 1 + 1)                                     # SUCCEEDING -> PENDING_RERUN at once
        self.assertEqual(self.states(name), ["SUBMITTED", "RUNNING", "SUCCEEDING", "PENDING_RERUN"])
        self.adv(0.5)
        self.assertEqual(self.get(name)["status"]["executionAttempts"], 2)
        self.sim.req("DELETE", APPS + "/" + name)
        name = self.make(policy("Always", onFailureRetryInterval=1), {"attempt-failures": 1}, run=1)
        self.adv(30)
        self.assertEqual(self.states(name)[:6], ["SUBMITTED", "RUNNING", "FAILING", "PENDING_RERUN", "SUBMITTED",
                                                 "RUNNING"])
        self.assertNotIn("COMPLETED", self.states(name))
        self.sim.req("DELETE", APPS + "/" + name)

    def test_driver_pod_deleted_retries_under_on_failure(self):
        name = self.make(policy("OnFailure", onFailureRetries=1, onFailureRetryInterval=1), {"outcome": "hang"})
        self.adv(3)
        self.assertEqual(self.state(name), "RUNNING")
        self.assertEqual(self.sim.req("DELETE", PODS + "/" + name + "-driver")[0], 200)
        obj = self.get(name)
        self.assertEqual(state_of(obj), "FAILING")
        self.assertIn("driver pod", obj["status"]["applicationState"]["errorMessage"])
        self.adv(3)
        st = self.get(name)["status"]
        self.assertEqual((st["applicationState"]["state"], st["executionAttempts"]), ("RUNNING", 2))
        self.sim.req("DELETE", APPS + "/" + name)

    # spec changes, suspend, resume
    def test_spec_change_invalidates_a_running_app(self):
        name = self.make(ann={"outcome": "hang"})
        self.adv(3)
        first = self.get(name)
        self.assertEqual(state_of(first), "RUNNING")
        st, obj = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"arguments": ["2"]}}, headers=MERGE)
        self.assertEqual((st, obj["metadata"]["generation"]), (200, 2))
        self.assertEqual(state_of(obj), "RUNNING")                  # the operator reacts after the write
        self.adv(0)
        self.assertEqual(self.state(name), "INVALIDATING")
        self.adv(0.5)
        obj = self.get(name)
        self.assertEqual(state_of(obj), "PENDING_RERUN")
        self.assertNotIn("submissionAttempts", obj["status"])       # an invalidation resets the counters
        self.assertNotIn("executionAttempts", obj["status"])
        self.assertIsNone(obj["status"]["lastSubmissionAttemptTime"])
        self.assertEqual(self.pods(name), {})
        self.adv(0.5)
        obj = self.get(name)
        st = obj["status"]
        self.assertEqual((state_of(obj), st["submissionAttempts"], st["executionAttempts"]), ("SUBMITTED", 1, 1))
        self.assertNotEqual(st["sparkApplicationId"], first["status"]["sparkApplicationId"])
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.adv(3)
        self.assertEqual(self.states(name), ["SUBMITTED", "RUNNING", "INVALIDATING", "PENDING_RERUN", "SUBMITTED",
                                             "RUNNING"])
        # a metadata-only change is no spec change
        self.sim.req("PATCH", APPS + "/" + name, {"metadata": {"labels": {"x": "y"}}}, headers=MERGE)
        self.adv(1)
        self.assertEqual(self.state(name), "RUNNING")
        self.sim.req("DELETE", APPS + "/" + name)

    def test_suspend_and_resume(self):
        name = self.make(ann={"outcome": "hang"})
        self.adv(3)
        self.assertEqual(self.state(name), "RUNNING")
        st, obj = self.sim.req("PATCH", APPS + "/" + name, {"spec": {"suspend": True}}, headers=MERGE)
        self.assertEqual((st, obj["metadata"]["generation"]), (200, 2))
        self.adv(0)
        self.assertEqual(self.state(name), "SUSPENDING")
        self.adv(0.5)
        obj = self.get(name)
        self.assertEqual(state_of(obj), "SUSPENDED")
        self.assertEqual(obj["status"]["driverInfo"], {})
        self.assertEqual(self.pods(name), {})
        self.adv(100)
        self.assertEqual(self.state(name), "SUSPENDED")             # long-lived, not final
        self.sim.req("PATCH", APPS + "/" + name, {"spec": {"suspend": False}}, headers=MERGE)
        self.adv(0)
        self.assertEqual(self.state(name), "RESUMING")
        self.adv(0.5)
        obj = self.get(name)
        self.assertEqual((state_of(obj), obj["status"]["executionAttempts"]), ("SUBMITTED", 2))
        self.adv(3)
        self.assertEqual(self.states(name), ["SUBMITTED", "RUNNING", "SUSPENDING", "SUSPENDED", "RESUMING",
                                             "SUBMITTED", "RUNNING"])
        for r in ("SparkApplicationSuspending", "SparkApplicationSuspended", "SparkApplicationResuming"):
            self.assertIn(r, self.reasons(name))
        self.sim.req("DELETE", APPS + "/" + name)

    def test_created_suspended(self):
        name = self.make(spec={"suspend": True})
        self.adv(10)
        self.assertEqual(self.states(name), ["SUSPENDING", "SUSPENDED"])
        self.assertEqual(self.pods(name), {})
        self.sim.req("DELETE", APPS + "/" + name)

    # clients writing status
    def test_operator_reconciles_a_written_state(self):
        name = self.make(ann={"outcome": "hang"})
        self.adv(3)
        obj = self.get(name)
        st = dict(obj["status"], applicationState={"state": "FAILING", "errorMessage": "written"})
        code, obj = self.sim.req("PATCH", APPS + "/" + name + "/status", {"status": st}, headers=MERGE)
        self.assertEqual((code, state_of(obj)), (200, "FAILING"))
        self.adv(1)
        obj = self.get(name)
        self.assertEqual((state_of(obj), obj["status"]["applicationState"]["errorMessage"]), ("FAILED", "written"))

    def test_manual_outcome(self):
        name = self.make(ann={"outcome": "manual"})
        self.adv(60)
        self.assertNotIn("status", self.get(name))                  # the operator leaves it to the test
        code, obj = self.sim.req("PATCH", APPS + "/" + name + "/status",
                                 {"status": {"applicationState": {"state": "SUBMISSION_FAILED"}, "driverInfo": {}}},
                                 headers=MERGE)
        self.assertEqual(code, 200, obj)
        self.adv(60)
        self.assertEqual(self.state(name), "SUBMISSION_FAILED")


if __name__ == "__main__":
    unittest.main()
