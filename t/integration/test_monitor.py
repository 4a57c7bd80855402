"""bpg-monitor against MariaDB and the simulated clusters: level-triggered, singleton, partial failures."""
import os
import subprocess
import time
import unittest
import uuid

from bpg import ENV, ROOT, SIM_APPS, db, poll, sim

MONITOR = os.path.join(ROOT, "monitor", "bpg-monitor")


def monitor(*args):
    p = subprocess.run([MONITOR, "--grace", "0"] + list(args) + [ENV["BPG_CONFIG"]], capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def new_app(outcome="success", run=2, ours=True, row=True, max_ms=None, cid="c01"):
    sid = "%s-%s" % (cid, uuid.uuid4().hex)
    labels = {"proxyUser": "alice"}
    if ours:
        labels["app.kubernetes.io/managed-by"] = "bpg"
    body = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": sid, "labels": labels,
                         "annotations": {"kubesim.bpg.dev/outcome": outcome, "kubesim.bpg.dev/run-seconds": str(run)}},
            "spec": {"type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.1", "sparkVersion": "3.5",
                     "mainClass": "x.Main", "mainApplicationFile": "local:///x.jar",
                     "driver": {"cores": 1, "memory": "1g"}, "executor": {"cores": 1, "instances": 1, "memory": "1g"},
                     "restartPolicy": {"type": "Never"}}}
    if row:
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, queue, "
           "max_running_millis, cr_created_time) VALUES ('%s','%s','spark-applications','alice','poc',%s,"
           "CURRENT_TIMESTAMP(3))" % (sid, cid, max_ms if max_ms else "NULL"))
    st, obj = sim(cid, "POST", SIM_APPS, body)
    assert st == 201, obj
    return sid


def row(sid, cols="status"):
    return db("SELECT %s FROM application_submission WHERE submission_id='%s'" % (cols, sid)).rstrip("\n")


def cr_state(sid, cid="c01"):
    st, obj = sim(cid, "GET", SIM_APPS + "/" + sid)
    return obj.get("status", {}).get("applicationState", {}).get("state") if st == 200 else None


class MonitorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for c in ("c01", "c02"):
            sim(c, "POST", "/_sim/clock", {"speed": 20}, token=False)

    @classmethod
    def tearDownClass(cls):
        for c in ("c01", "c02"):
            sim(c, "POST", "/_sim/clock", {"speed": 1}, token=False)
            sim(c, "DELETE", "/_sim/faults", token=False)

    def test_lifecycle_run_by_run(self):
        sid = new_app(run=10)
        seen = []

        def step():
            rc, out = monitor()
            self.assertEqual(rc, 0, out)
            s = row(sid)
            if not seen or seen[-1] != s:
                seen.append(s)
            return s == "COMPLETED"
        self.assertTrue(poll(step, 30, 0.05), seen)
        self.assertIn("RUNNING", seen)
        app_id, finished, start = row(sid, "app_id, finished_time IS NOT NULL, start_time IS NOT NULL").split("\t")
        self.assertRegex(app_id, r"^spark-[0-9a-f]{32}$")
        self.assertEqual((finished, start), ("1", "1"))
        self.assertIn('"podName":"%s-driver"' % sid, row(sid, "driver_info"))

    def test_transition_missed_while_stopped(self):
        sid = new_app(run=1)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30, 0.05))
        self.assertEqual(row(sid), "NULL")
        rc, out = monitor()
        self.assertEqual(rc, 0, out)
        self.assertEqual(row(sid), "COMPLETED")
        # a second run writes nothing for it
        rc, out = monitor()
        self.assertNotIn("errors=update", out)

    def test_submission_failed_is_terminal(self):
        sid = new_app(outcome="submission-fail")
        self.assertTrue(poll(lambda: cr_state(sid) == "SUBMISSION_FAILED", 30, 0.05))
        monitor()
        self.assertEqual(row(sid, "status, finished_time IS NOT NULL"), "SUBMISSION_FAILED\t1")

    def test_cr_deleted_behind_our_back(self):
        sid = new_app(outcome="hang")
        self.assertTrue(poll(lambda: cr_state(sid) == "RUNNING", 30, 0.05))
        monitor()
        self.assertEqual(row(sid), "RUNNING")
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        monitor()
        status, msg = row(sid, "status, error_message").split("\t")
        self.assertEqual(status, "FAILED")
        self.assertIn("disappeared from cluster c01", msg)

    def test_create_never_finished(self):
        sid = "c01-" + uuid.uuid4().hex
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, queue, created_time, "
           "updated_time) VALUES ('%s','c01','spark-applications','alice','poc',NOW() - INTERVAL 10 MINUTE, "
           "NOW() - INTERVAL 10 MINUTE)" % sid)
        monitor()
        status, msg = row(sid, "status, error_message").split("\t")
        self.assertEqual(status, "SUBMISSION_FAILED")
        self.assertIn("never created", msg)

    def test_overrunning_app_stopped_foreign_left_alone(self):
        ours = new_app(outcome="hang", max_ms=1000)
        foreign = new_app(outcome="hang", ours=False, row=False)
        self.assertTrue(poll(lambda: cr_state(ours) == "RUNNING" and cr_state(foreign) == "RUNNING", 30, 0.05))
        monitor()
        time.sleep(1.2)   # past its 1 s maxRunningMillis, counted from its start
        rc, out = monitor()
        self.assertIn("stopped=", out)
        self.assertTrue(poll(lambda: cr_state(ours) == "FAILED", 30, 0.05))
        self.assertIn("stopped by bpg-monitor", row(ours, "last_error"))
        monitor()
        status, msg = row(ours, "status, error_message").split("\t")
        self.assertEqual(status, "FAILED")
        self.assertEqual(cr_state(foreign), "RUNNING")
        sim("c01", "DELETE", SIM_APPS + "/" + foreign)

    def test_two_monitors_at_once(self):
        holder = subprocess.Popen(["mariadb", "--no-defaults", "-uroot", "--socket=" + ENV["MYSQL_SOCKET"], "-e",
                                   "SELECT GET_LOCK('bpg-monitor', 5), SLEEP(4)"], stdout=subprocess.PIPE)
        try:
            time.sleep(0.5)
            rc, out = monitor()
            self.assertEqual(rc, 0)
            self.assertIn("another monitor is running", out)
        finally:
            holder.wait(10)
        rc, out = monitor()
        self.assertNotIn("another monitor", out)

    def test_one_cluster_down(self):
        ok = new_app(run=1)
        down = new_app(run=1, cid="c02")
        self.assertTrue(poll(lambda: cr_state(ok) == "COMPLETED" and cr_state(down, "c02") == "COMPLETED", 30, 0.05))
        sim("c02", "POST", "/_sim/faults", {"mode": "refuse"}, token=False)
        try:
            rc, out = monitor()
        finally:
            sim("c02", "DELETE", "/_sim/faults", token=False)
        self.assertEqual(rc, 2, out)
        self.assertIn("cluster c02", out)
        self.assertEqual(row(ok), "COMPLETED")
        self.assertEqual(row(down), "NULL")          # skipped, not finalized as lost
        self.assertEqual(db("SELECT outcome FROM monitor_run WHERE id=1").strip(), "partial")
        rc, out = monitor()
        self.assertEqual((rc, row(down)), (0, "COMPLETED"))

    def test_last_run_in_health_and_metrics(self):
        from bpg import admin_client, user_client
        rc, out = monitor()
        self.assertEqual(rc, 0, out)
        st, _, h = user_client().json("GET", "/healthcheck/status")
        self.assertEqual(h["monitor"]["outcome"], "ok")
        self.assertGreater(h["monitor"]["lastRunFinished"], (time.time() - 60) * 1000)
        st, _, text = admin_client().request("GET", "/metrics")
        self.assertIn("bpg_monitor_last_run_success 1", text.decode())

    def test_loop_mode_stops_on_sigterm(self):
        p = subprocess.Popen([MONITOR, "--grace", "0", "--loop", "1", ENV["BPG_CONFIG"]], stdout=subprocess.PIPE, text=True)
        time.sleep(2.5)
        p.terminate()
        out, _ = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertGreaterEqual(out.count("bpg-monitor: clusters="), 2)

    def test_paging_over_many_objects(self):
        tag = uuid.uuid4().hex[:8]
        tpl = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
               "metadata": {"labels": {"app.kubernetes.io/managed-by": "bpg", "proxyUser": "bulk"}},
               "spec": {"type": "Scala", "mode": "cluster", "image": "x", "sparkVersion": "3.5", "mainClass": "x",
                        "mainApplicationFile": "local:///x.jar", "driver": {"cores": 1, "memory": "1g"},
                        "executor": {"cores": 1, "instances": 1, "memory": "1g"}}}
        st, res = sim("c01", "POST", "/_sim/bulk", {"count": 1200, "template": tpl, "state": "COMPLETED",
                                                    "prefix": "c01-b" + tag}, token=False)
        self.assertEqual(st, 200, res)
        rows = ",".join("('c01-b%s-%06d','c01','spark-applications','bulk','poc')" % (tag, i) for i in range(1200))
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, queue) VALUES " + rows)
        rc, out = monitor()
        self.assertEqual(rc, 0, out)
        n = db("SELECT COUNT(*) FROM application_submission WHERE submission_id LIKE 'c01-b%s-%%' AND "
               "status='COMPLETED'" % tag).strip()
        self.assertEqual(n, "1200")
        self.assertGreaterEqual(int(out.split("objects=")[1].split()[0]), 1200)


if __name__ == "__main__":
    unittest.main()
