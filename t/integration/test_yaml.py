"""YAML request bodies and unknown nested fields, through nginx on /apiv2 and /skatev2."""
import http.client
import json
import os
import time
import unittest

from bpg import ENV, Client, poll, user_client

SKATE = "/skatev2"
WORKER_LOG = os.path.join(ENV["BPG_RUN_DIR"], "fcgi", "worker.log")

# BPG's README request, in YAML and in JSON
YAML = """\
type: Python
sparkVersion: '3.5'
mainApplicationFile: s3a://bpg/uploaded/foo/MinimalSparkApp.py
applicationName: yaml-readme
arguments: [3.10, 007, yes, --date, 2024-01-01]
sparkConf: {spark.sql.shuffle.partitions: 200}
deps:
  pyFiles: [s3a://bpg/uploaded/foo/dep.py]
driver: {cores: 1, memory: 2g, env: [{name: tgt, value: xxx}]}
executor: {instances: 2, cores: 1, memory: 2g}
"""
JSON = {"type": "Python", "sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
        "applicationName": "yaml-readme", "arguments": ["3.10", "007", "yes", "--date", "2024-01-01"],
        "sparkConf": {"spark.sql.shuffle.partitions": "200"}, "deps": {"pyFiles": ["s3a://bpg/uploaded/foo/dep.py"]},
        "driver": {"cores": 1, "memory": "2g", "env": [{"name": "tgt", "value": "xxx"}]},
        "executor": {"instances": 2, "cores": 1, "memory": "2g"}}
MINIMAL_YAML = "sparkVersion: '3.5'\nmainApplicationFile: s3a://bpg/uploaded/foo/MinimalSparkApp.py\n"


def spec_of(cr):
    """What the request put into the CR (not what the picked cluster adds)."""
    s = cr["spec"]
    return (cr["metadata"]["labels"].get("applicationName"), s["type"], s["sparkVersion"], s["mainApplicationFile"],
            s["arguments"], s["deps"], s["sparkConf"]["spark.sql.shuffle.partitions"], s["driver"], s["executor"])


def warnings_of(data, ct, base):
    """Every Warning header line of a dry-run submit (the client's dict keeps only one)."""
    c = user_client()
    conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=10)
    conn.request("POST", base + "/spark?dryRun=true", body=data, headers={"Content-Type": ct,
                                                                          "Authorization": c.auth})
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status, r.msg.get_all("Warning") or []


class YamlTest(unittest.TestCase):
    def post(self, data, ct="text/yaml", base=None, query="?dryRun=true", c=None):
        c = c or user_client()
        st, h, d = c.request("POST", "/spark" + query, body=data.encode() if isinstance(data, str) else data,
                             headers={"Content-Type": ct}, base=base)
        return st, h, (json.loads(d) if d else None)

    def test_yaml_equals_json_on_both_paths(self):
        st, _, want = self.post(json.dumps(JSON), ct="application/json")
        self.assertEqual(st, 200, want)
        for base in (None, SKATE):
            for ct in ("text/yaml", "application/yaml", "application/x-yaml", "application/x-yaml; charset=utf-8"):
                st, h, got = self.post(YAML, ct=ct, base=base)
                self.assertEqual(st, 200, (base, ct, got))
                self.assertNotIn("warning", h)
                self.assertEqual(spec_of(got), spec_of(want), (base, ct))
        self.assertEqual(want["spec"]["arguments"][:3], ["3.10", "007", "yes"])

    def test_yaml_submit_is_a_real_submission(self):
        c = user_client()
        for base in (None, SKATE):
            st, _, r = self.post(MINIMAL_YAML, base=base, query="", c=c)
            self.assertEqual(st, 200, r)
            self.assertEqual(list(r), ["submissionId"])
            st, _, s = c.json("GET", "/spark/%s/status" % r["submissionId"], base=base)
            self.assertEqual(st, 200, s)

    def test_bad_yaml_is_400_naming_line_and_column(self):
        cases = [
            ("sparkVersion: [3.5\nmainApplicationFile: x\n", "Invalid YAML request: line 2, column"),
            ("a: 1\n\tb: 2\n", "Invalid YAML request: line 2, column"),
            ("- a\n- b\n", "Invalid YAML request: the body must be a YAML mapping"),
            ("", "Invalid YAML request: the body must be a YAML mapping"),
            (MINIMAL_YAML + "x: &a 1\ny: *a\n", "Invalid YAML request: line 3, column 4: anchors and aliases"),
            (MINIMAL_YAML + "spotInstance: !!bool true\n", "line 3, column 15: the tag"),
            (MINIMAL_YAML + "---\nb: 1\n", "line 3, column 1: only one document"),
            (MINIMAL_YAML + "spotInstance: yes\n", "spotInstance: must be true or false"),
            (MINIMAL_YAML + "bogus: 1\n", "bogus: unknown field"),
            (b"sparkVersion: '3.5'\x00\n", "Invalid YAML request: line 1, column"),
            (b"sparkVersion: '\xff'\n", "Invalid YAML request: line 1, column"),
        ]
        for base in (None, SKATE):
            for data, want in cases:
                st, h, r = self.post(data, base=base)
                self.assertEqual((st, r["code"], h["content-type"]), (400, 400, "application/json"), (data, r))
                self.assertIn(want, r["message"], data)

    def test_billion_laughs_and_deep_nesting_are_refused_at_once(self):
        lol = ["sparkVersion: '3.5'", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for i, name in enumerate("bcdefghij"):
            prev = "abcdefghij"[i]
            lol.append("%s: &%s [%s]" % (name, name, ",".join(["*" + prev] * 9)))
        for data in ("\n".join(lol) + "\n", "a: " + "[" * 5000 + "]" * 5000 + "\n",
                     "a:\n" + "".join("%s- \n" % ("  " * i) for i in range(100))):
            t0 = time.monotonic()
            st, _, r = self.post(data)
            self.assertEqual(st, 400, r)
            self.assertLess(time.monotonic() - t0, 3)
            self.assertRegex(r["message"], r"^Invalid YAML request: line \d+, column \d+: "
                                           r"(anchors and aliases are not supported|nested deeper than 32)")
        # the body limit holds for YAML as for JSON
        st, _, r = self.post(MINIMAL_YAML + "arguments:\n" + "- x\n" * (600 * 1024))
        self.assertEqual((st, r["code"]), (413, 413))
        # and the worker is still there
        self.assertEqual(self.post(MINIMAL_YAML)[0], 200)

    def test_unknown_nested_field_apiv2_refuses_skatev2_warns(self):
        cases = [
            ({"driver": {"cores": 1, "memroy": "4g"}}, ["driver.memroy"]),
            ({"executor": {"instances": 1, "instancse": 9}, "deps": {"jar": ["s3a://b/x.jar"]}},
             ["deps.jar", "executor.instancse"]),
            ({"volumes": [{"name": "v", "emptyDir": {"sizelimit": "1Gi"}}],
              "executor": {"volumeMounts": [{"name": "v", "mountPath": "/v"}]}}, ["volumes[0].emptyDir.sizelimit"]),
            ({"driver": {"env": [{"name": "A", "vaule": "x"}]}}, ["driver.env[0].vaule"]),
        ]
        for extra, paths in cases:
            data = json.loads(json.dumps(JSON))
            data.update(extra)
            for ct, text in (("application/json", json.dumps(data)), ("text/yaml", json.dumps(data))):
                st, h, r = self.post(text, ct=ct)
                self.assertEqual((st, r["code"]), (400, 400), (extra, r))
                self.assertIn(r["message"], ["%s: unknown field" % p for p in paths])
                st, warns = warnings_of(text, ct, SKATE)
                self.assertEqual(st, 200)
                self.assertEqual(warns, ['299 bpg "unknown field ignored: %s"' % p for p in paths])
        # the typo never changes resources: the driver gets the default, and the log names it
        st, h, cr = self.post(json.dumps(dict(JSON, driver={"cores": 1, "memroy": "4g"})), ct="application/json",
                              base=SKATE)
        self.assertEqual(cr["spec"]["driver"]["memory"], "1024m")
        rid = h["x-request-id"]

        def logged():
            with open(WORKER_LOG, errors="replace") as f:
                return any(rid in l and "unknown field ignored" in l and "field=driver.memroy" in l for l in f)
        self.assertTrue(poll(logged, 5), "no log line for request %s" % rid)


if __name__ == "__main__":
    unittest.main()
