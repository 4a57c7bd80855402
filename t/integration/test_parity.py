"""Response parity with the Java gateway on both paths: summaries, history links, OpenAPI YAML, admin probes."""
import json
import unittest

import yaml

from bpg import ENV, Client, db, poll, user_client

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

    def test_list_reads_each_stored_form_of_the_summary_the_same(self):
        """A list copies summary_fields (0013: members rendered at submit) into its page as they
        are; a row with 0012's JSON object or with none (its request_body) reads the same."""
        args = ["--x", "a,b", "}{", "\"q\"", "\u00e9\n", "", "\\"]
        b = dict(MINIMAL, arguments=args, driver={"labels": {"dag_name": "Nightly ETL/v2"}})
        c = user_client()
        st, _, r = c.json("POST", "/spark", body=json.dumps(b), headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, r)
        sid = r["submissionId"]
        stored = db("SELECT summary_fields FROM application_submission WHERE submission_id='%s'" % sid)
        self.assertTrue(stored.startswith('"dagName":'), stored)
        old = json.dumps({"arguments": args, "driver": {"labels": {"dag_name": "Nightly ETL/v2"}}})

        def row(base):
            st, _, raw = c.request("GET", "/spark/mySubmissions?limit=1000", base=base)
            self.assertEqual(st, 200)
            (mine,) = [s for s in json.loads(raw)["submissions"] if s["submissionId"] == sid]
            return list(mine), mine["dagName"], mine["applicationArguments"]
        want = {base: row(base) for base in (None, "/skatev2")}
        self.assertEqual(want[None][2], args)
        for form in ("UNHEX('%s')" % old.encode().hex(), "NULL"):
            db("UPDATE application_submission SET summary_fields=%s WHERE submission_id='%s'" % (form, sid))
            for base in (None, "/skatev2"):
                self.assertEqual(row(base), want[base], (form, base))

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
