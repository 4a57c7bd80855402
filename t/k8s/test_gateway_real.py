"""The gateway against the real cluster (make test-k8s: c01 a real kube-apiserver with kwok and the
real Spark operator, c02 kubesim): failover from the simulated to the real cluster, /log of a live
and of a finished driver through the API server and kwok, archiving by the monitor and /log after
the pods are garbage-collected, a CR deleted behind the gateway's back, and Spark properties
that change the driver pod held to the queue's rules (issue 32 item 2), read back from the pod.
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
from bpg import ENV, SIM_APPS, admin_client, db, poll, real_cluster, sim, user_client  # noqa: E402

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

    def driver_pod(self, sid):
        """The driver pod spark-submit (run by the real operator) created for sid, and its container."""
        pod = {}

        def created():
            st, obj = sim("c01", "GET", PODS + sid + "-driver")
            pod.update(obj if st == 200 else {})
            return st == 200
        self.assertTrue(poll(created, 120, 0.5), "no driver pod: the operator's spark-submit did not create it")
        driver = [c for c in pod["spec"]["containers"] if c["name"] == "spark-kubernetes-driver"]
        self.assertEqual(len(driver), 1, pod["spec"]["containers"])
        return pod["spec"], driver[0]

    def test_spark_properties_reach_the_driver_pod_only_where_the_queue_allows(self):
        guarded = {"spark.kubernetes.driver.container.image": "bpg-guard/spark:3.5.1",
                   "spark.kubernetes.driver.volumes.hostPath.guard.mount.path": "/host",
                   "spark.kubernetes.driver.volumes.hostPath.guard.options.path": "/",
                   "spark.kubernetes.authenticate.driver.serviceAccountName": "bpg-guard-sa"}
        secret = {"spark.kubernetes.driver.secrets.bpg-guard": "/etc/guard"}
        # refused before anything reaches a cluster: the field rules on poc, secrets for a user anywhere
        for queue, conf in [("poc", {k: v}) for k, v in guarded.items()] + [("open", secret)]:
            b = dict(MINIMAL, queue=queue, sparkConf=conf)
            st, _, e = self.c.json("POST", "/spark", body=json.dumps(b), headers={"Content-Type": "application/json"})
            self.assertEqual(st, 403, (conf, e))
            self.assertIn("sparkConf.%s: queue %s does not allow" % (next(iter(conf)), queue), e["message"])
        # on open (served by c01 only) the hostPath volume reaches the driver pod: mounting / is real
        sid = self.submit(queue="open", sparkConf=guarded)
        spec, driver = self.driver_pod(sid)
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        self.assertEqual(vols.get("guard", {}).get("hostPath", {}).get("path"), "/", spec.get("volumes"))
        self.assertIn(("guard", "/host"), [(m["name"], m["mountPath"]) for m in driver.get("volumeMounts", [])])
        # the image and the service account: this operator (v2.5.2) passes spec.image and
        # spec.driver.serviceAccount (the gateway always sets both: the queue's image, the
        # cluster's "spark") as --conf after sparkConf, so there they never win; its webhook, when
        # enabled, refuses both keys. The gateway holds them all the same (above).
        self.assertEqual((driver["image"], spec.get("serviceAccountName")), ("apache/spark:3.5.1", "spark"))
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        # what no field says passes for an admin (pinned to the real cluster): a secret volume
        b = dict(MINIMAL, queue="poc", clusterId="c01", sparkConf=secret)
        st, _, r = admin_client().json("POST", "/spark", body=json.dumps(b), headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, r)
        spec, driver = self.driver_pod(r["submissionId"])
        names = [v["name"] for v in spec.get("volumes", []) if v.get("secret", {}).get("secretName") == "bpg-guard"]
        self.assertEqual(len(names), 1, spec.get("volumes"))
        self.assertIn((names[0], "/etc/guard"), [(m["name"], m["mountPath"]) for m in driver.get("volumeMounts", [])])
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + r["submissionId"])[0], 200)

if __name__ == "__main__":
    unittest.main()
