"""The operator's state machine (issue 24): what is final, observations that never go back
in time, execution attempts and their history, the gateway's own failures.

How the paths are driven:
- Against kubesim (simulated clock stopped, advanced by the test): a submission that fails
  to submit, then is submitted again and completes. The simulator cannot resubmit the same
  object yet, so the test replaces it under the same name with one stored straight in
  SUBMITTED (/_sim/bulk with "state"): a newer object, as a resubmission is.
- Exact operator status objects (controller.go v2: submissionAttempts, executionAttempts,
  sparkApplicationId of each attempt) are replayed through the real write paths of the
  gateway (bpg_subdb_observe) and of the monitor (a batch of bpg_recstore_batch_write) by
  build/t/observe-tool, in the order the test chooses. That makes the race deterministic:
  the older observation is written after the newer one, every time.
- Through the API, a status read "holding" an older observation: the row holds a newer
  observation (a larger resourceVersion, as the monitor would have stored it while the read
  was in flight) than the object the read gets from the cluster; the read must answer and
  keep the newer state.
"""
import json
import os
import subprocess
import time
import unittest
import uuid

from bpg import ENV, ROOT, SIM_APPS, admin_client, db, poll, sim, user_client
from test_monitor import insert_row, monitor, row, spark_app

TOOL = os.path.join(ROOT, "build", "t", "observe-tool")
USER = ENV["BPG_USER"]


def observe(writer, sid, cr):
    """Writes cr for sid as writer ("gateway" or "monitor") does; returns how many rows took it."""
    p = subprocess.run([TOOL, ENV["BPG_CONFIG"], writer, sid], input=json.dumps(cr), capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return int(p.stdout.strip().split("=")[1])


def cr(sid, rv, state, **status):
    """A SparkApplication as the operator leaves it: metadata.resourceVersion rv, status."""
    st = {"applicationState": {"state": state}}
    if "error" in status:
        st["applicationState"]["errorMessage"] = status.pop("error")
    st.update(status)
    return {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": sid, "namespace": "spark-applications", "resourceVersion": str(rv),
                         "creationTimestamp": "2026-12-01T10:00:00Z",
                         "labels": {"app.kubernetes.io/managed-by": "bpg"}},
            "status": st}


def status(sid, base=None):
    st, _, body = user_client().json("GET", "/spark/%s/status" % sid, base=base)
    assert st == 200, body
    return body


def stale(sid):
    """Makes the next status read go to the cluster (the row is no longer fresh)."""
    db("UPDATE application_submission SET status_time = NULL WHERE submission_id='%s'" % sid)


def listed(sid):
    st, _, body = user_client().json("GET", "/spark/mySubmissions?limit=1000")
    assert st == 200, body
    return next((s for s in body["submissions"] if s["submissionId"] == sid), None)


def advance(cid, seconds):
    st, _ = sim(cid, "POST", "/_sim/clock", {"advance_seconds": seconds}, token=False)
    assert st == 200


def sim_cr(sid, cid="c01"):
    st, obj = sim(cid, "GET", SIM_APPS + "/" + sid)
    return obj if st == 200 else None


def sim_state(sid):
    o = sim_cr(sid)
    return o.get("status", {}).get("applicationState", {}).get("state") if o else None


class StatesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.speed = sim("c01", "GET", "/_sim/clock", token=False)[1]["speed"]
        sim("c01", "POST", "/_sim/clock", {"speed": 0}, token=False)   # the test moves the clock

    @classmethod
    def tearDownClass(cls):
        sim("c01", "POST", "/_sim/clock", {"speed": cls.speed}, token=False)

    def new_row(self, suffix=""):
        sid = "c01-%s%s" % (uuid.uuid4().hex, suffix)
        insert_row(sid, user=USER)
        return sid

    # -- kubesim: SUBMISSION_FAILED -> SUBMITTED -> RUNNING -> COMPLETED --

    def test_resubmission_ends_completed(self):
        sid = self.new_row("-000000")     # the name /_sim/bulk gives prefix-000000
        app = spark_app(sid, outcome="submission-fail", run=5, labels={"proxyUser": USER})
        app["spec"]["restartPolicy"] = {"type": "OnFailure", "onSubmissionFailureRetries": 3,
                                         "onSubmissionFailureRetryInterval": 1, "onFailureRetries": 3,
                                         "onFailureRetryInterval": 1}
        self.assertEqual(sim("c01", "POST", SIM_APPS, app)[0], 201)
        advance("c01", 1)
        self.assertEqual(sim_state(sid), "SUBMISSION_FAILED")
        first = sim_cr(sid)["status"]["lastSubmissionAttemptTime"]
        stale(sid)
        s = status(sid)
        self.assertEqual(s["applicationState"], "SUBMISSION_FAILED")
        self.assertIn("spark-submit", s["applicationErrorMessage"])   # the operator's words
        self.assertNotIn("gateway", s["applicationErrorMessage"])
        self.assertEqual(row(sid, "status, finished_time IS NULL, gateway_failed"), "SUBMISSION_FAILED\t1\t0")
        rc, out = monitor()
        self.assertIn(rc, (0, 2), out)
        self.assertEqual(row(sid), "SUBMISSION_FAILED")    # not final: still followed

        # the operator submits it again: a newer object of the same name, SUBMITTED
        self.assertTrue(poll(lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) != first, 3, 0.05))
        tpl = {k: v for k, v in app.items() if k != "status"}
        tpl["metadata"] = {"labels": app["metadata"]["labels"],
                           "annotations": {"kubesim.bpg.dev/run-seconds": "5"}}
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        st, r = sim("c01", "POST", "/_sim/bulk", {"template": tpl, "count": 1, "prefix": sid[:-7],
                                                   "state": "SUBMITTED"}, token=False)
        self.assertEqual((st, r["created"]), (200, 1), r)
        stale(sid)
        self.assertEqual(status(sid)["applicationState"], "SUBMITTED")
        advance("c01", 3)
        rc, out = monitor()
        self.assertIn(rc, (0, 2), out)
        self.assertEqual(row(sid), "RUNNING")
        advance("c01", 30)
        self.assertEqual(sim_state(sid), "COMPLETED")
        rc, out = monitor()
        self.assertIn(rc, (0, 2), out)

        self.assertEqual(row(sid, "status, finished_time IS NOT NULL, gateway_failed"), "COMPLETED\t1\t0")
        s = status(sid)
        self.assertEqual(s["applicationState"], "COMPLETED")
        self.assertEqual(s["sparkApplicationId"], sim_cr(sid)["status"]["sparkApplicationId"])
        states = [a["state"] for a in s["attempts"]]    # newest first
        self.assertEqual(states[0], "COMPLETED", s)
        self.assertIn("SUBMISSION_FAILED", states[1:], s)
        self.assertEqual(listed(sid)["applicationState"], "COMPLETED")
        # /skatev2 answers BPG's fields only
        self.assertNotIn("attempts", status(sid, base="/skatev2"))

    # -- replayed operator status: an OnFailure app that fails once, then completes --

    def test_rerun_after_failure_keeps_attempts(self):
        sid = self.new_row()
        t1, t2 = "2026-12-01T10:00:05Z", "2026-12-01T10:03:00Z"
        first = {"submissionAttempts": 1, "executionAttempts": 1, "sparkApplicationId": "spark-first",
                 "lastSubmissionAttemptTime": t1}
        second = {"submissionAttempts": 1, "executionAttempts": 2, "sparkApplicationId": "spark-second",
                  "lastSubmissionAttemptTime": t2}
        steps = [("gateway", 10, "SUBMITTED", first), ("monitor", 11, "RUNNING", first),
                 ("monitor", 12, "FAILING", dict(first, error="driver container failed with ExitCode: 1")),
                 # the operator clears the attempt before the rerun (resetSparkApplicationStatus)
                 ("gateway", 13, "PENDING_RERUN", {"executionAttempts": 1, "sparkApplicationId": ""}),
                 ("monitor", 14, "SUBMITTED", second), ("gateway", 15, "RUNNING", second),
                 ("monitor", 16, "SUCCEEDING", second),
                 ("monitor", 17, "COMPLETED", dict(second, terminationTime="2026-12-01T10:09:00Z"))]
        for writer, rv, state, st in steps:
            self.assertEqual(observe(writer, sid, cr(sid, rv, state, **st)), 1, (writer, rv, state))
            want_open = "1" if state != "COMPLETED" else "0"
            self.assertEqual(row(sid, "status, finished_time IS NULL"), "%s\t%s" % (state, want_open))
        self.assertEqual(row(sid, "app_id, execution_attempts, resource_version"), "spark-second\t2\t17")

        s = status(sid)
        self.assertEqual((s["applicationState"], s["executionAttempts"], s["sparkApplicationId"]),
                         ("COMPLETED", 2, "spark-second"))
        self.assertEqual([(a["executionAttempt"], a["sparkApplicationId"], a["state"]) for a in s["attempts"]],
                         [(2, "spark-second", "COMPLETED"), (1, "spark-first", "FAILING")])
        self.assertEqual(s["attempts"][1]["errorMessage"], "driver container failed with ExitCode: 1")
        self.assertEqual(s["attempts"][0]["terminationTime"], s["terminationTime"])
        summary = listed(sid)
        self.assertEqual((summary["executionAttempts"], summary["sparkApplicationId"]), (2, "spark-second"))
        old = status(sid, base="/skatev2")
        self.assertNotIn("attempts", old)
        self.assertEqual(old["executionAttempts"], 2)

    # -- the race: an older observation written after a newer one --

    def test_older_observation_is_refused_by_both_writers(self):
        done = self.new_row()
        # the monitor stores COMPLETED; a status read that fetched RUNNING before lands after it
        self.assertEqual(observe("monitor", done, cr(done, 200, "COMPLETED", terminationTime="2026-12-01T10:09:00Z")), 1)
        self.assertEqual(observe("gateway", done, cr(done, 190, "RUNNING")), 0)
        self.assertEqual(row(done, "status, resource_version, finished_time IS NOT NULL"), "COMPLETED\t200\t1")
        # a final state is never reopened, not even by a newer non-final one
        self.assertEqual(observe("gateway", done, cr(done, 300, "INVALIDATING")), 0)
        self.assertEqual(row(done), "COMPLETED")
        # ... so a TTL removal afterwards changes nothing (the row is no longer followed)
        rc, out = monitor("--grace", "0")
        self.assertIn(rc, (0, 2), out)
        self.assertEqual(row(done), "COMPLETED")

        running = self.new_row()
        # the other way round: a status read stored a newer RUNNING, the monitor's page is older
        self.assertEqual(observe("gateway", running, cr(running, 500, "RUNNING", executorState={"e1": "RUNNING"})), 1)
        self.assertEqual(observe("monitor", running, cr(running, 480, "SUBMITTED")), 0)
        self.assertEqual(row(running, "status, resource_version, executor_count"), "RUNNING\t500\t1")
        self.assertEqual(observe("monitor", running, cr(running, 501, "SUCCEEDING")), 1)
        self.assertEqual(row(running), "SUCCEEDING")

    def test_status_read_holding_an_older_observation_answers_the_newer(self):
        sid = self.new_row()
        app = spark_app(sid, outcome="hang", labels={"proxyUser": USER})
        self.assertEqual(sim("c01", "POST", SIM_APPS, app)[0], 201)
        advance("c01", 3)
        live = sim_cr(sid)
        self.assertEqual(live["status"]["applicationState"]["state"], "RUNNING")
        # what the monitor stored meanwhile: a newer version of the object (SUCCEEDING)
        newer = json.loads(json.dumps(live))
        newer["metadata"]["resourceVersion"] = str(int(live["metadata"]["resourceVersion"]) + 1000)
        newer["status"]["applicationState"] = {"state": "SUCCEEDING"}
        self.assertEqual(observe("monitor", sid, newer), 1)
        stale(sid)
        # the read gets the cluster's older RUNNING: its write-through is refused, the newer answers
        s = status(sid)
        self.assertEqual(s["applicationState"], "SUCCEEDING")
        self.assertEqual(row(sid, "status, resource_version"),
                         "SUCCEEDING\t%s" % newer["metadata"]["resourceVersion"])
        self.assertEqual(row(sid, "status_time IS NOT NULL"), "0")   # nothing it read was stored
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)

    def test_status_read_in_flight_while_the_monitor_stores_newer(self):
        """The race itself: a status read's GET is answered late (kubesim get-delay-ms) with the
        object as it was (RUNNING); meanwhile the app completes and the monitor stores COMPLETED.
        The read's write-through lands last and must not put the row back to RUNNING."""
        import threading
        sid = self.new_row()
        app = spark_app(sid, outcome="success", run=40, labels={"proxyUser": USER})
        self.assertEqual(sim("c01", "POST", SIM_APPS, app)[0], 201)
        advance("c01", 3)
        self.assertEqual(sim_state(sid), "RUNNING")
        rc, out = monitor()
        self.assertEqual(row(sid, "status"), "RUNNING", out)
        patch = {"metadata": {"annotations": {"kubesim.bpg.dev/get-delay-ms": "6000"}}}
        st, _ = sim("c01", "PATCH", SIM_APPS + "/" + sid, patch, token=True, ctype="application/merge-patch+json")
        self.assertEqual(st, 200)
        delayed0 = sim("c01", "GET", "/_sim/state", token=False)[1]["delayed"]
        stale(sid)
        answer = {}
        t = threading.Thread(target=lambda: answer.update(status(sid)))
        t.start()
        # the read's GET has reached the cluster and holds RUNNING: now the app completes
        self.assertTrue(poll(lambda: sim("c01", "GET", "/_sim/state", token=False)[1]["delayed"] > delayed0, 10))
        # later GETs (ours, the monitor's) are answered at once again; the read in flight stays late
        patch = {"metadata": {"annotations": {"kubesim.bpg.dev/get-delay-ms": None}}}
        st, _ = sim("c01", "PATCH", SIM_APPS + "/" + sid, patch, token=True, ctype="application/merge-patch+json")
        self.assertEqual(st, 200)
        advance("c01", 120)
        self.assertEqual(sim_state(sid), "COMPLETED")
        rc, out = monitor()
        self.assertEqual(row(sid, "status"), "COMPLETED", out)
        # the read is still waiting for its (older) answer: its write-through comes last
        self.assertTrue(t.is_alive(), "the read ended before the monitor wrote: no race was tried")
        t.join(30)
        self.assertFalse(t.is_alive())
        self.assertEqual(row(sid, "status"), "COMPLETED")          # not back to RUNNING
        self.assertEqual(answer.get("applicationState"), "COMPLETED")
        self.assertEqual(status(sid)["applicationState"], "COMPLETED")
        self.assertEqual(listed(sid)["applicationState"], "COMPLETED")

    # -- the gateway's own failure: final, told apart --

    def test_gateway_failure_is_final_and_told_apart(self):
        sid = "c01-" + uuid.uuid4().hex
        insert_row(sid, age_s=600, created=False, user=USER)   # its create never finished
        rc, out = monitor()
        self.assertIn(rc, (0, 2), out)
        self.assertEqual(row(sid, "status, gateway_failed"), "SUBMISSION_FAILED\t1")
        s = status(sid)
        self.assertEqual(s["applicationState"], "SUBMISSION_FAILED")
        self.assertTrue(s["applicationErrorMessage"].startswith("the gateway did not create the SparkApplication: "),
                        s)
        self.assertEqual(s["attempts"], [])
        # final: an object of that name showing up later is never taken for it
        self.assertEqual(observe("gateway", sid, cr(sid, 5, "SUBMITTED")), 0)
        self.assertEqual(observe("monitor", sid, cr(sid, 6, "COMPLETED")), 0)
        self.assertEqual(row(sid, "status, gateway_failed"), "SUBMISSION_FAILED\t1")
        self.assertEqual(db("SELECT COUNT(*) FROM application_attempt WHERE submission_id='%s'" % sid).strip(), "0")

    def test_refused_create_answers_submission_failed_from_the_gateway(self):
        sim("c01", "POST", "/_sim/faults", {"mode": "429"}, token=False)
        try:
            st, _, r = user_client().json("POST", "/spark", body=json.dumps(
                {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/x.py", "queue": "open",
                 "applicationName": "refused-" + uuid.uuid4().hex[:8],
                 "driver": {"cores": 1, "memory": "1g"}, "executor": {"instances": 1, "cores": 1, "memory": "1g"}}),
                headers={"Content-Type": "application/json"})
        finally:
            sim("c01", "DELETE", "/_sim/faults", token=False)
        self.assertEqual(st, 503, r)
        sid = db("SELECT submission_id FROM application_submission WHERE `user`='%s' AND cluster_id='c01' "
                 "ORDER BY created_time DESC LIMIT 1" % USER).strip()
        self.assertEqual(row(sid, "status, gateway_failed"), "SUBMISSION_FAILED\t1")
        s = status(sid)
        self.assertEqual(s["applicationState"], "SUBMISSION_FAILED")
        self.assertIn("the gateway did not create the SparkApplication: create failed on cluster c01",
                      s["applicationErrorMessage"])
        self.assertEqual(listed(sid)["applicationState"], "SUBMISSION_FAILED")

    # -- migration 0008 on rows written under the old rule --

    def test_migration_reopens_the_operators_submission_failed_only(self):
        ids = {k: "c01-" + uuid.uuid4().hex for k in ("operator", "refused", "abandoned", "completed")}
        for k, sid in ids.items():
            db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, queue, status, "
               "created_time, cr_created_time, finished_time, status_time, last_error, abandoned_time) VALUES "
               "('%s', 'c01', 'spark-applications', '%s', 'poc', '%s', NOW(3), %s, NOW(3), NOW(3), %s, %s)"
               % (sid, USER, "COMPLETED" if k == "completed" else "SUBMISSION_FAILED",
                  "NULL" if k in ("refused", "abandoned") else "NOW(3)",
                  "'create failed on cluster c01: 422'" if k == "refused" else "NULL",
                  "NOW(3)" if k == "abandoned" else "NULL"))
        with open(os.path.join(ROOT, "sql", "0008_operator_states.sql")) as f:
            db(f.read())    # forward-only and idempotent: safe to apply again
        got = {k: row(sid, "status, gateway_failed, finished_time IS NULL, status_time IS NULL")
               for k, sid in ids.items()}
        self.assertEqual(got, {"operator": "SUBMISSION_FAILED\t0\t1\t1",      # open again
                               "refused": "SUBMISSION_FAILED\t1\t0\t0",
                               "abandoned": "SUBMISSION_FAILED\t1\t0\t0",
                               "completed": "COMPLETED\t0\t0\t0"})
        self.assertTrue(status(ids["refused"])["applicationErrorMessage"].startswith(
            "the gateway did not create the SparkApplication: create failed on cluster c01: 422"))


if __name__ == "__main__":
    unittest.main()
