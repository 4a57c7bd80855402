"""Apache Livy's batch API under /livy (issue 17), through nginx, and a real Livy client (pylivy)."""
import json
import ssl
import unittest
import uuid

from bpg import ENV, SIM_APPS, Client, admin_client, db, poll, sim, user_client

H = {"Content-Type": "application/json", "X-Requested-By": "tests"}
BATCH = {"file": "s3a://bpg/uploaded/livy/pi.py", "name": "livy-test", "driverMemory": "1g",
         "driverCores": 1, "executorMemory": "512m", "executorCores": 1, "numExecutors": 2,
         "args": ["10"], "conf": {"spark.bpg.origin": "livy"}}


def livy(c, method, path, body=None, headers=None):
    h = dict(H)
    h.update(headers or {})
    st, hd, data = c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h,
                             base="/livy")
    return st, hd, (json.loads(data) if data else None)


def sid_of(batch_id):
    return db("SELECT submission_id FROM livy_batch WHERE id=%d" % batch_id).strip()


class LivyTest(unittest.TestCase):
    def setUp(self):
        self.c = user_client()

    def create(self, **over):
        b = dict(BATCH)
        b.update(over)
        st, h, r = livy(self.c, "POST", "/batches", b)
        self.assertEqual(st, 201, r)
        return r, h

    def test_create_get_state_and_run_to_success(self):
        r, h = self.create(name="to-success")
        self.assertIsInstance(r["id"], int)
        self.assertEqual(h["location"], "/livy/batches/%d" % r["id"])
        self.assertEqual((r["name"], r["owner"], r["proxyUser"]), ("to-success", ENV["BPG_USER"], ENV["BPG_USER"]))
        self.assertIn(r["state"], ("not_started", "starting"))
        self.assertEqual(set(r), {"id", "name", "owner", "proxyUser", "state", "appId", "appInfo", "log"})
        sid = sid_of(r["id"])
        # the SparkApplication exists, built from Livy's fields
        st, cr = sim(sid[:3], "GET", SIM_APPS + "/" + sid)
        self.assertEqual(st, 200)
        spec = cr["spec"]
        self.assertEqual((spec["mainApplicationFile"], spec["arguments"], spec["executor"]["instances"]),
                         (BATCH["file"], ["10"], 2))
        self.assertEqual(spec["sparkConf"]["spark.bpg.origin"], "livy")
        seen = set()

        def done():
            st, _, s = livy(self.c, "GET", "/batches/%d/state" % r["id"])
            self.assertEqual(st, 200)
            seen.add(s["state"])
            return s["state"] == "success"
        self.assertTrue(poll(done, 60, 0.2), seen)
        self.assertTrue(seen <= {"not_started", "starting", "running", "success"}, seen)
        st, _, b = livy(self.c, "GET", "/batches/%d" % r["id"])
        self.assertEqual((st, b["state"]), (200, "success"))
        self.assertTrue(b["appId"].startswith("spark-"), b)
        # absolute, as Livy's: where this client reached the gateway
        host = ENV["BPG_URL"].split("/")[2]
        self.assertEqual(b["appInfo"]["driverLogUrl"], "https://%s/apiv2/log?subId=%s" % (host, sid))
        st, _, data = self.c.request("GET", b["appInfo"]["driverLogUrl"].split(host, 1)[1], base="")
        self.assertEqual(st, 200, data[:200])
        # and the same submission is visible through the REST API
        st, _, s = self.c.json("GET", "/spark/%s/status" % sid)
        self.assertEqual((st, s["applicationState"]), (200, "COMPLETED"))

    def test_log_pages_like_livy(self):
        r, _ = self.create(name="log")
        sid = sid_of(r["id"])
        self.assertTrue(poll(lambda: livy(self.c, "GET", "/batches/%d/state" % r["id"])[2]["state"] == "success",
                             60, 0.2))
        st, _, whole = livy(self.c, "GET", "/batches/%d/log?from=0&size=1000" % r["id"])
        self.assertEqual(st, 200)
        total = whole["total"]
        self.assertGreater(total, 5)
        self.assertEqual((whole["id"], whole["from"], len(whole["log"])), (r["id"], 0, total))
        self.assertTrue(all(sid in line for line in whole["log"][:3]), whole["log"][:3])
        # by default the last 100 lines; from and size page through the same lines
        st, _, last = livy(self.c, "GET", "/batches/%d/log?size=3" % r["id"])
        self.assertEqual((last["from"], last["total"], last["log"]), (total - 3, total, whole["log"][-3:]))
        st, _, mid = livy(self.c, "GET", "/batches/%d/log?from=2&size=2" % r["id"])
        self.assertEqual(mid["log"], whole["log"][2:4])
        for bad in ("from=-1", "size=x", "size=100000", "other=1"):
            st, _, e = livy(self.c, "GET", "/batches/%d/log?%s" % (r["id"], bad))
            self.assertEqual(st, 400, bad)
            self.assertEqual(set(e), {"msg"})

    def test_failed_batch_is_dead(self):
        r, _ = self.create(name="to-fail")
        sid = sid_of(r["id"])
        pod = "/api/v1/namespaces/spark-applications/pods/%s-driver" % sid
        self.assertTrue(poll(lambda: livy(self.c, "GET", "/batches/%d/state" % r["id"])[2]["state"] == "running"
                             and sim(sid[:3], "GET", pod)[0] == 200, 30, 0.1))
        self.assertEqual(sim(sid[:3], "DELETE", pod)[0], 200)
        self.assertTrue(poll(lambda: livy(self.c, "GET", "/batches/%d/state" % r["id"])[2]["state"] == "dead",
                             60, 0.2))

    def test_deleted_batch_is_killed(self):
        r, _ = self.create(name="to-kill")
        sid = sid_of(r["id"])
        st, _, m = livy(self.c, "DELETE", "/batches/%d" % r["id"])
        self.assertEqual((st, m), (200, {"msg": "deleted"}))
        self.assertEqual(sim(sid[:3], "GET", SIM_APPS + "/" + sid)[0], 404)
        st, _, s = livy(self.c, "GET", "/batches/%d/state" % r["id"])
        self.assertEqual(s, {"id": r["id"], "state": "killed"})
        # deleting again is harmless; an unknown batch is Livy's 404
        self.assertEqual(livy(self.c, "DELETE", "/batches/%d" % r["id"])[0], 200)
        st, _, e = livy(self.c, "GET", "/batches/999999999")
        self.assertEqual((st, e), (404, {"msg": "Session '999999999' not found."}))

    def test_list_pages_and_only_mine(self):
        mine = [self.create(name="list-%d" % i)[0]["id"] for i in range(3)]
        other = Client(ENV["BPG_OTHER_USER"], ENV["BPG_PASSWORD"])
        st, _, theirs = livy(other, "POST", "/batches", BATCH)
        self.assertEqual(st, 201, theirs)
        st, _, page = livy(self.c, "GET", "/batches?from=0&size=1000")
        self.assertEqual(st, 200)
        ids = [s["id"] for s in page["sessions"]]
        self.assertEqual(page["total"], len(ids))
        self.assertTrue(set(mine) <= set(ids))
        self.assertNotIn(theirs["id"], ids)
        self.assertEqual(ids, sorted(ids))
        st, _, p2 = livy(self.c, "GET", "/batches?from=%d&size=2" % (len(ids) - 2))
        self.assertEqual(([s["id"] for s in p2["sessions"]], p2["from"], p2["total"]), (ids[-2:], len(ids) - 2, len(ids)))
        # another user's batch: 403 to read, to kill; an admin sees everyone's
        for m, p in (("GET", "/batches/%d" % theirs["id"]), ("GET", "/batches/%d/state" % theirs["id"]),
                     ("GET", "/batches/%d/log" % theirs["id"]), ("DELETE", "/batches/%d" % theirs["id"])):
            st, _, e = livy(self.c, m, p)
            self.assertEqual((st, set(e)), (403, {"msg"}), (m, p))
        st, _, everyone = livy(admin_client(), "GET", "/batches?size=1000")
        self.assertIn(theirs["id"], [s["id"] for s in everyone["sessions"]])

    def test_bad_input_is_400_msg_and_creates_nothing(self):
        n = int(db("SELECT COUNT(*) FROM application_submission"))
        cases = [({"file": "x.py", "bogus": 1}, "Unrecognized field \"bogus\""),
                 ({}, "File is required"), ({"file": 3}, "file: must be a string"),
                 ({"file": "s3a://b/x.py", "numExecutors": "2"}, "numExecutors: must be an integer"),
                 ({"file": "s3a://b/x.py", "numExecutors": 1.5}, "numExecutors: must be an integer"),
                 ({"file": "s3a://b/x.py", "numExecutors": 1e300}, "numExecutors: must be an integer"),
                 ({"file": "s3a://b/x.py", "args": [1]}, "args: must be a list of strings"),
                 ({"file": "s3a://b/x.py", "conf": {"a": {"b": 1}}}, "conf: must be an object"),
                 ({"file": "s3a://b/x.py", "driverMemory": "lots"}, "driverMemory: "),
                 ({"file": "s3a://b/x.py", "queue": "no-such-queue"}, "queue"),
                 # the pipeline's own checks name the Livy field, never the request's
                 ({"file": "x.py"}, "file: ")]
        for body, msg in cases:
            st, _, e = livy(self.c, "POST", "/batches", body)
            self.assertEqual(st, 400, (body, e))
            self.assertEqual(set(e), {"msg"}, e)
            self.assertIn(msg, e["msg"])
            for theirs in ("mainApplicationFile", "executor.instances", "driver.memory", "sparkConf"):
                self.assertNotIn(theirs, e["msg"], body)
        st, _, e = livy(self.c, "POST", "/batches", {"file": "s3a://b/x.py", "conf": {"spark.kubernetes.namespace": "x"}})
        self.assertEqual((st, set(e)), (403, {"msg"}), e)
        self.assertIn("conf.spark.kubernetes.namespace", e["msg"])
        self.assertNotIn("sparkConf", e["msg"])
        for raw in (b"not json", b"[1,2]", b'{"file":"a","file":"b"}'):
            st, _, data = self.c.request("POST", "/batches", body=raw, headers=H, base="/livy")
            self.assertEqual(st, 400, raw)
            self.assertIn("msg", json.loads(data))
        self.assertEqual(int(db("SELECT COUNT(*) FROM application_submission")), n)

    def test_no_csrf_header_needed_and_proxy_user(self):
        # as real Livy by default (csrf-protection off): the gateway's cross-site rule covers
        # browsers on every API (test_cross_site.py), so clients need no X-Requested-By
        st, _, data = self.c.request("POST", "/batches", body=json.dumps(BATCH),
                                     headers={"Content-Type": "application/json"}, base="/livy")
        self.assertEqual(st, 201, data)
        st, _, data = self.c.request("DELETE", "/batches/%d" % json.loads(data)["id"], base="/livy")
        self.assertEqual(st, 200, data)
        st, _, e = livy(self.c, "POST", "/batches", dict(BATCH, proxyUser=ENV["BPG_OTHER_USER"]))
        self.assertEqual((st, e), (403, {"msg": "User '%s' not allowed to impersonate '%s'."
                                         % (ENV["BPG_USER"], ENV["BPG_OTHER_USER"])}))
        r, _ = self.create(proxyUser=ENV["BPG_USER"])     # oneself is fine
        self.assertEqual(r["proxyUser"], ENV["BPG_USER"])

    def test_idempotency_key_replays_the_batch(self):
        key = "livy-" + uuid.uuid4().hex
        st, h1, r1 = livy(self.c, "POST", "/batches", BATCH, {"Idempotency-Key": key})
        self.assertEqual(st, 201, r1)
        st, h2, r2 = livy(self.c, "POST", "/batches", BATCH, {"Idempotency-Key": key})
        self.assertEqual((st, r2["id"], h2.get("idempotent-replayed")), (201, r1["id"], "true"))
        st, _, e = livy(self.c, "POST", "/batches", dict(BATCH, numExecutors=7), {"Idempotency-Key": key})
        self.assertEqual((st, set(e)), (422, {"msg"}))

    def test_only_under_its_prefix(self):
        st, _, _ = self.c.request("GET", "/livy/batches")            # under /apiv2: not there
        self.assertEqual(st, 404)
        st, _, _ = self.c.request("GET", "/spark/mySubmissions", base="/livy")
        self.assertEqual(st, 404)
        st, _, _ = Client().request("GET", "/batches", base="/livy")  # same users, same auth
        self.assertEqual(st, 401)

    def test_pylivy_drives_it(self):
        import requests
        from livy.client import LivyClient
        from livy.models import SessionState
        s = requests.Session()                        # no X-Requested-By: as with a stock Livy
        url = ENV["BPG_URL"].rsplit("/", 1)[0] + "/livy"
        client = LivyClient(url, auth=(ENV["BPG_USER"], ENV["BPG_PASSWORD"]), verify=ENV["BPG_CACERT"],
                            requests_session=s)
        if True:
            b = client.create_batch("s3a://bpg/uploaded/livy/pi.py", args=["5"], name="pylivy",
                                    driver_memory="1g", num_executors=1, spark_conf={"spark.x": "1"})
            self.assertIn(b.state, (SessionState.NOT_STARTED, SessionState.STARTING))
            self.assertTrue(poll(lambda: client.get_batch(b.batch_id).state == SessionState.SUCCESS, 60, 0.3))
            got = client.get_batch(b.batch_id)
            self.assertTrue(got.app_id.startswith("spark-"))
            log = client.get_batch_log(b.batch_id, from_=0, size=10)
            self.assertEqual((log.batch_id, log.from_, len(log.lines)), (b.batch_id, 0, 10))
            self.assertIsNone(client.get_batch(987654321))
            b2 = client.create_batch("s3a://bpg/uploaded/livy/pi.py", name="pylivy-kill")
            client.delete_batch(b2.batch_id)
            self.assertEqual(client.get_batch(b2.batch_id).state, SessionState.KILLED)
        client.close()
        s.close()


if __name__ == "__main__":
    unittest.main()
