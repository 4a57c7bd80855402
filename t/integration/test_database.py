"""The database going away and coming back: reported, then recovered without restarts."""
import unittest

from bpg import poll, stack, user_client, worker_pids


class DatabaseOutageTest(unittest.TestCase):
    def health(self, c):
        status, _, body = c.json("GET", "/healthcheck/status")
        self.assertEqual(status, 200)
        return body

    def test_outage_and_recovery(self):
        c = user_client()
        pids = worker_pids()
        self.assertEqual(self.health(c)["status"], "OK")
        stack("db-stop")
        try:
            # a worker reuses a good answer for at most a second (h_health.c), never a failure:
            # soon every worker finds its connection lost, and then says so on every request
            down = lambda: all(self.health(c)["status"] == "DEGRADED" for _ in range(2 * len(pids)))
            self.assertTrue(poll(down, 10, 0.2), "a worker still says the database is up")
            for _ in range(2 * len(pids)):
                body = self.health(c)
                self.assertEqual(body["status"], "DEGRADED")
                self.assertIs(body["database"]["reachable"], False)
                self.assertTrue(body["database"]["error"])
                self.assertNotIn("password", body["database"]["error"].lower())
                self.assertNotIn("monitor", body)   # not an answer read before the outage
        finally:
            stack("db-start")
        recovered = poll(lambda: all(self.health(c)["status"] == "OK" for _ in range(2 * len(pids))),
                         10, 0.2)
        self.assertTrue(recovered, "workers did not reconnect")
        self.assertEqual(worker_pids(), pids, "workers were restarted instead of reconnecting")


    def test_first_submit_after_a_restart_succeeds(self):
        """A worker's idle connection to a restarted server is noticed before a write, so the
        first submit on each worker runs on a new session instead of answering 503."""
        import json
        import time
        c = user_client()
        pids = worker_pids()
        body = json.dumps({"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/x.py"})
        h = {"Content-Type": "application/json"}
        for _ in range(2 * len(pids)):      # every worker has used its connection
            self.assertEqual(c.json("POST", "/spark", body=body, headers=h)[0], 200)
        stack("db-stop")
        stack("db-start")
        time.sleep(1.1)   # the idle time after which a write checks its connection first (1 s)
        answers = [c.json("POST", "/spark", body=body, headers=h) for _ in range(4 * len(pids))]
        self.assertEqual([a[0] for a in answers], [200] * len(answers), [a[2] for a in answers if a[0] != 200])


if __name__ == "__main__":
    unittest.main()
