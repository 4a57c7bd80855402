"""/skatev2 lists as the Java gateway answered them: every row streamed, NDJSON for admins."""
import http.client
import json
import threading
import time
import unittest

from bpg import ENV, Client, admin_client, db, rss_kib, user_client, worker_pids

BULK_USER = "bulk-lister"
N_BULK = 100000


def stream_get(path, user):
    """GET through the trusted proxy address as user; returns (status, headers, body bytes)."""
    c = Client(timeout=120)
    conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=120,
                                       source_address=(ENV["BPG_TRUSTED_PROXY_ADDR"], 0))
    conn.request("GET", path, headers={"User-Account": user})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


class SkateListTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        db("DELETE FROM application_submission WHERE `user`='%s'" % BULK_USER)
        # 100k finished rows, one a second apart, from MariaDB's sequence engine
        db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, original_user, "
           "app_name, spark_version, queue, status, created_time, finished_time) "
           "SELECT CONCAT('c01-', LOWER(LPAD(HEX(seq), 32, '0'))), 'c01', 'spark-applications', '%s', '%s', "
           "CONCAT('bulk-', seq), '3.5', 'root.poc', 'COMPLETED', "
           "FROM_UNIXTIME(1600000000 + seq), FROM_UNIXTIME(1600000100 + seq) FROM seq_1_to_%d"
           % (BULK_USER, BULK_USER, N_BULK))

    @classmethod
    def tearDownClass(cls):
        db("DELETE FROM application_submission WHERE `user`='%s'" % BULK_USER)

    def test_my_submissions_streams_every_row_in_constant_memory(self):
        pids = worker_pids()
        base = {p: rss_kib(p) for p in pids}
        peak = dict(base)
        done = threading.Event()

        def watch():
            while not done.is_set():
                for p in pids:
                    try:
                        peak[p] = max(peak[p], rss_kib(p))
                    except OSError:
                        pass
                time.sleep(0.02)
        t = threading.Thread(target=watch)
        t.start()
        try:
            st, h, data = stream_get("/skatev2/spark/mySubmissions", BULK_USER)
        finally:
            done.set()
            t.join()
        self.assertEqual(st, 200, data[:300])
        self.assertNotIn("content-length", h)          # streamed, not built
        subs = json.loads(data)["submissions"]
        self.assertEqual(len(subs), N_BULK)
        ids = [s["submissionId"] for s in subs]
        self.assertEqual(len(set(ids)), N_BULK)       # no row twice across pages
        self.assertEqual(ids[0], "c01-" + ("%x" % N_BULK).zfill(32))   # newest first
        self.assertEqual(subs[-1]["applicationName"], "bulk-1")
        growth = max(peak[p] - base[p] for p in pids)
        self.assertLess(growth, 16 * 1024, "a worker grew %d KiB for a %d KiB answer" % (growth, len(data) >> 10))
        self.assertGreater(len(data) >> 10, 4 * growth)

    def test_limit_and_apiv2_keep_pages(self):
        for path in ("/skatev2/spark/mySubmissions?limit=5", "/apiv2/spark/mySubmissions"):
            st, h, data = stream_get(path, BULK_USER)
            self.assertEqual(st, 200)
            r = json.loads(data)
            self.assertEqual(len(r["submissions"]), 5 if "limit" in path else 100)
            self.assertIn("next", r)
        st, h, data = stream_get("/skatev2/spark/mySubmissions?next=" + r["next"], BULK_USER)
        self.assertEqual(len(json.loads(data)["submissions"]), 100)
        # a user with nothing gets an empty list, still streamed
        st, h, data = stream_get("/skatev2/spark/mySubmissions", "nobody-here")
        self.assertEqual((st, json.loads(data)), (200, {"submissions": []}))

    def test_admin_submissions_is_ndjson_on_skatev2(self):
        st, h, data = stream_get("/skatev2/admin/submissions?name=bulk-7", ENV["BPG_ADMIN_USER"])
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "application/json")
        lines = data.decode().split("\n")
        self.assertEqual(lines[-1], "")
        self.assertEqual([json.loads(l)["submissionId"] for l in lines[:-1]], ["c01-" + "7".zfill(32)])
        st, h, data = stream_get("/skatev2/admin/submissions", ENV["BPG_ADMIN_USER"])
        rows = [json.loads(l) for l in data.decode().splitlines()]
        self.assertGreaterEqual(len(rows), N_BULK)
        # the admin check stays; /apiv2 keeps its object
        st, _, r = user_client().json("GET", "/admin/submissions", base="/skatev2")
        self.assertEqual((st, r["code"]), (403, 403))
        st, _, r = admin_client().json("GET", "/admin/submissions?name=bulk-7")
        self.assertEqual(st, 200)
        self.assertEqual([s["submissionId"] for s in r["submissions"]], ["c01-" + "7".zfill(32)])


if __name__ == "__main__":
    unittest.main()
