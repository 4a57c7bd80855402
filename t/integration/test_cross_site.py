"""Cross-site requests and bodies by their declared type, through nginx (issue 32, item 1).

A state-changing request that a browser marks as sent by another site (Sec-Fetch-Site
cross-site or same-site, or an Origin that is not the gateway's) is 403 in the API's own shape
on every API, and nothing is created, deleted or written; a body is read only under a media
type its route takes (415 otherwise). Clients that are not browsers send neither header and
are unchanged. t/ui/csrf.test.mjs makes the same attacks from a real page in Chromium.
"""
import json
import unittest
import uuid

from bpg import ENV, Client, db, s3_client, user_client

APP = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/app.py",
       "driver": {"cores": 1, "memory": "1g"}, "executor": {"instances": 1, "cores": 1, "memory": "1g"}}
BODY = json.dumps(APP)
YAML = "sparkVersion: '3.5'\nmainApplicationFile: s3a://bpg/uploaded/app.py\n"
LIVY = json.dumps({"file": "s3a://bpg/uploaded/app.py"})
JSON_T = {"Content-Type": "application/json"}

# What a browser on another site sends, in each way it can say so.
CROSS = [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    {"Origin": "https://evil.example"},                      # a browser without Fetch Metadata
    {"Sec-Fetch-Site": "cross-site"},                        # Origin stripped by a proxy
    {"Sec-Fetch-Site": "same-site"},                         # a sibling host of the same site
    {"Origin": "null"},                                      # sandboxed frame, file:, data:
    {"Origin": "https://localhost.evil.example"},
    {"Origin": "https://localhost:1"},                       # the same host, another port
]


def count():
    return int(db("SELECT COUNT(*) FROM application_submission"))


class CrossSiteTest(unittest.TestCase):
    def setUp(self):
        self.c = user_client()
        host = ENV["BPG_URL"].split("/")[2]            # localhost:PORT, as the client sends Host
        self.own = {"Origin": "https://" + host, "Sec-Fetch-Site": "same-origin"}

    def tearDown(self):
        self.c.close()

    def refused(self, method, path, body, headers, base=None, livy=False):
        st, _, data = self.c.request(method, path, body=body, headers=headers, base=base)
        self.assertEqual(st, 403, (method, path, headers, data))
        e = json.loads(data)
        if livy:
            self.assertEqual(set(e), {"msg"}, e)
            self.assertIn("cross-site request refused", e["msg"])
        else:
            self.assertEqual(set(e), {"code", "message"}, e)
            self.assertEqual(str(e["code"]), "403")
            self.assertIn("cross-site request refused", e["message"])

    def test_submits_from_another_site_are_refused_on_every_api(self):
        n = count()
        for h in CROSS:
            for base in ("/apiv2", "/skatev2"):
                self.refused("POST", "/spark", BODY, dict(JSON_T, **h), base=base)
                self.refused("POST", "/spark", BODY, dict(h, **{"Content-Type": "text/plain"}), base=base)
                self.refused("POST", "/spark?dryRun=true", YAML, dict(h, **{"Content-Type": "text/yaml"}), base=base)
            self.refused("POST", "/batches", LIVY, dict(JSON_T, **h), base="/livy", livy=True)
        self.assertEqual(count(), n, "a refused request created a submission")

    def test_deletes_and_uploads_from_another_site_are_refused(self):
        st, _, r = self.c.json("POST", "/spark", body=BODY, headers=JSON_T)
        self.assertEqual(st, 200, r)
        sid = r["submissionId"]
        st, _, b = self.c.json("POST", "/batches", body=LIVY, headers=JSON_T, base="/livy")
        self.assertEqual(st, 201, b)
        name = "cs-%s.py" % uuid.uuid4().hex[:8]
        up = "/s3/%s?folder=%s/cs&overwrite=true" % (name, ENV["BPG_USER"])
        octet = {"Content-Type": "application/octet-stream"}
        st, _, _ = self.c.request("POST", up, body=b"original", headers=octet)
        self.assertEqual(st, 200)
        for h in CROSS:
            self.refused("DELETE", "/spark/" + sid, None, h)
            self.refused("DELETE", "/spark/" + sid, None, h, base="/skatev2")
            self.refused("DELETE", "/batches/%d" % b["id"], None, h, base="/livy", livy=True)
            self.refused("POST", up, b"overwritten", dict(octet, **h))
            self.refused("POST", up, b"overwritten", dict(octet, **h), base="/skatev2")
        st, _, r = self.c.json("GET", "/spark/%s/status" % sid)
        self.assertEqual(st, 200)
        self.assertNotIn("deleted by", r.get("applicationErrorMessage", ""), r)
        st, _, r = self.c.json("GET", "/batches/%d" % b["id"], base="/livy")
        self.assertNotIn(r["state"], ("dead", "killed"), r)
        s3 = s3_client()
        key = "uploaded/%s/cs/%s" % (ENV["BPG_USER"], name)
        self.assertEqual(s3.get_object(Bucket=ENV["S3_BUCKET"], Key=key)["Body"].read(), b"original")

    def test_reads_from_another_site_and_own_origin_writes_pass(self):
        for h in CROSS:       # a read changes nothing, and the browser keeps its answer from the page
            st, _, _ = self.c.request("GET", "/spark/mySubmissions", headers=h)
            self.assertEqual(st, 200, h)
        for h in (self.own, {"Origin": self.own["Origin"]}, {"Sec-Fetch-Site": "none"}, {}):
            st, _, data = self.c.request("POST", "/spark?dryRun=true", body=BODY, headers=dict(JSON_T, **h))
            self.assertEqual(st, 200, (h, data))
            st, _, data = self.c.request("POST", "/batches", body=LIVY, headers=dict(JSON_T, **h), base="/livy")
            self.assertEqual(st, 201, (h, data))

    def test_bodies_only_under_their_media_type(self):
        n = count()
        for ct in ("text/plain", "text/plain; charset=yaml", "application/x-www-form-urlencoded",
                   "multipart/form-data; boundary=x", "application/octet-stream", "text/json", "application/xml"):
            for base in ("/apiv2", "/skatev2"):
                st, _, data = self.c.request("POST", "/spark", body=BODY, headers={"Content-Type": ct}, base=base)
                self.assertEqual(st, 415, (base, ct, data))
                e = json.loads(data)
                self.assertIn("unsupported Content-Type", e["message"])
                self.assertIn("application/json", e["message"])
        for ct in ("text/plain", "text/yaml", "application/x-www-form-urlencoded"):
            st, _, data = self.c.request("POST", "/batches", body=LIVY, headers={"Content-Type": ct}, base="/livy")
            self.assertEqual(st, 415, (ct, data))
            self.assertEqual(set(json.loads(data)), {"msg"})
        self.assertEqual(count(), n)
        # what is taken: JSON with or without a type (the Java gateway's reading), YAML types
        for ct in (None, "application/json", "Application/JSON; charset=utf-8"):
            h = {"Content-Type": ct} if ct else {}
            st, _, data = self.c.request("POST", "/spark?dryRun=true", body=BODY, headers=h)
            self.assertEqual(st, 200, (ct, data))
        for ct in ("text/yaml", "application/yaml", "application/x-yaml; charset=utf-8"):
            st, _, data = self.c.request("POST", "/spark?dryRun=true", body=YAML, headers={"Content-Type": ct},
                                         base="/skatev2")
            self.assertEqual(st, 200, (ct, data))

    def test_uploads_store_any_type_as_sent(self):
        folder = ENV["BPG_USER"] + "/ct"
        s3 = s3_client()
        for i, ct in enumerate((None, "application/octet-stream", "application/x-www-form-urlencoded",
                                "text/plain", "application/json", "text/x-python")):
            h = {"Content-Type": ct} if ct else {}
            data = b"a=1&b=%d\x00\xff" % i
            st, _, r = self.c.request("POST", "/s3/raw.bin?folder=%s&overwrite=true" % folder, body=data, headers=h)
            self.assertEqual(st, 200, (ct, r))
            got = s3.get_object(Bucket=ENV["S3_BUCKET"], Key="uploaded/%s/raw.bin" % folder)["Body"].read()
            self.assertEqual(got, data, ct)

    def test_no_credentials_is_401_before_any_of_this(self):
        st, _, _ = Client().request("POST", "/spark", body=BODY, headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
        self.assertEqual(st, 401)
        # an upload over the server-wide body limit (1m) but under the upload limit: 401,
        # never 413, or a browser that sends its first upload without credentials fails
        for n in (500 * 1024, 2 * 1024 * 1024):
            st, h, d = Client().request("POST", "/s3/big.bin?folder=%s" % ENV["BPG_USER"], body=b"x" * n,
                                        headers={"Content-Type": "application/octet-stream"})
            self.assertEqual((st, json.loads(d)["code"]), (401, 401), n)
            self.assertIn("www-authenticate", h)


if __name__ == "__main__":
    unittest.main()
