"""Lists come from the database: filters, keyset paging, who sees what, bad parameters."""
import subprocess
import unittest
import uuid

from bpg import ENV, Client, admin_client, user_client

DB = ["mariadb", "--no-defaults", "-uroot", "--socket=" + ENV["MYSQL_SOCKET"], ENV["MYSQL_DATABASE"]]
TAG = uuid.uuid4().hex[:8]        # this run's rows: app_name starts with it


def sql(stmt):
    return subprocess.run(DB + ["-N", "-e", stmt], check=True, capture_output=True, text=True).stdout


def add_crowd(user):
    """3,000 rows of user, newer than any other of this run's (cleaned up with them)."""
    for _ in range(10):
        sql("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, "
            "app_name, queue, status, created_time) VALUES " +
            ",".join("('c01-%s%s','c01','spark-applications','%s','%s-%s','poc','COMPLETED',"
                     "CURRENT_TIMESTAMP(3))" % (TAG, uuid.uuid4().hex[:24], user, TAG, user)
                     for _ in range(300)))


def least_rows_read(fn):
    """The fewest rows MariaDB's handlers read (by key, in order or by scan) in three runs of
    fn: a monitor run in between does not count."""
    def rows_read():
        return sum(int(line.split()[1]) for line in
                   sql("SHOW GLOBAL STATUS LIKE 'Handler_read%'").splitlines())
    reads = []
    for _ in range(3):
        before = rows_read()
        fn()
        reads.append(rows_read() - before)
    return min(reads)


class ListTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rows = []
        # 200 of the demo user's, 10 of someone else's; created one second apart
        for i in range(210):
            user = ENV["BPG_USER"] if i < 200 else "other"
            state = ["RUNNING", "COMPLETED", "FAILED", "SUBMITTED"][i % 4]
            queue = "poc" if i % 2 else "etl"
            sid = "c01-%s%s" % (TAG, uuid.uuid4().hex[:24])
            rows.append("('%s','c01','spark-applications','%s','%s-app%d','3.5','%s','%s',"
                        "FROM_UNIXTIME(1700000000 + %d),1,1024,2,1,2048)"
                        % (sid, user, TAG, i % 3, queue, state, i))
        sql("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, "
            "app_name, spark_version, queue, status, created_time, driver_core, driver_memory_mb, "
            "number_executor, executor_core, executor_memory_mb) VALUES " + ",".join(rows))

    @classmethod
    def tearDownClass(cls):
        sql("DELETE FROM application_submission WHERE app_name LIKE '%s-%%'" % TAG)

    def mine(self, c, **params):
        q = "&".join("%s=%s" % kv for kv in params.items())
        status, _, body = c.json("GET", "/spark/mySubmissions" + ("?" + q if q else ""))
        self.assertEqual(status, 200, body)
        return body

    def test_paging_covers_everything_once_newest_first(self):
        c = user_client()
        seen, nxt, pages = [], None, 0
        while True:
            params = {"limit": 30, "createdBefore": (1700000000 + 1000) * 1000,
                      "createdAfter": (1700000000 - 1) * 1000}
            if nxt:
                params["next"] = nxt
            body = self.mine(c, **params)
            pages += 1
            seen += body["submissions"]
            nxt = body.get("next")
            if not nxt:
                break
        mine = [s for s in seen if s.get("applicationName", "").startswith(TAG)]
        self.assertEqual(len(mine), 200)
        self.assertEqual(len({s["submissionId"] for s in mine}), 200)
        self.assertEqual(pages, 7)
        times = [s["creationTime"] for s in mine]
        self.assertEqual(times, sorted(times, reverse=True))
        self.assertTrue(all(s["user"] == ENV["BPG_USER"] for s in mine))
        s = mine[0]
        self.assertEqual((s["driverCores"], s["executorInstances"], s["totalCores"]), (1, 2, 3))
        self.assertEqual((s["queue"][:5], s["clusterId"]), ("root.", "c01"))

    def test_filters(self):
        c = user_client()
        body = self.mine(c, state="RUNNING", queue="etl", limit=1000, applicationName=TAG + "-app0")
        got = body["submissions"]
        self.assertTrue(got)
        for s in got:
            self.assertEqual((s["applicationState"], s["queue"], s["applicationName"]),
                             ("RUNNING", "root.etl", TAG + "-app0"))
        expect = int(sql("SELECT COUNT(*) FROM application_submission WHERE app_name='%s-app0' "
                         "AND status='RUNNING' AND queue='etl' AND `user`='%s'"
                         % (TAG, ENV["BPG_USER"])))
        self.assertEqual(len(got), expect)

    def test_users_see_only_their_own_admins_see_all(self):
        body = self.mine(user_client(), applicationName=TAG + "-app1", limit=1000)
        self.assertTrue(all(s["user"] == ENV["BPG_USER"] for s in body["submissions"]))
        status, _, body = admin_client().json(
            "GET", "/admin/submissions?limit=1000&applicationName=%s-app1" % TAG)
        self.assertEqual(status, 200)
        users = {s["user"] for s in body["submissions"]}
        self.assertEqual(users, {ENV["BPG_USER"], "other"})
        status, _, body = user_client().json("GET", "/admin/submissions")
        self.assertEqual((status, body["code"]), (403, 403))

    def test_admin_ndjson_and_java_name_parameter(self):
        status, headers, data = admin_client().request(
            "GET", "/admin/submissions?format=ndjson&limit=5&name=%s-app2" % TAG)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/x-ndjson")
        lines = data.decode().splitlines()
        self.assertEqual(len(lines), 5)
        self.assertTrue(headers.get("x-next"))

    def test_bad_parameters(self):
        c = user_client()
        for q, word in [("limit=0", "limit"), ("limit=abc", "limit"), ("limit=1001", "limit"),
                        ("next=garbage", "next"), ("next=1_x%27%20OR%201=1", "next"),
                        ("createdAfter=-5", "createdAfter"), ("bogus=1", "bogus"),
                        ("state=%ff", "state"), ("format=ndjson", "format")]:
            status, _, body = c.json("GET", "/spark/mySubmissions?" + q)
            self.assertEqual((status, body["code"]), (400, 400), q)
            self.assertIn(word, body["message"], q)

    def test_a_page_reads_the_users_rows_not_everyone_newer(self):
        """A user's page is read along that user's own indexes: 3,000 newer rows of someone
        else cost it nothing (the rows its handlers read, the least of three tries, so that a
        monitor run in between does not count)."""
        add_crowd("crowd-" + TAG)
        c = user_client()

        def page():
            body = self.mine(c, limit=20)
            self.assertEqual(len(body["submissions"]), 20)
            self.assertTrue(all(s["user"] == ENV["BPG_USER"] for s in body["submissions"]))
        self.assertLess(least_rows_read(page), 500)

    def test_an_admins_filtered_page_reads_the_filters_rows_not_everyone_newer(self):
        """An admin's page of everyone, filtered by queue, state or name, is read along that
        filter's index: 3,000 newer rows that do not match cost it nothing."""
        rare = "rare" + TAG
        add_crowd("crowd2-" + TAG)
        # five old rows in a queue of their own, in a state of their own, with a name of their own
        sql("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, "
            "app_name, queue, status, created_time) VALUES " +
            ",".join("('c01-%s%s','c01','spark-applications','other','%s-lonely','%s','%s',"
                     "FROM_UNIXTIME(1600000000 + %d))" % (TAG, uuid.uuid4().hex[:24], TAG, rare, rare.upper(), i)
                     for i in range(5)))
        admin = admin_client()
        for flt in ("queue=" + rare, "state=" + rare.upper(), "applicationName=%s-lonely" % TAG):
            def page():
                status, _, body = admin.json("GET", "/admin/submissions?limit=20&" + flt)
                self.assertEqual(status, 200, body)
                self.assertEqual(len(body["submissions"]), 5, flt)
            self.assertLess(least_rows_read(page), 500, flt)

    def test_sql_injection_in_filters_is_inert(self):
        c = user_client()
        for v in ["x' OR '1'='1", "RUNNING'; DROP TABLE application_submission; --", "\\"]:
            from urllib.parse import quote
            body = self.mine(c, state=quote(v), applicationName=quote(v))
            self.assertEqual(body["submissions"], [])
        self.assertGreaterEqual(int(sql("SELECT COUNT(*) FROM application_submission")), 210)


if __name__ == "__main__":
    unittest.main()
