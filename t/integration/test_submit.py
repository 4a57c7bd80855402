"""POST /spark end to end: nginx, a worker, MariaDB and the simulated clusters."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import threading
import time
import unittest
import uuid

from bpg import (ENV, ROOT, SIM_APPS, Client, admin_client, db, poll, sim, stack, user_client)

CRD_VALIDATE = os.path.join(ROOT, "..", "shared", "crd", "validate.py")

MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
           "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 1, "cores": 1, "memory": "2g"}}


def body(**over):
    b = json.loads(json.dumps(MINIMAL))
    b.update(over)
    return json.dumps(b)


def rows():
    return int(db("SELECT COUNT(*) FROM application_submission"))


def crs():
    n = 0
    for cid in ("c01", "c02"):
        st, lst = sim(cid, "GET", SIM_APPS)
        n += len(lst["items"])
    return n


def token(claims):
    with open(ENV["BPG_QUEUE_TOKEN_SECRETS"]) as f:
        secret = [l.strip() for l in f if l.strip() and not l.startswith("#")][0]

    def b64(b):
        return base64.urlsafe_b64encode(b).decode().rstrip("=")
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest()
    return head + "." + b64(sig)


class SubmitTest(unittest.TestCase):
    def submit(self, c=None, data=None, headers=None, query=""):
        c = c or user_client()
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return c.json("POST", "/spark" + query, body=data if data is not None else body(), headers=h)

    def test_submit_and_follow_to_completion(self):
        st, _, res = self.submit(data=body(applicationName="lifecycle", sparkConf={"spark.a": 1}))
        self.assertEqual(st, 200, res)
        sid = res["submissionId"]
        self.assertEqual(list(res), ["submissionId"])
        self.assertRegex(sid, r"^c0[12]-[0-9a-f]{32}$")
        cid = sid[:3]
        st, cr = sim(cid, "GET", SIM_APPS + "/" + sid)
        self.assertEqual(st, 200)
        self.assertEqual(cr["metadata"]["labels"]["app.kubernetes.io/managed-by"], "bpg")
        self.assertEqual(cr["spec"]["sparkConf"]["spark.a"], "1")
        c = user_client()
        seen = []

        def state():
            s = c.json("GET", "/spark/%s/status" % sid)[2]["applicationState"]
            if not seen or seen[-1] != s:
                seen.append(s)
            return s == "COMPLETED"
        self.assertTrue(poll(state, 60, 0.2), seen)
        row = db("SELECT `user`, cluster_id, queue, status, app_name FROM application_submission "
                 "WHERE submission_id='%s'" % sid).split("\t")
        self.assertEqual([r.strip() for r in row], [ENV["BPG_USER"], cid, "poc", "COMPLETED", "lifecycle"])

    def test_dry_run_creates_nothing_and_validates(self):
        n_rows, n_crs = rows(), crs()
        st, _, cr = self.submit(query="?dryRun=true", data=body(
            sparkConf={"spark.hadoop.fs.s3a.secret.key": "S3CR3T"}, queue="open", spotInstance=True,
            volumes=[{"name": "data", "hostPath": {"path": "/data"}}],
            driver={"cores": 2, "memory": "1.5g", "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}))
        self.assertEqual(st, 200, cr)
        self.assertEqual((rows(), crs()), (n_rows, n_crs))
        spec = cr["spec"]
        self.assertEqual(spec["sparkConf"]["spark.hadoop.fs.s3a.secret.key"], "***")
        self.assertEqual(spec["driver"]["coreLimit"], "2000m")        # not Java's "2000.0m"
        self.assertEqual(spec["driver"]["memory"], "1536m")           # 1.5g not truncated to 1g
        self.assertEqual(len(spec["volumes"]), 1)                     # not twice
        expr = spec["executor"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
            "nodeSelectorTerms"][0]["matchExpressions"]
        self.assertEqual(expr[0]["values"], ["spark_spot"])
        self.assertEqual(expr[1]["key"], "topology.kubernetes.io/zone")
        self.assertIn(spec["sparkConf"]["bpg.pickedZones"], ("zone-a", "zone-b"))
        with self.subTest("strict CRD check"):
            if not os.path.exists(CRD_VALIDATE):
                self.skipTest("../shared/crd is missing: the dry-run CR was not checked against the CRD")
            path = os.path.join(ENV["BPG_RUN_DIR"], "dryrun.json")
            with open(path, "w") as f:
                json.dump(cr, f)
            p = subprocess.run(["python3", CRD_VALIDATE, "--strict", path], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_idempotency_key(self):
        key = uuid.uuid4().hex
        st, h1, a = self.submit(headers={"Idempotency-Key": key})
        st2, h2, b = self.submit(headers={"Idempotency-Key": key})
        self.assertEqual((st, st2), (200, 200))
        self.assertEqual(a["submissionId"], b["submissionId"])
        self.assertEqual(h2.get("idempotent-replayed"), "true")
        self.assertEqual(int(db("SELECT COUNT(*) FROM application_submission WHERE idempotency_key='%s'" % key)), 1)
        # another user with the same key gets their own submission
        other = Client(ENV["BPG_OTHER_USER"], ENV["BPG_PASSWORD"])
        st, _, c = self.submit(c=other, headers={"Idempotency-Key": key})
        self.assertNotEqual(c["submissionId"], a["submissionId"])

    def test_failover_when_a_cluster_refuses(self):
        sim("c01", "POST", "/_sim/faults", {"mode": "refuse"}, token=False)
        try:
            ids = []

            def failed_on_c01():
                return int(db("SELECT COUNT(*) FROM application_submission WHERE status='SUBMISSION_FAILED' AND "
                              "last_error LIKE 'create failed on cluster c01%%' AND "
                              "created_time > NOW() - INTERVAL 1 MINUTE"))
            # until the random pick has tried c01 first at least once (each time p = 1/2)
            while len(ids) < 12 or (failed_on_c01() == 0 and len(ids) < 60):
                st, _, r = self.submit()
                self.assertEqual(st, 200, r)
                ids.append(r["submissionId"])
            self.assertTrue(all(i.startswith("c02-") for i in ids), ids)
            self.assertGreater(failed_on_c01(), 0)   # c01 was picked first at least once (p = 1 - 2^-60)
            sim("c02", "POST", "/_sim/faults", {"mode": "status", "status": 503}, token=False)
            st, _, r = self.submit()
            self.assertEqual((st, r["code"]), (503, 503))
            self.assertIn("cluster c0", r["message"])
        finally:
            sim("c01", "DELETE", "/_sim/faults", token=False)
            sim("c02", "DELETE", "/_sim/faults", token=False)

    def test_no_failover_left_answers_the_first_clusters_error(self):
        sim("c01", "POST", "/_sim/faults", {"mode": "429"}, token=False)
        try:
            st, _, r = self.submit(data=body(queue="open"))     # only c01 serves queue open
        finally:
            sim("c01", "DELETE", "/_sim/faults", token=False)
        self.assertEqual((st, r["code"]), (503, 503), r)
        self.assertIn("create failed on cluster c01", r["message"])

    def test_a_create_that_lands_after_a_timeout_is_deleted_by_the_monitor(self):
        # c01 takes 12 s to create (the gateway waits 10 s), then creates it anyway
        sim("c01", "POST", "/_sim/faults", {"mode": "delay", "delay_ms": 12000, "method": "POST",
                                            "path_prefix": SIM_APPS, "count": 1}, token=False)
        try:
            t0 = time.monotonic()
            st, _, r = self.submit(c=Client(ENV["BPG_USER"], ENV["BPG_PASSWORD"], timeout=60),
                                   data=body(queue="open", applicationName="late-create"),
                                   headers={"Idempotency-Key": "late-" + uuid.uuid4().hex})
        finally:
            sim("c01", "DELETE", "/_sim/faults", token=False)
        self.assertEqual((st, r["code"]), (503, 503), r)
        self.assertIn("create failed on cluster c01", r["message"])
        sid = db("SELECT submission_id FROM application_submission WHERE app_name='late-create' "
                 "ORDER BY created_time DESC LIMIT 1").strip()
        row = db("SELECT status, abandoned_time IS NOT NULL, idempotency_key IS NULL FROM application_submission "
                 "WHERE submission_id='%s'" % sid).split()
        self.assertEqual(row, ["SUBMISSION_FAILED", "1", "1"])
        # the late create lands on the cluster...
        self.assertTrue(poll(lambda: sim("c01", "GET", SIM_APPS + "/" + sid)[0] == 200, 15, 0.2),
                        "the delayed create never landed (%.1f s)" % (time.monotonic() - t0))
        # ...and the monitor removes it instead of letting it run unseen
        p = subprocess.run([os.path.join(ROOT, "monitor", "bpg-monitor"), "--archive-max", "0", ENV["BPG_CONFIG"]],
                           capture_output=True, text=True, timeout=60)
        self.assertRegex(p.stdout, r"orphans=[1-9]", p.stdout + p.stderr)
        self.assertTrue(poll(lambda: sim("c01", "GET", SIM_APPS + "/" + sid)[0] == 404, 10, 0.2))
        self.assertIn("bpg-monitor deleted it", db("SELECT last_error FROM application_submission "
                                                   "WHERE submission_id='%s'" % sid))

    def test_database_down_503_and_nothing_created(self):
        n_crs = crs()
        stack("db-stop")
        try:
            for _ in range(5):
                st, _, r = self.submit()
                self.assertEqual((st, r["code"]), (503, 503))
                self.assertIn("database", r["message"])
        finally:
            stack("db-start")
        self.assertEqual(crs(), n_crs)
        self.assertTrue(poll(lambda: self.submit()[0] == 200, 15, 0.3))

    def test_auth_matrix(self):
        st, _, r = Client().json("POST", "/spark", body=body())
        self.assertEqual((st, r["code"]), (401, 401))
        st, _, r = Client(ENV["BPG_USER"], "wrong").json("POST", "/spark", body=body())
        self.assertEqual(st, 401)
        st, _, r = Client(ENV["BPG_BLOCKED_USER"], ENV["BPG_BLOCKED_PASSWORD"]).json("POST", "/spark", body=body())
        self.assertEqual(st, 401)
        # a spoofed User-Account header is ignored: the submission belongs to the Basic-auth user
        st, _, r = self.submit(headers={"User-Account": ENV["BPG_ADMIN_USER"]})
        self.assertEqual(st, 200)
        owner = db("SELECT `user` FROM application_submission WHERE submission_id='%s'" % r["submissionId"]).strip()
        self.assertEqual(owner, ENV["BPG_USER"])
        other = Client(ENV["BPG_OTHER_USER"], ENV["BPG_PASSWORD"])
        self.assertEqual(other.json("GET", "/spark/%s/status" % r["submissionId"])[0], 403)
        self.assertEqual(other.json("DELETE", "/spark/%s" % r["submissionId"])[0], 403)
        self.assertEqual(admin_client().json("GET", "/spark/%s/status" % r["submissionId"])[0], 200)
        # a proxy account submits for someone else with dagUser; others cannot
        proxy = Client(ENV["BPG_PROXY_USER"], ENV["BPG_PASSWORD"])
        st, _, r = self.submit(c=proxy, query="?dagUser=" + ENV["BPG_OTHER_USER"])
        self.assertEqual(st, 200, r)
        owner = db("SELECT `user` FROM application_submission WHERE submission_id='%s'" % r["submissionId"]).strip()
        self.assertEqual(owner, ENV["BPG_OTHER_USER"])
        st, _, r = self.submit(query="?dagUser=" + ENV["BPG_OTHER_USER"])   # not a proxy user
        self.assertEqual((st, r["code"]), (403, 403), r)

    def test_bad_input_creates_nothing(self):
        n_rows, n_crs = rows(), crs()
        cases = [
            (b"{not json", 400, "Invalid JSON"),
            (b"", 400, "empty"),
            (b"[1,2]", 400, "object"),
            (b"/tmp/request.json", 400, "Invalid JSON"),
            (body(annotations={"a": "b"}).encode(), 400, "annotations: unknown field"),
            (body(hadoopConf={"a": "b"}).encode(), 400, "hadoopConf: unknown field"),
            (body(type="Cobol").encode(), 400, "type"),
            (body(mainApplicationFile="ftp://x/y.jar").encode(), 400, "mainApplicationFile"),
            (body(submissionIdSuffix="Bad_Suffix").encode(), 400, "submissionIdSuffix"),
            (body(driver={"memory": "lots"}).encode(), 400, "driver.memory"),
            (body(driver={"memory": "4"}).encode(), 400, "driver.memory"),      # 4 MiB: below the queue minimum
            (body(executor={"cores": "many"}).encode(), 400, "executor.cores"),
            (body(executor={"instances": 51}).encode(), 400, "exceeds limit (50)"),
            (body(sparkConf={"spark.executor.instances": "x"}).encode(), 400, "spark.executor.instances"),
            (body(sparkConf={"bpg.maxRunningMillis": 99999999999}).encode(), 400, "maxRunningMillis"),
            (body(sparkVersion="9.9").encode(), 400, "Spark version not supported: 9.9"),
            (body(queue="nope").encode(), 400, "The queue nope does not exist"),
            (body(queue="etl", sparkVersion="3.4", driver={"labels": {"bad key!": "x"}}).encode(), 400, "labels"),
            (body(driver={"securityContext": {"privileged": True}}).encode(), 403, "privileged"),
            (body(image="evil/image:latest").encode(), 403, "custom images"),
            (body(volumes=[{"name": "h", "hostPath": {"path": "/"}}]).encode(), 403, "hostPath"),
            (body(clusterId="c01").encode(), 403, "clusterId"),
            (body(queue="secure").encode(), 403, "Please specify queueToken"),
            (body(queue="secure", queueToken="a.b.c").encode(), 403, "Queue token is not valid"),
            (body(queue="secure", queueToken=token({"iss": "admin", "allowedQueues": ["other"]})).encode(), 403,
             "does not allow queue secure"),
            (body(queue="secure", queueToken=token({"iss": "mallory", "allowedQueues": ["secure"]})).encode(), 403,
             "unsupported issuer"),
            (body(queue="secure", queueToken=token({"iss": "admin", "allowedQueues": ["secure"],
                                                    "exp": 1000})).encode(), 403, "expired"),
        ]
        for data, code, word in cases:
            st, _, r = self.submit(data=data)
            self.assertEqual((st, r["code"]), (code, code), (data[:80], r))
            self.assertIn(word, r["message"], data[:80])
        st, _, r = self.submit(data=b"sparkVersion: [", headers={"Content-Type": "text/yaml"})
        self.assertEqual(st, 400)
        self.assertRegex(r["message"], r"^Invalid YAML request: line \d+, column \d+: ")
        st, _, r = self.submit(data=b"{" + b" " * (10 << 20) + b"}")
        self.assertEqual((st, r["code"]), (413, 413))
        st, _, r = user_client().json("PUT", "/spark", body=body())
        self.assertEqual((st, r["code"]), (405, 405))
        self.assertEqual((rows(), crs()), (n_rows, n_crs))

    def test_secure_queue_with_a_valid_token(self):
        st, _, r = self.submit(data=body(queue="secure", queueToken=token({"iss": "admin", "allowedQueues": ["secure"],
                                                                          "exp": int(time.time()) + 600})))
        self.assertEqual(st, 200, r)
        stored = db("SELECT request_body FROM application_submission WHERE submission_id='%s'" % r["submissionId"])
        self.assertIn('"queueToken":"***"', stored)

    def test_java_gateway_clients_work_on_skatev2(self):
        # the documented call of the Java gateway (docs/GETTING_STARTED.md), unchanged
        st, _, r = user_client().json("POST", "/spark", base="/skatev2", body=json.dumps(
            {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
             "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 1, "cores": 1, "memory": "2g"}}),
            headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, r)
        st, _, s = user_client().json("GET", "/spark/%s/status" % r["submissionId"], base="/skatev2")
        self.assertEqual(st, 200)
        self.assertIn("applicationState", s)
        self.assertIn("duration", s)


if __name__ == "__main__":
    unittest.main()
