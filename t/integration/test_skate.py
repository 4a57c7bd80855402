"""/skatev2 answers as the Java BPG did; /apiv2 stays stricter (README: "/skatev2 and /apiv2")."""
import json
import time
import unittest
import urllib.parse
import uuid

from bpg import ENV, poll, user_client
from test_log import cr_state, make_app, pod_log
from test_submit import token
from test_upload import aws_cp, key_of

SKATE = "/skatev2"
MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py"}


def submit(base, query="?dryRun=true", **over):
    b = dict(MINIMAL)
    b.update(over)
    return user_client().json("POST", "/spark" + query, body=json.dumps(b),
                              headers={"Content-Type": "application/json"}, base=base)


class SkateTest(unittest.TestCase):
    def test_upload_to_an_existing_name_overwrites(self):
        c = user_client()
        folder = "%s/skate%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:10])   # the user's own

        def up(base, data, query=""):
            return c.json("POST", "/s3/same.jar?folder=%s%s" % (folder, query), body=data,
                          headers={"Content-Type": "application/octet-stream"}, base=base)
        st, _, r = up(SKATE, b"one")
        self.assertEqual(st, 200, r)
        st, _, r2 = up(SKATE, b"two")
        self.assertEqual((st, r2), (200, r))
        self.assertEqual(aws_cp(key_of(r["url"])), b"two")
        # /apiv2 keeps its 409 unless asked; /skatev2 refuses only when told not to overwrite
        st, _, e = up(None, b"three")
        self.assertEqual((st, e["code"]), (409, 409))
        st, _, e = up(SKATE, b"three", "&overwrite=false")
        self.assertEqual((st, e["code"]), (409, 409))
        self.assertEqual(up(None, b"four", "&overwrite=true")[0], 200)
        self.assertEqual(aws_cp(key_of(r["url"])), b"four")

    def test_lenient_coercions(self):
        # booleans as strings, mode ignored: accepted on /skatev2, refused on /apiv2
        for over, word in (({"spotInstance": "true"}, "spotInstance"), ({"spotInstance": "False"}, "spotInstance"),
                           ({"mode": "client"}, "mode")):
            st, _, cr = submit(SKATE, **over)
            self.assertEqual(st, 200, (over, cr))
            self.assertEqual(cr["spec"]["mode"], "cluster")
            st, _, e = submit(None, **over)
            self.assertEqual((st, e["code"]), (400, 400), over)
            self.assertIn(word, e["message"])
        # numbers as strings and strings as numbers, both paths (Jackson's coercions)
        for base in (None, SKATE):
            st, _, cr = submit(base, driver={"cores": "2", "memory": "2g"}, executor={"instances": "3"},
                               arguments=[1, 2.5, True])
            self.assertEqual(st, 200, cr)
            self.assertEqual((cr["spec"]["driver"]["cores"], cr["spec"]["executor"]["instances"]), (2, 3))
            self.assertEqual(cr["spec"]["arguments"], ["1", "2.5", "true"])
        # refusals that protect the cluster stay on /skatev2
        for over, code in (({"driver": {"securityContext": {"privileged": True}}}, 403),
                           ({"volumes": [{"name": "h", "hostPath": {"path": "/etc"}}]}, 403),
                           ({"image": "evil/miner:latest"}, 403),
                           ({"spotInstance": "yes"}, 400)):
            st, _, e = submit(SKATE, **over)
            self.assertEqual((st, e["code"]), (code, code), (over, e))

    def test_bad_queue_token_is_400_on_skatev2(self):
        bad = token({"iss": "mallory", "allowedQueues": ["secure"]})
        for base, code in ((SKATE, 400), (None, 403)):
            for tok in ("a.b.c", bad):
                st, _, e = submit(base, query="", queue="secure", queueToken=tok)
                self.assertEqual((st, e["code"]), (code, code), (base, e))
                self.assertTrue(e["message"].startswith("Queue token is not valid"), e)
            st, _, e = submit(base, query="", queue="secure")     # a missing one too: 403 on /apiv2
            self.assertEqual((st, e["message"]), (code, "Please specify queueToken for queue secure"))

    def test_log_of_a_running_driver_is_followed_on_skatev2(self):
        c = user_client()
        c.timeout = 60
        sid = make_app(ENV["BPG_USER"], run=3)
        self.assertTrue(poll(lambda: cr_state(sid) == "RUNNING", 20, 0.1), cr_state(sid))
        # /apiv2 answers at once with what is there; /skatev2 stays until the pod ends
        st, _, now = c.request("GET", "/log?subId=" + sid)
        self.assertEqual(st, 200)
        self.assertNotIn(cr_state(sid), ("SUCCEEDING", "COMPLETED"))
        st, _, data = c.request("GET", "/log?subId=" + sid, base=SKATE)
        self.assertEqual(st, 200)
        self.assertIn(cr_state(sid), ("SUCCEEDING", "COMPLETED"))
        log = pod_log(sid + "-driver")
        self.assertEqual(data, log if log.endswith(b"\n") else log + b"\n")   # one final newline
        # follow=false on /skatev2 reads what is there
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        self.assertTrue(poll(lambda: cr_state(sid) == "RUNNING", 20, 0.1), cr_state(sid))
        t0 = time.monotonic()
        st, _, _ = c.request("GET", "/log?" + urllib.parse.urlencode({"subId": sid, "follow": "false"}), base=SKATE)
        self.assertEqual(st, 200)
        self.assertLess(time.monotonic() - t0, 10)


if __name__ == "__main__":
    unittest.main()
