"""Examination and deletion: status, spec, driver, describe, DELETE, against MariaDB and kubesim.

Applications are created directly on the simulated cluster with a matching database row, as a
submission leaves them, so these tests do not depend on the submit path.
"""
import json
import time
import unittest
import uuid

from bpg import (ENV, SIM_APPS, Client, admin_client, db, next_wall_second, poll, real_cluster, sim,
                 sim_advance, stopped_clock, user_client)


def make_app(user, outcome="success", run=2, ttl=None, secret_conf=True):
    sid = "c01-" + uuid.uuid4().hex
    spec = {"type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.1", "sparkVersion": "3.5",
            "mainClass": "x.Main", "mainApplicationFile": "local:///x.jar",
            "sparkConf": {"spark.app.name": "examine", "spark.hadoop.fs.s3a.secret.key": "TOPSECRET",
                          "spark.executor.memoryOverhead": "512m"} if secret_conf else {},
            "driver": {"cores": 1, "memory": "1g", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]},
            "executor": {"cores": 1, "instances": 1, "memory": "1g"}, "restartPolicy": {"type": "Never"}}
    if ttl is not None:
        spec["timeToLiveSeconds"] = ttl
    body = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": sid, "labels": {"app.kubernetes.io/managed-by": "bpg", "proxyUser": user},
                         "annotations": {"kubesim.bpg.dev/outcome": outcome, "kubesim.bpg.dev/run-seconds": str(run)}},
            "spec": spec}
    db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, app_name, spark_version, "
       "queue) VALUES ('%s','c01','spark-applications','%s','examine','3.5','poc')" % (sid, user))
    st, obj = sim("c01", "POST", SIM_APPS, body)
    assert st == 201, obj
    return sid


class ExamineTest(unittest.TestCase):
    def status(self, c, sid):
        st, _, body = c.json("GET", "/spark/%s/status" % sid)
        self.assertEqual(st, 200, body)
        return body

    def test_status_follows_the_lifecycle_and_is_written_through(self):
        c = user_client()
        seen = []

        def state_is(want):
            s = self.status(c, sid)["applicationState"]
            if not seen or seen[-1] != s:
                seen.append(s)
            return s == want
        with stopped_clock("c01"):          # RUNNING lasts until the test moves the clock on
            sid = make_app(ENV["BPG_USER"], run=2)
            sim_advance("c01", 3)           # SUBMITTED at 0.5 s, RUNNING at 2.5 s
            self.assertTrue(poll(lambda: state_is("RUNNING"), 30, 0.1), seen)
            next_wall_second()              # a duration of whole seconds above 0
            sim_advance("c01", 10)          # past run-seconds: COMPLETED
            self.assertTrue(poll(lambda: state_is("COMPLETED"), 30, 0.1), seen)
        body = self.status(c, sid)
        self.assertRegex(body["sparkApplicationId"], r"^spark-[0-9a-f]{32}$")
        self.assertGreater(body["duration"], 0)
        self.assertIn("terminationTime", body)
        row = db("SELECT status, app_id IS NOT NULL, finished_time IS NOT NULL FROM application_submission "
                 "WHERE submission_id='%s'" % sid).split()
        self.assertEqual(row, ["COMPLETED", "1", "1"])
        # by Spark application id too
        st, _, again = c.json("GET", "/spark/%s/status" % body["sparkApplicationId"])
        self.assertEqual((st, again["applicationState"]), (200, "COMPLETED"))

    def test_status_after_the_cr_is_gone(self):
        c = user_client()
        sid = make_app(ENV["BPG_USER"], run=1)
        # a real operator runs one spark-submit (a JVM) per application: allow it more time
        self.assertTrue(poll(lambda: self.status(c, sid)["applicationState"] == "COMPLETED",
                             120 if real_cluster("c01") else 30, 0.1))
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        body = self.status(c, sid)   # the Java gateway answered 404 here
        self.assertEqual(body["applicationState"], "COMPLETED")
        st, _, err = c.json("GET", "/spark/%s/spec" % sid)
        self.assertEqual((st, err["code"]), (404, 404))
        self.assertIn("no longer exists", err["message"])

    def test_spec_masks_secrets(self):
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        st, _, spec = user_client().json("GET", "/spark/%s/spec" % sid)
        self.assertEqual(st, 200, spec)
        self.assertEqual(spec["sparkConf"]["spark.hadoop.fs.s3a.secret.key"], "***")
        self.assertEqual(spec["sparkConf"]["spark.executor.memoryOverhead"], "512m")
        self.assertEqual(spec["driver"]["env"], [{"name": "DB_PASSWORD", "value": "***"}])
        self.assertNotIn("TOPSECRET", json.dumps(spec))
        st, _, text = user_client().request("GET", "/spark/%s/describe" % sid)
        self.assertEqual(st, 200)
        text = text.decode()
        self.assertNotIn("TOPSECRET", text)
        self.assertNotIn("hunter2", text)
        self.assertIn("--- Spark Spec ---\n", text)
        self.assertIn("spark.hadoop.fs.s3a.secret.key: \"***\"", text)
        self.assertIn("--- Spark Application Events ---\n", text)
        if not real_cluster("c01"):   # the real operator (v2.5) records no SparkApplicationAdded event
            self.assertIn("SparkApplicationAdded", text)
        self.assertIn("--- Spark Driver Events ---\n", text)
        sim("c01", "DELETE", SIM_APPS + "/" + sid)

    def test_driver(self):
        c = user_client()
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        self.assertTrue(poll(lambda: self.status(c, sid)["applicationState"] == "RUNNING", 30, 0.1))
        st, _, body = c.json("GET", "/spark/%s/driver" % sid)
        self.assertEqual((st, body["podName"]), (200, sid + "-driver"))
        self.assertGreater(body["startTime"], 1.7e12)
        sim("c01", "DELETE", SIM_APPS + "/" + sid)

    def test_owner_or_admin_only_and_delete(self):
        sid = make_app("someone-else", outcome="hang")
        u, a = user_client(), admin_client()
        for path in ("status", "spec", "driver", "describe"):
            st, _, body = u.json("GET", "/spark/%s/%s" % (sid, path))
            self.assertEqual((st, body["code"]), (403, 403), path)
        st, _, body = u.json("DELETE", "/spark/%s" % sid)
        self.assertEqual(st, 403)
        self.assertEqual(sim("c01", "GET", SIM_APPS + "/" + sid)[0], 200)   # untouched
        self.assertEqual(a.json("GET", "/spark/%s/status" % sid)[0], 200)
        st, _, body = a.json("DELETE", "/spark/%s" % sid)
        self.assertEqual((st, body), (200, {"submissionId": sid}))
        self.assertEqual(sim("c01", "GET", SIM_APPS + "/" + sid)[0], 404)
        row = db("SELECT status, last_error FROM application_submission WHERE submission_id='%s'" % sid)
        self.assertEqual(row.split("\t")[0], "FAILED")
        self.assertIn("deleted by " + ENV["BPG_ADMIN_USER"], row)
        # deleting again: still 200 (it is gone), as the Java gateway
        self.assertEqual(a.json("DELETE", "/spark/%s" % sid)[0], 200)

    def test_bad_and_unknown_ids(self):
        c = user_client()
        for bad in ("nodash", "-c01", "c01-xyz", "C01-" + "a" * 32, "c01-" + "g" * 32, "c01-" + "a" * 60,
                    "c01-" + "a" * 32 + "-UPPER"):
            st, _, body = c.json("GET", "/spark/%s/status" % bad)
            self.assertEqual((st, body["code"]), (400, 400), bad)
            self.assertIn("is invalid", body["message"])
        st, _, body = c.json("GET", "/spark/c99-%s/status" % ("a" * 32))
        self.assertEqual(st, 400)
        self.assertEqual(body["message"], "Cluster c99 (in submissionId: c99-%s) not exists" % ("a" * 32))
        st, _, body = c.json("GET", "/spark/c01-%s/status" % uuid.uuid4().hex)
        self.assertEqual((st, body["code"]), (404, 404))
        st, _, body = c.json("GET", "/spark/spark-%s/status" % uuid.uuid4().hex)
        self.assertEqual((st, body["code"]), (404, 404))

    def test_cluster_down_serves_the_stored_state(self):
        c = user_client()
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        self.assertTrue(poll(lambda: self.status(c, sid)["applicationState"] == "RUNNING", 30, 0.1))
        sim("c01", "POST", "/_sim/faults", {"mode": "refuse"}, token=False)
        try:
            time.sleep(2.1)   # older than status_max_age_ms: a live read is attempted and fails
            body = self.status(c, sid)
            self.assertEqual(body["applicationState"], "RUNNING")
            st, _, err = c.json("GET", "/spark/%s/spec" % sid)
            self.assertEqual((st, err["code"]), (503, 503))
            self.assertIn("cluster c01", err["message"])
        finally:
            sim("c01", "DELETE", "/_sim/faults", token=False)
        sim("c01", "DELETE", SIM_APPS + "/" + sid)


if __name__ == "__main__":
    unittest.main()
