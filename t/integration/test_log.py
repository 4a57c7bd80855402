"""GET /log: from the live pod (kubesim), from S3 after the monitor archived it, else the fixed text.

Applications are created on the simulated cluster with a matching row, as a submission leaves
them; the monitor (bpg-monitor) archives their logs to moto with SigV4 enforced.
"""
import http.client
import json
import os
import subprocess
import time
import unittest
import urllib.parse
import uuid


from bpg import (ENV, ROOT, SIM_APPS, Client, admin_client, db, poll, sim, sim_advance, skip_on_real,
                 s3_client, stopped_clock, user_client)

NS = "spark-applications"
NOT_FOUND = (b"Cannot find matched log files. Please try again in 5 minutes if this is a new job which "
             b"was just started within 5 minutes.")
MONITOR = os.environ.get("BPG_MONITOR_BIN") or os.path.join(ROOT, "monitor", "bpg-monitor")


def s3():
    return s3_client()


def make_app(user, outcome="success", run=2, log_bytes=5000, sidecar=False, executors=1):
    sid = "c01-" + uuid.uuid4().hex
    ann = {"kubesim.bpg.dev/outcome": outcome, "kubesim.bpg.dev/run-seconds": str(run),
           "kubesim.bpg.dev/log-bytes": str(log_bytes)}
    if sidecar:
        ann["kubesim.bpg.dev/sidecar"] = "true"
    body = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": sid, "labels": {"app.kubernetes.io/managed-by": "bpg", "proxyUser": user},
                         "annotations": ann},
            "spec": {"type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.1", "sparkVersion": "3.5",
                     "mainClass": "x.Main", "mainApplicationFile": "local:///x.jar",
                     "driver": {"cores": 1, "memory": "1g"},
                     "executor": {"cores": 1, "instances": executors, "memory": "1g"},
                     "restartPolicy": {"type": "Never"}, "timeToLiveSeconds": 3600}}
    db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, app_name, spark_version, "
       "queue, created_time) VALUES ('%s','c01','%s','%s','logs','3.5','poc', NOW(3) - INTERVAL 5 MINUTE)"
       % (sid, NS, user))
    st, obj = sim("c01", "POST", SIM_APPS, body)
    assert st == 201, obj
    return sid


def pod_log(pod, **q):
    """The log straight from the simulator."""
    path = "/api/v1/namespaces/%s/pods/%s/log" % (NS, pod)
    if q:
        path += "?" + urllib.parse.urlencode(q)
    st, data = sim("c01", "GET", path)
    assert st == 200, (st, data)
    return data


def ended(data):
    """A log as /log answers it: ending with one newline, never two."""
    return data if data.endswith(b"\n") else data + b"\n"


def cr_state(sid):
    st, obj = sim("c01", "GET", SIM_APPS + "/" + sid)
    return obj.get("status", {}).get("applicationState", {}).get("state") if st == 200 else None


def monitor():
    p = subprocess.run([MONITOR, "--grace", "0", ENV["BPG_CONFIG"]], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


class LogTest(unittest.TestCase):
    def setUp(self):
        # make test-k8s: these logs are shaped by kubesim annotations (log-bytes, executors, sidecar);
        # t/k8s/test_gateway_real.py reads a real driver's log through the gateway
        skip_on_real("c01", "the log tests shape logs with kubesim annotations on c01")
        self.c = user_client()
        self.c.timeout = 60

    def log(self, c=None, **q):
        st, h, data = (c or self.c).request("GET", "/log?" + urllib.parse.urlencode(q))
        return st, h, data

    def running(self, sid):
        self.assertTrue(poll(lambda: cr_state(sid) == "RUNNING", 20, 0.1), cr_state(sid))
        self.assertTrue(poll(lambda: sim("c01", "GET", "/api/v1/namespaces/%s/pods/%s-driver" % (NS, sid))[1]
                             .get("status", {}).get("phase") == "Running", 20, 0.1))

    def test_running_pod_is_not_followed_by_default(self):
        sid = make_app(ENV["BPG_USER"], outcome="hang", log_bytes=8000)
        self.running(sid)
        t0 = time.monotonic()
        st, h, data = self.log(subId=sid)
        self.assertLess(time.monotonic() - t0, 10, "a running pod's log is not followed by default")
        self.assertEqual(st, 200, data)
        self.assertEqual(h["content-type"], "application/octet-stream")
        # the log grows while the pod runs: what we got is where the pod's log starts
        # (it may still be empty: then the answer is the final newline alone)
        self.assertTrue(data.endswith(b"\n"))
        self.assertTrue(pod_log(sid + "-driver").startswith(data[:-1]))
        # tail and limit on the running pod, once it has written a few lines
        self.assertTrue(poll(lambda: pod_log(sid + "-driver").count(b"\n") >= 5, 30, 0.2))
        st, _, data = self.log(subId=sid, tailLines=3)
        self.assertEqual(st, 200)
        lines = data.split(b"\n")
        self.assertEqual((len(lines), lines[-1]), (4, b""), data)     # 3 lines, each ending in \n
        later = pod_log(sid + "-driver")
        self.assertTrue(all(l + b"\n" in later for l in lines[:3]), data)
        st, _, data = self.log(subId=sid, limitBytes=100)
        self.assertEqual((st, len(data)), (200, len(ended(data[:100]))))
        self.assertTrue(pod_log(sid + "-driver").startswith(data[:-1]))
        sim("c01", "DELETE", SIM_APPS + "/" + sid)

    def test_finished_pod_whole_tail_and_limit(self):
        sid = make_app(ENV["BPG_USER"], run=1, log_bytes=8000)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30, 0.1), cr_state(sid))
        st, h, data = self.log(subId=sid)
        self.assertEqual(st, 200, data)
        self.assertTrue(pod_log(sid + "-driver").endswith(b"\n"))
        self.assertEqual(data, pod_log(sid + "-driver"))     # one final newline, not two
        self.assertGreater(len(data), 7000)
        st, _, data = self.log(subId=sid, tailLines=3)
        self.assertEqual(data, ended(pod_log(sid + "-driver", tailLines=3)))
        self.assertEqual(data.count(b"\n"), 3)       # three lines, each ending in \n
        st, _, data = self.log(subId=sid, limitBytes=100)
        self.assertEqual(data, ended(pod_log(sid + "-driver")[:100]))

    def test_executor_and_by_app_id(self):
        sid = make_app(ENV["BPG_USER"], run=1, executors=2)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30, 0.1), cr_state(sid))
        st, _, data = self.log(subId=sid, execId="2")
        self.assertEqual(st, 200)
        self.assertEqual(data, ended(pod_log(sid + "-exec-2")))
        app_id = sim("c01", "GET", SIM_APPS + "/" + sid)[1]["status"]["sparkApplicationId"]
        db("UPDATE application_submission SET app_id='%s' WHERE submission_id='%s'" % (app_id, sid))
        st, _, data = self.log(appId=app_id, execId="driver")
        self.assertEqual(data, ended(pod_log(sid + "-driver")))
        sim("c01", "DELETE", SIM_APPS + "/" + sid)

    def test_sidecar_pod_reads_the_spark_container(self):
        sid = make_app(ENV["BPG_USER"], run=1, sidecar=True)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30, 0.1), cr_state(sid))
        st, _, data = self.log(subId=sid)
        self.assertEqual(st, 200, data)
        self.assertEqual(data, ended(pod_log(sid + "-driver", container="spark-kubernetes-driver")))
        st, _, data = self.log(subId=sid, container="sidecar")
        self.assertEqual(data, ended(pod_log(sid + "-driver", container="sidecar")))
        st, _, body = self.log(subId=sid, container="nosuch")
        self.assertEqual(st, 400, body)
        self.assertEqual(json.loads(body)["code"], 400)
        sim("c01", "DELETE", SIM_APPS + "/" + sid)

    def test_follow_streams_until_the_pod_ends(self):
        c = user_client()
        c.timeout = 120
        with stopped_clock("c01"):              # the pod runs until the test moves the clock on
            sid = make_app(ENV["BPG_USER"], run=3)
            sim_advance("c01", 3.5)             # RUNNING, and a second of the driver's log
            self.running(sid)
            conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=120)
            conn.request("GET", c.base + "/log?" + urllib.parse.urlencode({"subId": sid, "follow": "true"}),
                         headers={"Authorization": c.auth})
            r = conn.getresponse()              # the answer has begun while the pod runs...
            self.assertEqual(r.status, 200)
            first = r.read1(65536)
            self.assertEqual(cr_state(sid), "RUNNING")
            sim_advance("c01", 10)              # ...and ends when the pod does
            rest = r.read()
            conn.close()
        self.assertIn(cr_state(sid), ("SUCCEEDING", "COMPLETED"))
        self.assertEqual(first + rest, ended(pod_log(sid + "-driver")))
        self.assertLess(len(first), len(rest))   # most of it came after the answer began

    def test_archived_after_the_pods_are_gone(self):
        sid = make_app(ENV["BPG_USER"], run=1, log_bytes=300000, executors=2)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30, 0.1), cr_state(sid))
        live = self.log(subId=sid)[2]
        live_tail = self.log(subId=sid, tailLines=5)[2]
        live_exec = self.log(subId=sid, execId="1")[2]
        self.assertEqual(live, ended(pod_log(sid + "-driver")))
        # the monitor records the end, then archives (level-triggered: this run or the next)
        for _ in range(3):
            rc, out = monitor()
            if db("SELECT logs_archived_time IS NOT NULL FROM application_submission WHERE submission_id='%s'"
                  % sid).strip() == "1":
                break
        self.assertIn("archived=", out)
        rows = db("SELECT containerId, format, size, logs3key FROM logindex WHERE containerId LIKE '%s-%%' "
                  "ORDER BY containerId" % sid).split("\n")
        rows = [r.split("\t") for r in rows if r]
        self.assertEqual([r[0] for r in rows], [sid + "-driver", sid + "-exec-1", sid + "-exec-2"], out)
        self.assertEqual(rows[0][1], "raw")
        self.assertEqual(int(rows[0][2]), len(live))
        self.assertRegex(rows[0][3], r"^spark-logs/\d{4}/\d\d/\d\d/%s/%s-driver\.log$" % (sid, sid))
        obj = s3().get_object(Bucket=ENV["S3_BUCKET"], Key=rows[0][3])["Body"].read()
        self.assertEqual(ended(obj), live)
        # the cluster forgets the app and its pods
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        self.assertTrue(poll(lambda: sim("c01", "GET", "/api/v1/namespaces/%s/pods/%s-driver" % (NS, sid))[0]
                             == 404, 10, 0.1))
        st, _, data = self.log(subId=sid)
        self.assertEqual(st, 200)
        self.assertEqual(data, live)
        self.assertEqual(self.log(subId=sid, tailLines=5)[2], live_tail)
        self.assertEqual(self.log(subId=sid, execId="1")[2], live_exec)
        self.assertEqual(self.log(subId=sid, limitBytes=1000)[2], ended(live[:1000]))
        self.assertEqual(self.log(subId=sid, s3only="true")[2], live)
        # a second monitor run does not archive again
        rc, out = monitor()
        self.assertEqual(db("SELECT COUNT(*) FROM logindex WHERE containerId LIKE '%s-%%'" % sid).strip(), "3")

    def test_tail_of_a_big_archived_log_reads_only_its_end(self):
        sid = make_app(ENV["BPG_USER"], run=1, log_bytes=3000000)
        self.assertTrue(poll(lambda: cr_state(sid) == "COMPLETED", 30, 0.1), cr_state(sid))
        live = ended(pod_log(sid + "-driver"))
        for _ in range(3):
            monitor()
            if db("SELECT logs_archived_time IS NOT NULL FROM application_submission WHERE submission_id='%s'"
                  % sid).strip() == "1":
                break
        self.assertEqual(sim("c01", "DELETE", SIM_APPS + "/" + sid)[0], 200)
        self.assertTrue(poll(lambda: sim("c01", "GET", "/api/v1/namespaces/%s/pods/%s-driver" % (NS, sid))[0]
                             == 404, 10, 0.1))
        lines = live.split(b"\n")[:-1]           # the log's lines, without their newlines
        for n in (1, 7, 500):                           # from the object's last MiB
            st, _, data = self.log(subId=sid, tailLines=n)
            self.assertEqual(data, b"\n".join(lines[-n:]) + b"\n", n)
        st, _, data = self.log(subId=sid, tailLines=len(lines) - 3)   # more than its last MiB holds
        self.assertEqual(data, b"\n".join(lines[3:]) + b"\n")
        self.assertEqual(self.log(subId=sid)[2], live)

    def test_fluentbit_objects_of_an_external_mover(self):
        sid = "c01-" + uuid.uuid4().hex
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, status) "
           "VALUES ('%s','c01','%s','%s','COMPLETED')" % (sid, NS, ENV["BPG_USER"]))
        recs = []
        for m in ("hello", 'say "hi"', "tab\there"):
            inner = json.dumps({"log": m + "\n", "stream": "stdout", "time": "2026-11-24T10:00:00Z"})
            recs.append(json.dumps({"log": inner, "kubernetes": {"pod_name": sid + "-driver"}}))
        recs.append("not a record")
        key = "fluent/%s/0001.log" % sid
        s3().put_object(Bucket=ENV["S3_BUCKET"], Key=key, Body=("\n".join(recs) + "\n").encode(),
                        ContentType="application/octet-stream")
        db("INSERT INTO logindex (logs3key, `date`, `hour`, containerId) VALUES ('%s', CURDATE(), 10, '%s-driver')"
           % (key, sid))
        st, _, data = self.log(subId=sid)
        self.assertEqual(st, 200)
        self.assertEqual(data, b'hello\nsay "hi"\ntab\there\nnot a record\n\n')   # each object ends with an empty line

    def test_archived_object_gone_gives_the_fixed_text(self):
        # the index outlived the object (a second `make run` empties S3 but keeps MariaDB)
        sid = "c01-" + uuid.uuid4().hex
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, status) "
           "VALUES ('%s','c01','%s','%s','COMPLETED')" % (sid, NS, ENV["BPG_USER"]))
        db("INSERT INTO logindex (logs3key, `date`, `hour`, containerId, format, size) VALUES "
           "('spark-logs/gone/%s-driver.log', CURDATE(), 10, '%s-driver', 'raw', 100)" % (sid, sid))
        for q in ({}, {"tailLines": 5}, {"s3only": "true"}):
            st, h, data = self.log(subId=sid, **q)
            self.assertEqual((st, data), (200, NOT_FOUND), q)
        # one object of two still there: its bytes, once, ending with one newline
        key = "spark-logs/kept/%s-driver.log" % sid
        s3().put_object(Bucket=ENV["S3_BUCKET"], Key=key, Body=b"line one\nline two\n")
        db("INSERT INTO logindex (logs3key, `date`, `hour`, containerId, format, size) VALUES "
           "('%s', CURDATE(), 11, '%s-driver', 'raw', 18)" % (key, sid))
        st, _, data = self.log(subId=sid)
        self.assertEqual((st, data), (200, b"line one\nline two\n"))

    def test_nothing_anywhere_gives_the_fixed_text(self):
        sid = "c01-" + uuid.uuid4().hex
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, status) "
           "VALUES ('%s','c01','%s','%s','COMPLETED')" % (sid, NS, ENV["BPG_USER"]))
        st, h, data = self.log(subId=sid)
        self.assertEqual((st, data), (200, NOT_FOUND))
        self.assertEqual(h["content-type"], "application/octet-stream")

    def test_validation_and_authorization(self):
        st, _, body = self.log()
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["message"], "Error: Please provide either a submissionId or an appId.")
        st, _, body = self.log(subId="short")
        self.assertEqual(st, 400)
        self.assertIn("Should be at least 32 characters", json.loads(body)["message"])
        st, _, body = self.log(appId="spark-" + "0" * 32)
        self.assertEqual(st, 400)
        self.assertEqual(json.loads(body)["message"],
                         "Could not find submissionId from the appId spark-%s." % ("0" * 32))
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        for q in ({"execId": "x1"}, {"tailLines": "0"}, {"limitBytes": "-1"}, {"follow": "maybe"},
                  {"container": "Bad_Name"}, {"bogus": "1"}):
            st, _, body = self.log(subId=sid, **q)
            self.assertEqual(st, 400, (q, body))
        other = Client(ENV["BPG_OTHER_USER"], ENV["BPG_PASSWORD"])
        st, _, body = self.log(c=other, subId=sid)
        self.assertEqual(st, 403, body)
        st, _, body = self.log(subId="c01-" + uuid.uuid4().hex)
        self.assertEqual(st, 404, body)
        self.assertEqual(self.log(c=admin_client(), subId=sid)[0], 200)
        st, _, body = Client().request("GET", "/log?subId=" + sid)
        self.assertEqual(st, 401)
        sim("c01", "DELETE", SIM_APPS + "/" + sid)


if __name__ == "__main__":
    unittest.main()
