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
            for _ in range(2 * len(pids)):   # every worker finds its connection lost
                body = self.health(c)
                self.assertEqual(body["status"], "DEGRADED")
                self.assertIs(body["database"]["reachable"], False)
                self.assertTrue(body["database"]["error"])
                self.assertNotIn("password", body["database"]["error"].lower())
        finally:
            stack("db-start")
        recovered = poll(lambda: all(self.health(c)["status"] == "OK" for _ in range(2 * len(pids))),
                         10, 0.2)
        self.assertTrue(recovered, "workers did not reconnect")
        self.assertEqual(worker_pids(), pids, "workers were restarted instead of reconnecting")


if __name__ == "__main__":
    unittest.main()
