"""Response parity with the Java gateway on both paths: summaries, history links, OpenAPI YAML, admin probes."""
import json
import unittest

import yaml

from bpg import ENV, Client, poll, user_client

MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
           "arguments": ["--date", "2024-01-01"], "driver": {"labels": {"dag_name": "nightly_etl"}}}


class ParityTest(unittest.TestCase):
    def test_summary_dag_name_arguments_and_history_url(self):
        c = user_client()
        st, _, r = c.json("POST", "/spark", body=json.dumps(MINIMAL), headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, r)
        sid = r["submissionId"]
        status = {}

        def done():
            status.update(c.json("GET", "/spark/%s/status" % sid)[2])
            return status.get("applicationState") == "COMPLETED"
        self.assertTrue(poll(done, 60, 0.2), status)
        want_url = "https://history.example/history/" + status["sparkApplicationId"]
        self.assertEqual(status["sparkUIUrl"], want_url)
        for base in (None, "/skatev2"):
            st, _, lst = c.json("GET", "/spark/mySubmissions?limit=1000", base=base)
            self.assertEqual(st, 200)
            (mine,) = [s for s in lst["submissions"] if s["submissionId"] == sid]
            self.assertEqual(mine["dagName"], "nightly_etl")
            self.assertEqual(mine["applicationArguments"], ["--date", "2024-01-01"])
            self.assertEqual(mine["sparkUIUrl"], want_url)
            self.assertEqual(c.json("GET", "/spark/%s/status" % sid, base=base)[2]["sparkUIUrl"], want_url)

    def test_openapi_yaml_is_the_json_document(self):
        anon = Client()
        for base in (None, "/skatev2"):
            st, h, y = anon.request("GET", "/openapi.yaml", base=base)
            self.assertEqual((st, h["content-type"]), (200, "application/yaml"))
            st, _, j = anon.request("GET", "/openapi.json", base=base)
            self.assertEqual(yaml.safe_load(y), json.loads(j))

    def test_dropwizard_admin_probes(self):
        anon = Client()
        for base in ("", "/skatev2", None):
            st, h, body = anon.request("GET", "/healthcheck", base=base)
            self.assertEqual(st, 200, (base, body))
            checks = json.loads(body)
            self.assertEqual(sorted(checks), ["deadlocks", "sparkClusters"])
            self.assertTrue(all(v["healthy"] for v in checks.values()))
            st, h, body = anon.request("GET", "/ping", base=base)
            self.assertEqual((st, h["content-type"], body), (200, "text/plain", b"pong\n"), base)
        # the probes are not a way around auth: the rest of the API still needs credentials
        self.assertEqual(anon.request("GET", "/healthcheck/status", base="/skatev2")[0], 401)
        self.assertEqual(anon.request("GET", "/healthcheck/x")[0], 401)


if __name__ == "__main__":
    unittest.main()
