"""A BPG user's scripts, unchanged, against /skatev2: the getting-started flow, YAML, Airflow, CI uploads."""
import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from bpg import ENV  # noqa: E402  (the stack's settings)
from bpgclient import BpgClient, BpgError  # noqa: E402

APP_PY = b"from pyspark.sql import SparkSession\nSparkSession.builder.getOrCreate().range(10).count()\n"
README_YAML = """\
type: Python
sparkVersion: '3.5'
mainApplicationFile: {url}
deps:
  pyFiles: [{url}]
queue: poc
driver: {{cores: 1, memory: 1g, env: [{{name: tgt, value: xxx}}]}}
executor: {{instances: 2, cores: 1, memory: 1g}}
"""


def client(user=None, password=None):
    return BpgClient(ENV["BPG_URL_SKATE"], user or ENV["BPG_USER"], password or ENV["BPG_PASSWORD"],
                     cafile=ENV["BPG_CACERT"])


class GettingStartedTest(unittest.TestCase):
    def setUp(self):
        self.c = client()
        self.folder = "%s/compat-%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:8])   # the user's own

    def test_upload_submit_poll_log_list_delete(self):
        url = self.c.upload("MinimalSparkApp.py", APP_PY, folder=self.folder)
        self.assertTrue(url.startswith("s3a://") and url.endswith("/%s/MinimalSparkApp.py" % self.folder), url)
        sid = self.c.submit({"sparkVersion": "3.5", "mainApplicationFile": url, "applicationName": "compat",
                             "driver": {"cores": 1, "memory": "2g"},
                             "executor": {"instances": 1, "cores": 1, "memory": "2g"}})
        self.assertEqual(self.c.spec(sid)["mainApplicationFile"], url)
        st = self.c.wait(sid)
        self.assertEqual(st["applicationState"], "COMPLETED", st)
        self.assertGreater(st["duration"], 0)
        self.assertTrue(st["sparkApplicationId"].startswith("spark-"))
        log = self.c.log(sid)
        self.assertTrue(log and not log.startswith(b"Cannot find matched log files"), log[:200])
        self.assertEqual(self.c.log(app_id=st["sparkApplicationId"]), log)
        self.assertIn("podName", self.c.driver(sid))
        self.assertIn("mainApplicationFile", self.c.describe(sid))
        mine = {s["submissionId"]: s for s in self.c.my_submissions()}
        self.assertEqual(mine[sid]["applicationName"], "compat")
        self.assertEqual(mine[sid]["applicationState"], "COMPLETED")
        self.assertEqual(self.c.delete(sid), {"submissionId": sid})

    def test_yaml_request_from_the_readme(self):
        url = self.c.upload("job.py", APP_PY, folder=self.folder)
        sid = self.c.submit_yaml(README_YAML.format(url=url))
        spec = self.c.spec(sid)
        self.assertEqual((spec["type"], spec["executor"]["instances"]), ("Python", 2))
        self.assertEqual(self.c.wait(sid)["applicationState"], "COMPLETED")

    def test_ci_job_uploads_the_same_artifact_every_run(self):
        first = self.c.upload("etl.jar", b"build 1", folder=self.folder)
        second = self.c.upload("etl.jar", b"build 2", folder=self.folder)
        self.assertEqual(first, second)

    def test_requests_written_for_the_java_gateway(self):
        # strings for booleans and numbers, the hidden mode field: all as BPG took them
        sid = self.c.submit({"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/x.py",
                             "spotInstance": "true", "mode": "cluster", "driver": {"cores": "1"},
                             "executor": {"instances": "2", "memroy": "1g"}, "arguments": [1, True]})
        # the typo is not an error (BPG ignored it) but it is named
        self.assertEqual(self.c.last_headers.get_all("Warning"),
                         ['299 bpg "unknown field ignored: executor.memroy"'])
        spec = self.c.spec(sid)
        self.assertEqual((spec["executor"]["instances"], spec["arguments"]), (2, ["1", "true"]))
        self.c.delete(sid)

    def test_errors_keep_bpg_status_and_shape(self):
        cases = [({"mainApplicationFile": "s3a://b/x.py"}, 400),                       # no sparkVersion
                 ({"sparkVersion": "3.5", "mainApplicationFile": "s3a://b/x.py", "annotations": {}}, 400),
                 ({"sparkVersion": "3.5", "mainApplicationFile": "s3a://b/x.py", "queue": "secure",
                   "queueToken": "not.a.token"}, 400),
                 ({"sparkVersion": "3.5", "mainApplicationFile": "s3a://b/x.py", "queue": "secure"}, 400)]
        for req, code in cases:
            with self.assertRaises(BpgError) as e:
                self.c.submit(req)
            self.assertEqual(e.exception.status, code, req)
            self.assertEqual(sorted(e.exception.json), ["code", "message"])
            self.assertEqual(e.exception.json["code"], code)
        with self.assertRaises(BpgError) as e:
            self.c.log("short")
        self.assertEqual(e.exception.status, 400)
        self.assertIn("Should be at least 32 characters", e.exception.json["message"])
        self.assertEqual(self.c.health()["status"], "OK")


class AirflowTest(unittest.TestCase):
    def test_airflow_submits_for_a_dag_user_then_polls_and_reads_the_log(self):
        airflow = client(ENV["BPG_PROXY_USER"])
        owner = client(ENV["BPG_OTHER_USER"])
        sid = airflow.submit({"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/dag.py",
                              "driver": {"labels": {"dag_name": "daily_etl", "task_name": "spark_step"}}},
                             dag_user=ENV["BPG_OTHER_USER"])
        st = airflow.wait(sid)
        self.assertEqual(st["applicationState"], "COMPLETED")
        self.assertTrue(airflow.log(sid))
        self.assertEqual(owner.status(sid)["applicationState"], "COMPLETED")
        for c in (airflow, owner):
            (row,) = [s for s in c.my_submissions() if s["submissionId"] == sid]
            self.assertEqual((row["user"], row["dagName"]), (ENV["BPG_OTHER_USER"], "daily_etl"))
        # someone else still cannot see it
        with self.assertRaises(BpgError) as e:
            client().status(sid)
        self.assertEqual(e.exception.status, 403)
        self.assertEqual(airflow.delete(sid), {"submissionId": sid})


class AdminTest(unittest.TestCase):
    def test_admin_lists_ndjson_and_version(self):
        c = client()
        sid = c.submit({"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/x.py",
                        "applicationName": "compat-admin-" + uuid.uuid4().hex[:6]})
        name = c.spec(sid)["sparkConf"]["spark.app.name"]
        admin = client(ENV["BPG_ADMIN_USER"], ENV["BPG_ADMIN_PASSWORD"])
        rows = admin.admin_submissions(name=name)
        self.assertEqual([r["submissionId"] for r in rows], [sid])
        self.assertEqual(sorted(admin.version()), ["buildTime", "gitCommit", "version"])
        with self.assertRaises(BpgError) as e:
            c.admin_submissions()
        self.assertEqual(e.exception.status, 403)


if __name__ == "__main__":
    unittest.main()
