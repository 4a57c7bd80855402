"""The gateway against the real cluster (make test-k8s: c01 a real kube-apiserver with kwok and the
real Spark operator, c02 kubesim): failover from the simulated to the real cluster, /log of a live
and of a finished driver through the API server and kwok, archiving by the monitor and /log after
the pods are garbage-collected, and a CR deleted behind the gateway's back.
"""
import json
import os
import subprocess
import sys
import unittest
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "t", "integration"))
if not os.environ.get("BPG_STACK_ENV"):
    raise unittest.SkipTest("no stack (BPG_STACK_ENV): run through make test-k8s")
from bpg import ENV, SIM_APPS, db, poll, real_cluster, sim, user_client  # noqa: E402

MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
           "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 1, "cores": 1, "memory": "2g"}}
PODS = "/api/v1/namespaces/spark-applications/pods/"
MONITOR = os.path.join(ROOT, "monitor", "bpg-monitor")
KWOK_LOG = b"Pi is roughly 3.14"    # a line of the file kwok serves as every container's log (t/k8s/cluster)


def monitor(*args):
    p = subprocess.run([MONITOR] + list(args) + [ENV["BPG_CONFIG"]], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def row(sid, cols="status"):
    return db("SELECT %s FROM application_submission WHERE submission_id='%s'" % (cols, sid)).strip()


def cr_state(sid):
    st, obj = sim("c01", "GET", SIM_APPS + "/" + sid)
    return obj.get("status", {}).get("applicationState", {}).get("state") if st == 200 else None


def pod_phase(name):
    st, obj = sim("c01", "GET", PODS + name)
    return obj["status"].get("phase") if st == 200 else None


class GatewayOnRealCluster(unittest.TestCase):
    def setUp(self):
        if not real_cluster("c01"):
            self.skipTest("c01 is not a real API server: run through make test-k8s")
        self.c = user_client()
        self.c.timeout = 60

    def submit(self, **over):
        b = dict(MINIMAL, **over)
        st, _, r = self.c.json("POST", "/spark", body=json.dumps(b), headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, r)
        return r["submissionId"]

    def log(self, **q):
        return self.c.request("GET", "/log?" + urllib.parse.urlencode(q))

    def test_simulated_cluster_refuses_the_real_one_takes_it(self):
        sim("c02", "POST", "/_sim/faults", {"mode": "refuse"}, token=False)
        try:
            ids = [self.submit() for _ in range(6)]
        finally:
            sim("c02", "DELETE", "/_sim/faults", token=False)
        self.assertTrue(all(i.startswith("c01-") for i in ids), ids)
        for sid in ids:
            self.assertEqual(sim("c01", "GET", SIM_APPS + "/" + sid)[0], 200)
        failed = db("SELECT COUNT(*) FROM application_submission WHERE status='SUBMISSION_FAILED' AND "
                    "last_error LIKE 'create failed on cluster c02%%' AND created_time > NOW() - INTERVAL 5 MINUTE")
        self.assertGreater(int(failed), 0)   # c02 was picked first at least once (p = 1 - 2^-6)

    def test_status_log_archive_and_garbage_collection(self):
        sid = self.submit(queue="open")     # only c01 serves queue open
        self.assertTrue(poll(lambda: pod_phase(sid + "-driver") == "Running", 120, 0.5),
                        "no running driver pod: the operator's spark-submit did not create it")
        st, _, live = self.log(subId=sid)
        self.assertEqual(st, 200, live)
        self.assertIn(KWOK_LOG, live)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 120, 0.5), cr_state(sid))
        st, _, s = self.c.json("GET", "/spark/%s/status" % sid)
        self.assertEqual((st, s["applicationState"]), (200, "COMPLETED"), s)
        self.assertRegex(s["sparkApplicationId"], r"^spark-[0-9a-f]{32}$")
        st, _, done = self.log(subId=sid)
        self.assertEqual(st, 200)
        self.assertIn(KWOK_LOG, done)
        for _ in range(3):
            rc, out = monitor("--grace", "0")
            self.assertEqual(rc, 0, out)
            if row(sid, "logs_archived_time IS NOT NULL") == "1":
                break
        self.assertEqual(row(sid, "status, logs_archived_time IS NOT NULL").split(), ["COMPLETED", "1"], out)
        # the CR goes, and the garbage collector takes its driver pod with it
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        self.assertTrue(poll(lambda: pod_phase(sid + "-driver") is None, 60, 0.5), "the driver pod was not collected")
        st, _, archived = self.log(subId=sid)
        self.assertEqual(st, 200)
        self.assertIn(KWOK_LOG, archived)

    def test_cr_deleted_behind_our_back(self):
        sid = self.submit(queue="open")
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        rc, out = monitor("--grace", "0")
        self.assertEqual(rc, 0, out)
        status, msg = row(sid, "status, error_message").split("\t")
        self.assertEqual(status, "FAILED", out)
        self.assertIn("disappeared from cluster c01", msg)


if __name__ == "__main__":
    unittest.main()
