"""bpg-monitor against MariaDB and the simulated clusters: level-triggered, singleton, partial failures.

Rows are inserted as the gateway would (created_time in the past where a test needs the
grace period over), so the monitor runs with its default grace and never touches another
module's submissions in flight.
"""
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from bpg import (ENV, ROOT, SIM_APPS, admin_client, db, poll, real_cluster, sim, sim_advance, skip_on_real,
                 stack, stopped_clock, user_client)

MONITOR = os.environ.get("BPG_MONITOR_BIN") or os.path.join(ROOT, "monitor", "bpg-monitor")
SPEED = 20


def monitor(*args, config=None):
    """Runs one bpg-monitor; returns (exit code, stdout + stderr)."""
    p = subprocess.run([MONITOR] + list(args) + [config or ENV["BPG_CONFIG"]], capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def summary(out):
    """The summary line's key=value pairs."""
    m = re.search(r"^bpg-monitor: (outcome=.*)$", out, re.M)
    assert m, out
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', m.group(1)))


def spark_app(sid, outcome="success", run=40, labels=None, max_label=None, app_name=None):
    lb = {"app.kubernetes.io/managed-by": "bpg", "proxyUser": "alice", "queue": "root.poc"}
    lb.update(labels or {})
    lb = {k: v for k, v in lb.items() if v is not None}
    if max_label is not None:
        lb["maxRunningMillis"] = str(max_label)
    spec = {"type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.1", "sparkVersion": "3.5",
            "mainClass": "x.Main", "mainApplicationFile": "local:///x.jar",
            "driver": {"cores": 1, "memory": "1g"}, "executor": {"cores": 1, "instances": 2, "memory": "1g"},
            "restartPolicy": {"type": "Never"}}
    if app_name:
        spec["sparkConf"] = {"spark.app.name": app_name}
    return {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": sid, "labels": lb,
                         "annotations": {"kubesim.bpg.dev/outcome": outcome, "kubesim.bpg.dev/run-seconds": str(run)}},
            "spec": spec}


def insert_row(sid, cid="c01", age_s=0, created=True, max_ms=None, user="alice", status=None):
    db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, queue, status, "
       "max_running_millis, created_time, cr_created_time) VALUES ('%s','%s','spark-applications','%s','poc',%s,%s,"
       "NOW(3) - INTERVAL %d SECOND, %s)" % (sid, cid, user, "'%s'" % status if status else "NULL",
                                              max_ms if max_ms else "NULL", age_s,
                                              "NOW(3) - INTERVAL %d SECOND" % age_s if created else "NULL"))


def new_app(cid="c01", row=True, age_s=0, max_ms=None, user="alice", **kw):
    """A SparkApplication created on cid as the gateway does: the row first, then the CR."""
    sid = "%s-%s" % (cid, uuid.uuid4().hex)
    if row:
        insert_row(sid, cid, age_s=age_s, max_ms=max_ms, user=user)
    st, obj = sim(cid, "POST", SIM_APPS, spark_app(sid, **kw))
    assert st == 201, obj
    return sid


def row(sid, cols="status"):
    return db("SELECT %s FROM application_submission WHERE submission_id='%s'" % (cols, sid)).rstrip("\n")


def cr_state(sid, cid="c01"):
    st, obj = sim(cid, "GET", SIM_APPS + "/" + sid)
    return obj.get("status", {}).get("applicationState", {}).get("state") if st == 200 else None


def fault(cid, **f):
    st, _ = sim(cid, "POST", "/_sim/faults", f, token=False)
    assert st == 200


def clear_faults():
    for c in ("c01", "c02"):
        if not real_cluster(c):
            sim(c, "DELETE", "/_sim/faults", token=False)


def lock_holder():
    return db("SELECT IS_USED_LOCK('bpg-monitor')").strip()


class MonitorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.speeds = {}
        for c in [c for c in ("c01", "c02") if not real_cluster(c)]:
            cls.speeds[c] = sim(c, "GET", "/_sim/clock", token=False)[1]["speed"]
            sim(c, "POST", "/_sim/clock", {"speed": SPEED}, token=False)

    @classmethod
    def tearDownClass(cls):
        for c, speed in cls.speeds.items():
            sim(c, "POST", "/_sim/clock", {"speed": speed}, token=False)
        clear_faults()

    def setUp(self):
        # make test-k8s: these tests drive kubesim's clock and faults on c01 (t/k8s has the real-cluster ones)
        skip_on_real("c01", "the monitor tests drive kubesim's clock (/_sim/clock) on c01")

    def tearDown(self):
        clear_faults()

    def ok_run(self, *args, **kw):
        rc, out = monitor(*args, **kw)
        self.assertEqual(rc, 0, out)
        return summary(out)

    # -- following an application --

    def test_lifecycle_run_by_run(self):
        seen = []
        with stopped_clock("c01"):     # 5 simulated seconds between runs, however long a run takes
            sid = new_app(app_name="nightly-etl")
            for _ in range(40):
                self.ok_run()
                s = row(sid)
                if not seen or seen[-1] != s:
                    seen.append(s)
                if s == "COMPLETED":
                    break
                sim_advance("c01", 5)
        self.assertIn("RUNNING", seen)
        self.assertEqual(seen[-1], "COMPLETED")
        self.assertLess(seen.index("RUNNING"), seen.index("COMPLETED"))
        app_id, app_name, ex, start, fin, cr = row(
            sid, "app_id, app_name, executor_count, start_time IS NOT NULL, finished_time >= start_time, "
                 "cr_created_time IS NOT NULL").split("\t")
        self.assertRegex(app_id, r"^spark-[0-9a-f]{32}$")
        self.assertEqual((app_name, start, fin, cr), ("nightly-etl", "1", "1", "1"))
        self.assertEqual(ex, "2")
        self.assertIn('"podName":"%s-driver"' % sid, row(sid, "driver_info"))
        # level-triggered and idempotent: the next run writes nothing for it
        before = row(sid, "status_time")
        self.ok_run()
        self.assertEqual(row(sid, "status_time"), before)

    def test_transition_missed_while_stopped(self):
        sid = new_app(run=1, app_name="\u00e9t\u00e9-" * 100)   # 500 bytes: cut to fit VARCHAR(255)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30))
        self.assertEqual(row(sid), "NULL")
        s = self.ok_run()
        self.assertGreaterEqual(int(s["changed"]), 1)
        self.assertEqual(row(sid, "status, finished_time IS NOT NULL, app_id IS NOT NULL"), "COMPLETED\t1\t1")
        name = row(sid, "app_name")
        self.assertTrue(name.startswith("\u00e9t\u00e9-\u00e9t\u00e9-"), name)
        self.assertLessEqual(len(name.encode()), 255)

    def test_failed_app_keeps_operator_message(self):
        sid = new_app(outcome="fail", run=1)
        self.assertTrue(poll(lambda: cr_state(sid) == "FAILED", 30))
        msg = sim("c01", "GET", SIM_APPS + "/" + sid)[1]["status"]["applicationState"]["errorMessage"]
        self.assertTrue(msg)
        self.ok_run()
        self.assertEqual(row(sid, "status, error_message, finished_time IS NOT NULL"), "FAILED\t%s\t1" % msg)

    def test_operator_submission_failed_is_not_final(self):
        # the operator's SUBMISSION_FAILED goes on (a retry, or FAILED): the row stays open
        sid = new_app(outcome="submission-fail")
        self.assertTrue(poll(lambda: cr_state(sid) in ("SUBMISSION_FAILED", "FAILED"), 30))
        self.ok_run()
        if cr_state(sid) == "SUBMISSION_FAILED":
            self.assertEqual(row(sid, "status, finished_time IS NULL, gateway_failed"),
                             "SUBMISSION_FAILED\t1\t0")
        # still watched: once its CR is gone before a final state, the row ends FAILED
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        rc, out = monitor("--grace", "0")
        self.assertEqual(rc, 0, out)
        status, msg, fin, gw = row(sid, "status, error_message, finished_time IS NOT NULL, "
                                        "gateway_failed").split("\t")
        self.assertEqual((status, fin, gw), ("FAILED", "1", "0"))
        if "disappeared" in msg:
            self.assertIn("last state SUBMISSION_FAILED", msg)
        # final now: never read or written again
        before = row(sid, "status_time, updated_time")
        self.ok_run()
        self.assertEqual(row(sid, "status_time, updated_time"), before)

    def test_cr_deleted_behind_our_back(self):
        sid = new_app(outcome="hang", age_s=600)
        young = new_app(outcome="hang")
        self.assertTrue(poll(lambda: cr_state(sid) == "RUNNING" and cr_state(young) == "RUNNING", 30))
        self.ok_run()
        self.assertEqual((row(sid), row(young)), ("RUNNING", "RUNNING"))
        for s in (sid, young):
            self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + s)[0], 200)
        s = self.ok_run()
        self.assertGreaterEqual(int(s["finalized"]), 1)
        status, msg, last, fin = row(sid, "status, error_message, last_error, finished_time IS NOT NULL").split("\t")
        self.assertEqual((status, fin), ("FAILED", "1"))
        self.assertIn("disappeared from cluster c01 before it ended", msg)
        self.assertIn("last state RUNNING", msg)
        self.assertEqual(last, msg)
        self.assertEqual(row(young), "RUNNING")   # within the grace: not yet
        rc, out = monitor("--grace", "0")
        self.assertEqual(rc, 0, out)
        self.assertEqual(row(young), "FAILED")

    # -- rows whose create never finished --

    def test_create_never_finished(self):
        old = "c01-" + uuid.uuid4().hex
        inflight = "c01-" + uuid.uuid4().hex
        insert_row(old, age_s=600, created=False)
        insert_row(inflight, age_s=5, created=False)
        self.ok_run()
        status, msg, fin, gw = row(old, "status, error_message, finished_time IS NOT NULL, "
                                        "gateway_failed").split("\t")
        self.assertEqual((status, fin, gw), ("SUBMISSION_FAILED", "1", "1"))   # the gateway's: final
        self.assertIn("never created on cluster c01", msg)
        self.assertEqual(row(inflight, "status, last_error"), "NULL\tNULL")   # a submit in flight

    def test_create_unrecorded_but_cr_exists_is_adopted(self):
        sid = "c01-" + uuid.uuid4().hex
        insert_row(sid, age_s=600, created=False)   # the worker died after the create
        self.assertEqual(sim("c01", "POST", SIM_APPS, spark_app(sid, outcome="hang"))[0], 201)
        self.assertTrue(poll(lambda: cr_state(sid) == "RUNNING", 30))
        self.ok_run()
        self.assertEqual(row(sid, "status, cr_created_time IS NOT NULL, last_error"), "RUNNING\t1\tNULL")
        sim("c01", "DELETE", SIM_APPS + "/" + sid)

    # -- maximum running time --

    def test_overrunning_app_stopped_foreign_left_alone(self):
        ours = new_app(outcome="hang", max_label=1500, user=ENV["BPG_USER"])
        by_row = new_app(outcome="hang", max_ms=1500)
        no_label = new_app(outcome="hang", row=False, labels={"app.kubernetes.io/managed-by": None},
                           max_label=1)
        others = new_app(outcome="hang", row=False, labels={"app.kubernetes.io/managed-by": "airflow"},
                         max_label=1)
        no_row = new_app(outcome="hang", row=False, max_label=1)   # labelled ours, not in our table
        ended = new_app(outcome="hang", max_label=1)
        db("UPDATE application_submission SET status='FAILED' WHERE submission_id='%s'" % ended)
        apps = (ours, by_row, no_label, others, no_row, ended)
        self.assertTrue(poll(lambda: all(cr_state(a) == "RUNNING" for a in apps), 30))
        stopped = []
        self.assertTrue(poll(lambda: stopped.append(int(self.ok_run()["stopped"])) or sum(stopped) >= 2, 15, 0.2),
                        stopped)
        self.assertTrue(poll(lambda: cr_state(ours) == "FAILED" and cr_state(by_row) == "FAILED", 30))
        self.assertIn("stopped by bpg-monitor: running", row(ours, "last_error"))
        self.assertIn("maxRunningMillis 1500", row(by_row, "last_error"))
        self.ok_run()
        status, msg = row(ours, "status, error_message").split("\t")
        self.assertEqual(status, "FAILED")
        self.assertRegex(msg, r"^stopped by bpg-monitor: running \d+ ms, longer than its maxRunningMillis 1500; "
                              r"operator: .*driver pod")
        # visible in the gateway's status
        st, _, js = user_client().json("GET", "/spark/%s/status" % ours)
        self.assertEqual(st, 200, js)
        self.assertEqual(js["applicationState"], "FAILED")
        self.assertIn("stopped by bpg-monitor", js["applicationErrorMessage"])
        for a in (no_label, others, no_row, ended):
            self.assertEqual(cr_state(a), "RUNNING", a)
            self.assertEqual(sim("c01", "GET", "/api/v1/namespaces/spark-applications/pods/%s-driver" % a)[0], 200)
        self.assertEqual(row(ended), "FAILED")
        for a in apps:
            sim("c01", "DELETE", SIM_APPS + "/" + a)

    # -- singleton, killed runs --

    def test_two_monitors_at_once(self):
        sid = new_app(run=1)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30))
        # the first holds the lock while c01 holds its listing; time enough for the second on a slow machine
        fault("c01", mode="delay", delay_ms=8000, path_prefix="/apis/", count=1)
        first = subprocess.Popen([MONITOR, ENV["BPG_CONFIG"]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True)
        try:
            self.assertTrue(poll(lambda: lock_holder() != "NULL", 10))
            rc, out = monitor()
            self.assertEqual(rc, 0, out)
            self.assertIn("another monitor is running", out)
            self.assertNotIn("outcome=", out)
            self.assertEqual(row(sid), "NULL")    # the second did nothing
        finally:
            out1, _ = first.communicate(timeout=30)
        self.assertEqual(first.returncode, 0, out1)
        self.assertEqual(summary(out1)["outcome"], "ok")
        self.assertEqual(row(sid), "COMPLETED")
        self.assertEqual(lock_holder(), "NULL")

    def test_killed_halfway_next_run_finishes(self):
        a = new_app(run=1)
        b = new_app(run=1, cid="c02")
        self.assertTrue(poll(lambda: cr_state(a) == "COMPLETED" and cr_state(b, "c02") == "COMPLETED", 30))
        fault("c02", mode="delay", delay_ms=20000, path_prefix="/apis/", count=1)   # killed long before
        p = subprocess.Popen([MONITOR, ENV["BPG_CONFIG"]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.assertTrue(poll(lambda: row(a) == "COMPLETED", 10))   # c01 done, c02 in flight
            p.send_signal(signal.SIGKILL)
        finally:
            p.wait(10)
        self.assertEqual(row(b), "NULL")
        self.assertTrue(poll(lambda: lock_holder() == "NULL", 10))   # the lock went with the connection
        clear_faults()
        s = self.ok_run()
        self.assertEqual(s["outcome"], "ok")
        self.assertEqual((row(a), row(b)), ("COMPLETED", "COMPLETED"))

    # -- failures --

    def test_one_cluster_down(self):
        ok = new_app(run=1)
        down = new_app(run=1, cid="c02", age_s=600)
        self.assertTrue(poll(lambda: cr_state(ok) == "COMPLETED" and cr_state(down, "c02") == "COMPLETED", 30))
        for f in ({"mode": "refuse"}, {"mode": "status", "status": 503}):
            fault("c02", **f)
            rc, out = monitor("--grace", "0")
            clear_faults()
            self.assertEqual(rc, 2, out)
            s = summary(out)
            self.assertEqual((s["outcome"], s["failed"], s["clusters"]), ("partial", "1", "2"))
            self.assertIn("cluster c02", s["errors"])
            self.assertEqual(row(ok), "COMPLETED")
            self.assertEqual(row(down), "NULL")          # skipped, never finalized as lost
            self.assertEqual(db("SELECT outcome, failed_clusters, errors LIKE '%%cluster c02%%' FROM monitor_run").strip(),
                             "partial\t1\t1")
        s = self.ok_run()
        self.assertEqual((s["outcome"], row(down)), ("ok", "COMPLETED"))

    def test_database_down_is_fatal(self):
        stack("db-stop")
        try:
            rc, out = monitor()
        finally:
            stack("db-start")
        self.assertEqual(rc, 1, out)
        self.assertIn("database unavailable", out)
        self.assertTrue(poll(lambda: monitor()[0] == 0, 20, 0.5))

    def test_bad_usage_and_config(self):
        self.assertEqual(monitor("--loop", "abc")[0], 1)
        self.assertEqual(monitor("--page-size", "0")[0], 1)
        rc, out = monitor(config="/nonexistent/bpg.ini")
        self.assertEqual(rc, 1, out)
        rc, out = subprocess.run([MONITOR, "--help"], capture_output=True, text=True).returncode, ""
        self.assertEqual(rc, 0)

    # -- listing --

    def test_paging_over_many_objects_and_410(self):
        tag = uuid.uuid4().hex[:8]
        n = 1200
        tpl = spark_app("x", labels={"proxyUser": "bulk"})
        del tpl["metadata"]["name"], tpl["metadata"]["annotations"]
        st, res = sim("c01", "POST", "/_sim/bulk", {"count": n, "template": tpl, "state": "COMPLETED",
                                                    "prefix": "c01-b" + tag}, token=False)
        self.assertEqual(st, 200, res)
        rows = ",".join("('c01-b%s-%06d','c01','spark-applications','bulk','poc')" % (tag, i) for i in range(n))
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, queue) VALUES " + rows)
        # page 1 answers, page 2 is 410 Expired: the listing starts over
        fault("c01", mode="delay", delay_ms=0, path_prefix=SIM_APPS, method="GET", count=1)
        fault("c01", mode="status", status=410, path_prefix=SIM_APPS, method="GET", count=1)
        s = self.ok_run("--page-size", "500")
        self.assertEqual(s["restarts"], "1")
        self.assertGreaterEqual(int(s["objects"]), n + 500)
        self.assertGreaterEqual(int(s["changed"]), n)
        done = db("SELECT COUNT(*) FROM application_submission WHERE submission_id LIKE 'c01-b%s-%%' AND "
                  "status='COMPLETED' AND finished_time IS NOT NULL" % tag).strip()
        self.assertEqual(done, str(n))
        last = "SELECT MAX(status_time) FROM application_submission WHERE submission_id LIKE 'c01-b%s-%%'" % tag
        before = db(last)
        self.ok_run()
        self.assertEqual(db(last), before)   # nothing left to write

    def test_shared_api_server_listed_once(self):
        with open(ENV["BPG_CONFIG"]) as f:
            text = f.read()
        c01 = re.search(r"\[cluster\.c01\]\n(.*?)\n\n", text, re.S).group(1)
        c03 = re.sub(r"weight = \d+", "weight = 0", c01)
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write(text.replace("[cluster.c02]", "[cluster.c03]\n%s\n\n[cluster.c02]" % c03, 1))
            cfg = f.name
        try:
            sid = "c03-" + uuid.uuid4().hex   # a drained entry (weight 0) sharing c01's API server
            insert_row(sid, cid="c03")
            self.assertEqual(sim("c01", "POST", SIM_APPS, spark_app(sid, run=1))[0], 201)
            self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30))
            rc, out = monitor(config=cfg)
            self.assertEqual(rc, 0, out)
            s = summary(out)
            self.assertEqual(s["clusters"], "2")
            self.assertEqual(row(sid), "COMPLETED")
        finally:
            os.unlink(cfg)

    # -- reporting --

    def test_last_run_in_table_health_and_metrics(self):
        s = self.ok_run()
        for k in ("outcome", "clusters", "failed", "objects", "changed", "finalized", "stopped", "restarts", "ms",
                  "errors"):
            self.assertIn(k, s)
        got = db("SELECT outcome, clusters, objects, errors IS NULL, finished_at >= started_at, "
                 "finished_at > NOW(3) - INTERVAL 60 SECOND FROM monitor_run WHERE id=1").strip()
        self.assertEqual(got, "ok\t2\t%s\t1\t1\t1" % s["objects"])
        # a worker's health answer may be up to a second old (h_health.c): wait for each to ask
        fresh = lambda: all(h.get("monitor", {}).get("outcome") == "ok" and h["monitor"]["lastRunFinished"] >
                            (time.time() - 60) * 1000
                            for h in (user_client().json("GET", "/healthcheck/status")[2] for _ in range(6)))
        self.assertTrue(poll(fresh, 10, 0.2), user_client().json("GET", "/healthcheck/status")[2])
        st, _, text = admin_client().request("GET", "/metrics")
        self.assertIn("bpg_monitor_last_run_success 1", text.decode())

    def test_loop_mode_stops_on_sigterm(self):
        for loop, runs in (("1", 2), ("3600", 1)):
            p = subprocess.Popen([MONITOR, "--loop", loop, ENV["BPG_CONFIG"]], stdout=subprocess.PIPE, text=True)
            guard = threading.Timer(60, p.kill)   # never hang the suite
            guard.start()
            try:
                lines = [p.stdout.readline() for _ in range(runs)]   # runs, one --loop interval apart
                p.terminate()               # now sleeping: with --loop 3600 only an interrupted sleep ends
                rest, _ = p.communicate(timeout=60)
            finally:
                guard.cancel()
            self.assertEqual(p.returncode, 0, (loop, lines))
            self.assertEqual([summary(x)["outcome"] for x in lines], ["ok"] * runs)
            self.assertEqual(rest, "")

if __name__ == "__main__":
    unittest.main()
