"""Walks docs/api.md's "/skatev2 and /apiv2" table: one check per row, and no row without its check."""
import base64
import http.client
import json
import os
import re
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from bpg import ENV, ROOT, Client, poll  # noqa: E402
from bpgclient import BpgClient, BpgError  # noqa: E402

REQ = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/x.py"}


def table_ids():
    """The ids of the docs/api.md table's rows, in order."""
    with open(os.path.join(ROOT, "docs", "api.md")) as f:
        text = f.read()
    section = text.split("### `/skatev2` and `/apiv2`", 1)[1].split("\n### ", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.M)


def req(path, body=None, ct="application/json", user=None, headers=None, method=None, source=None):
    """One request (path includes the base); (status, headers, body bytes, all Warning lines)."""
    c = Client()
    u, p = user or (ENV["BPG_USER"], ENV["BPG_PASSWORD"])
    h = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (u, p)).encode()).decode()}
    if user == ():
        h = {}
    if body is not None:
        h["Content-Type"] = ct
    h.update(headers or {})
    conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=60,
                                       source_address=(source, 0) if source else None)
    conn.request(method or ("POST" if body is not None else "GET"), path,
                 body=json.dumps(body).encode() if isinstance(body, dict) else body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data, r.msg.get_all("Warning") or []


def submit(base, body, query="?dryRun=true", ct="application/json"):
    st, h, data, warn = req(base + "/spark" + query, body, ct=ct)
    return st, json.loads(data), warn


def with_(**over):
    b = dict(REQ)
    b.update(over)
    return b


class DocumentedBehaviourTest(unittest.TestCase):
    S, A = "/skatev2", "/apiv2"

    def test_every_row_has_a_check_and_every_check_a_row(self):
        ids = table_ids()
        self.assertGreater(len(ids), 10)
        checks = sorted(n[len("check_"):].replace("_", "-") for n in dir(self) if n.startswith("check_"))
        self.assertEqual(sorted(ids), checks)

    def test_walk_the_table(self):
        for rid in table_ids():
            with self.subTest(row=rid):
                getattr(self, "check_" + rid.replace("-", "_"))()

    # --- one check per row ---
    def check_yaml(self):
        for base in (self.S, self.A):
            st, cr, _ = submit(base, b"sparkVersion: '3.5'\nmainApplicationFile: s3a://b/x.py\narguments: [yes]\n",
                               ct="text/yaml")
            self.assertEqual((st, cr["spec"]["arguments"]), (200, ["yes"]))
            st, e, _ = submit(base, b"a: &x 1\nb: *x\n", ct="application/yaml")
            self.assertEqual(st, 400)
            self.assertIn("line 1, column 4: anchors and aliases", e["message"])

    def check_nested_unknown(self):
        st, cr, warn = submit(self.S, with_(driver={"memroy": "4g"}))
        self.assertEqual((st, warn), (200, ['299 bpg "unknown field ignored: driver.memroy"']))
        st, e, _ = submit(self.A, with_(driver={"memroy": "4g"}))
        self.assertEqual((st, e["message"]), (400, "driver.memroy: unknown field"))

    def check_top_unknown(self):
        for base in (self.S, self.A):
            st, e, _ = submit(base, with_(memroy="4g"))
            self.assertEqual((st, e["message"]), (400, "memroy: unknown field"))

    def check_bool_string(self):
        self.assertEqual(submit(self.S, with_(spotInstance="TRUE"))[0], 200)
        self.assertEqual(submit(self.A, with_(spotInstance="TRUE"))[0], 400)

    def check_mode(self):
        self.assertEqual(submit(self.S, with_(mode="client"))[0], 200)
        self.assertEqual(submit(self.A, with_(mode="client"))[0], 400)

    def check_number_string(self):
        for base in (self.S, self.A):
            st, cr, _ = submit(base, with_(driver={"cores": "2"}, arguments=[1]))
            self.assertEqual((st, cr["spec"]["driver"]["cores"], cr["spec"]["arguments"]), (200, 2, ["1"]))

    def check_cluster_guards(self):
        for base in (self.S, self.A):
            for over in ({"driver": {"securityContext": {"privileged": True}}},
                         {"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}, {"image": "evil/miner"}):
                self.assertEqual(submit(base, with_(**over))[0], 403, (base, over))

    def check_queue_token(self):
        for base, code in ((self.S, 400), (self.A, 403)):
            st, e, _ = submit(base, with_(queue="secure", queueToken="x.y.z"), query="")
            self.assertEqual(st, code)
            self.assertTrue(e["message"].startswith("Queue token is not valid"))

    def check_my_submissions(self):
        st, h, data, _ = req(self.S + "/spark/mySubmissions")
        self.assertEqual(st, 200)
        self.assertNotIn("content-length", h)           # streamed
        self.assertNotIn("next", json.loads(data))
        st, h, data, _ = req(self.S + "/spark/mySubmissions?limit=1")
        self.assertLessEqual(len(json.loads(data)["submissions"]), 1)
        st, h, data, _ = req(self.A + "/spark/mySubmissions")
        self.assertIn("content-length", h)

    def check_admin_list(self):
        admin = (ENV["BPG_ADMIN_USER"], ENV["BPG_ADMIN_PASSWORD"])
        st, h, data, _ = req(self.S + "/admin/submissions", user=admin)
        self.assertEqual(st, 200)
        self.assertTrue(all(json.loads(l)["submissionId"] for l in data.decode().splitlines()))
        st, h, data, _ = req(self.A + "/admin/submissions", user=admin)
        self.assertIn("submissions", json.loads(data))
        for base in (self.S, self.A):
            self.assertEqual(req(base + "/admin/submissions")[0], 403)

    def check_body_type(self):
        for base in (self.S, self.A):
            self.assertEqual(submit(base, REQ)[0], 200, base)                      # as BPG clients send
            self.assertEqual(submit(base, REQ, ct="text/yaml")[0], 200, base)      # JSON is YAML
            st, h, data, _ = req(base + "/spark?dryRun=true", json.dumps(REQ).encode(), ct="text/plain")
            self.assertEqual((st, json.loads(data)["code"]), (415, 415), (base, data))
            st, h, data, _ = req(base + "/spark?dryRun=true", REQ,
                                 headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
            self.assertEqual(st, 403, (base, data))
            self.assertIn("cross-site request refused", json.loads(data)["message"])

    def check_upload_overwrite(self):
        folder = "%s/doc%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:8])   # the user's own folder
        for base, second in ((self.S, 200), (self.A, 409)):
            path = "%s/s3/a.txt?folder=%s%s" % (base, folder, base.strip("/"))
            self.assertEqual(req(path, b"1", ct="application/octet-stream")[0], 200)
            self.assertEqual(req(path, b"2", ct="application/octet-stream")[0], second, base)
        path = "%s/s3/a.txt?folder=%sskatev2&overwrite=false" % (self.S, folder)
        self.assertEqual(req(path, b"3", ct="application/octet-stream")[0], 409)

    def check_log_follow(self):
        c = BpgClient(ENV["BPG_URL_SKATE"], ENV["BPG_USER"], ENV["BPG_PASSWORD"], cafile=ENV["BPG_CACERT"])
        sid = c.submit(REQ)
        self.assertTrue(poll(lambda: c.status(sid)["applicationState"] == "RUNNING" and c.driver(sid), 30, 0.2))
        c.log(sid)                                       # follows: returns when the pod is done
        self.assertIn(c.status(sid)["applicationState"], ("SUCCEEDING", "COMPLETED"))

    def check_auth(self):
        for base in (self.S, self.A):
            self.assertEqual(req(base + "/spark/mySubmissions", user=(ENV["BPG_USER"], "wrong"))[0], 401)
            # a User-Account header from an untrusted address is not an identity
            self.assertEqual(req(base + "/spark/mySubmissions", user=(),
                                 headers={"User-Account": ENV["BPG_USER"]})[0], 401)
            self.assertEqual(req(base + "/spark/mySubmissions", user=(), source=ENV["BPG_TRUSTED_PROXY_ADDR"],
                                 headers={"User-Account": ENV["BPG_USER"]})[0], 200)

    def check_proxy_user(self):
        proxy = (ENV["BPG_PROXY_USER"], ENV["BPG_PASSWORD"])
        for base in (self.S, self.A):
            st, h, data, _ = req(base + "/spark?dagUser=" + ENV["BPG_OTHER_USER"], REQ, user=proxy)
            sid = json.loads(data)["submissionId"]
            self.assertEqual(req("%s/spark/%s/status" % (base, sid), user=proxy)[0], 200)
            self.assertEqual(req("%s/spark/%s/status" % (base, sid), user=(ENV["BPG_OTHER_USER"],
                                                                              ENV["BPG_PASSWORD"]))[0], 200)
            self.assertEqual(req("%s/spark/%s/status" % (base, sid))[0], 403)

    def check_dag_user_refused(self):
        st, e, warn = submit(self.A, REQ, query="?dryRun=true&dagUser=" + ENV["BPG_OTHER_USER"])
        self.assertEqual((st, e["code"]), (403, 403), e)
        st, cr, warn = submit(self.S, REQ, query="?dryRun=true&dagUser=" + ENV["BPG_OTHER_USER"])
        self.assertEqual(st, 200, cr)
        self.assertTrue(any("dagUser ignored" in w for w in warn), warn)

    def check_no_500(self):
        for base in (self.S, self.A):
            for over, word in (({"queue": "nope"}, "queue"), ({"driver": {"coreLimit": "abc"}}, "coreLimit"),
                               ({"driver": {"memory": "lots"}}, "memory")):
                st, e, _ = submit(base, with_(**over))
                self.assertEqual(st, 400, (base, over, e))
                self.assertIn(word, e["message"])
            st, cr, _ = submit(base, with_(driver={"memory": "2048"}))
            self.assertEqual((st, cr["spec"]["driver"]["memory"]), (200, "2048m"))

    def check_history_url(self):
        c = BpgClient(ENV["BPG_URL_SKATE"], ENV["BPG_USER"], ENV["BPG_PASSWORD"], cafile=ENV["BPG_CACERT"])
        sid = c.submit(REQ)
        st = c.wait(sid)
        url = "https://history.example/history/" + st["sparkApplicationId"]
        self.assertEqual(st["sparkUIUrl"], url)
        for base in (self.S, self.A):
            data = json.loads(req(base + "/spark/mySubmissions?limit=1000")[2])
            self.assertIn(url, [s.get("sparkUIUrl") for s in data["submissions"]])

    def check_probes(self):
        for path in ("/healthcheck", "/ping", self.S + "/healthcheck", self.A + "/ping"):
            self.assertEqual(req(path, user=())[0], 200, path)


if __name__ == "__main__":
    unittest.main()
