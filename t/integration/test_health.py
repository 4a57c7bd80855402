"""The first endpoint end to end: nginx (TLS, Basic auth) -> FastCGI worker -> MariaDB."""
import json
import os
import ssl
import time
import unittest
import urllib.error
import urllib.request
import uuid

from bpg import ENV, Client, admin_client, db, poll, sim, user_client, worker_pids


class HealthTest(unittest.TestCase):
    def test_health_ok_with_credentials(self):
        c = user_client()
        status, headers, body = c.json("GET", "/healthcheck/status")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(body["status"], "OK")
        self.assertIs(body["database"]["reachable"], True)
        self.assertIs(body["s3"]["reachable"], True, body)
        self.assertEqual(sorted(body["clusters"]), ["c01", "c02"])
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{32}$")

    def test_rotated_cluster_token_is_read_again_without_a_restart(self):
        path = os.path.join(ENV["KUBESIM_DIR"], "c02", "token")
        with open(path) as f:
            old = f.read().strip()
        new = "rotated-" + uuid.uuid4().hex
        c = admin_client()
        try:
            # the API server rotates first: the gateway's old token is refused (502, named)
            self.assertEqual(sim("c02", "POST", "/_sim/token", {"token": new}, token=False)[0], 200)
            st, _, body = c.json("GET", "/spark/c02-%s/status" % uuid.uuid4().hex)
            self.assertEqual(st, 502, body)
            self.assertIn("cluster c02 rejected the gateway's credentials", body["message"])
            # then the projected token file: every worker reads it again, no restart
            time.sleep(0.05)
            with open(path + ".tmp", "w") as f:
                f.write(new + "\n")
            os.rename(path + ".tmp", path)     # as the kubelet swaps a projected token
            for _ in range(8):
                st, _, body = c.json("GET", "/spark/c02-%s/status" % uuid.uuid4().hex)
                self.assertEqual(st, 404, body)
        finally:
            sim("c02", "POST", "/_sim/token", {"token": old}, token=False)
            with open(path + ".tmp", "w") as f:
                f.write(old + "\n")
            os.rename(path + ".tmp", path)

    def test_a_cluster_down_is_degraded_at_once(self):
        c = user_client()
        self.assertEqual(c.json("GET", "/healthcheck/status")[2]["status"], "OK")   # a good answer to reuse
        sim("c02", "POST", "/_sim/faults", {"mode": "503"}, token=False)
        try:
            # every worker: a failure is never hidden behind an earlier success for long
            seen = [c.json("GET", "/healthcheck/status")[2] for _ in range(12)]
            time.sleep(1.1)
            seen += [c.json("GET", "/healthcheck/status")[2] for _ in range(8)]
        finally:
            sim("c02", "DELETE", "/_sim/faults", token=False)
        self.assertTrue(all(b["status"] == "DEGRADED" and b["clusters"]["c02"]["reachable"] is False
                            for b in seen[-8:]), seen[-8:])
        self.assertTrue(all(b["clusters"]["c01"]["reachable"] for b in seen))

    def test_a_recovered_cluster_is_ok_at_once(self):
        """Each worker keeps its rendered answer while it asks nobody: a failed cluster is asked
        again on the next request, and the answer then is rendered anew, never the old one."""
        c = user_client()
        sim("c02", "POST", "/_sim/faults", {"mode": "503"}, token=False)
        try:
            for _ in range(3 * len(worker_pids())):   # a DEGRADED answer in the workers
                c.json("GET", "/healthcheck/status")
        finally:
            sim("c02", "DELETE", "/_sim/faults", token=False)
        seen = [c.json("GET", "/healthcheck/status")[2] for _ in range(3 * len(worker_pids()))]
        self.assertTrue(all(b["status"] == "OK" and b["clusters"]["c02"]["reachable"] is True
                            and "error" not in b["clusters"]["c02"] for b in seen), seen)

    def test_a_new_monitor_run_shows_once_the_database_is_asked(self):
        """The monitor's last run is read with the database's probe (at most a second old): every
        worker's answer shows a new run once its probe asks, not the answer it rendered before."""
        c = user_client()
        c.json("GET", "/healthcheck/status")
        saved = db("SELECT COUNT(*) FROM monitor_run").strip()
        objects = 900000 + int(uuid.uuid4().int % 99999)
        db("INSERT INTO monitor_run (id, started_at, finished_at, outcome, clusters, failed_clusters, objects, "
           "changed, finalized, stopped, restarts, duration_ms) VALUES (1, NOW(3), NOW(3), 'ok', 2, 0, %d, 0, 0, 0, "
           "0, 1) ON DUPLICATE KEY UPDATE objects = VALUES(objects), outcome = 'ok'" % objects)
        try:
            def fresh():
                got = [c.json("GET", "/healthcheck/status")[2] for _ in range(2 * len(worker_pids()))]
                return all(b.get("monitor", {}).get("objects") == objects for b in got)
            self.assertTrue(poll(fresh, 15, 0.1), c.json("GET", "/healthcheck/status")[2])
        finally:
            if saved == "0":
                db("DELETE FROM monitor_run WHERE id = 1")

    def test_database_asked_at_most_once_a_second_per_worker(self):
        """A probe storm costs the database one read per worker and second, not one per request."""
        def executed():
            return int(db("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'").split()[1])
        c = user_client()
        workers = len(worker_pids())
        before = executed()
        t0 = time.monotonic()
        for _ in range(200):
            status, _, body = c.json("GET", "/healthcheck/status")
            self.assertEqual((status, body["database"]["reachable"]), (200, True))
        seconds = time.monotonic() - t0
        asked = executed() - before
        self.assertLessEqual(asked, workers * (int(seconds) + 2), "%d reads in %.1f s" % (asked, seconds))

    def test_request_id_the_clients_or_generated(self):
        c = user_client()
        status, headers, _ = c.request("GET", "/healthcheck/status", headers={"X-Request-Id": "trace-42.a:b"})
        self.assertEqual(headers["x-request-id"], "trace-42.a:b")
        # a value that could inject into logs is replaced by nginx's own id
        status, headers, _ = c.request("GET", "/healthcheck/status", headers={"X-Request-Id": "a b\"c" + "x" * 80})
        self.assertRegex(headers["x-request-id"], r"^[0-9a-f]{32}$")
        # and it is on the worker's log line for that request
        import os, time
        log = os.path.join(ENV["BPG_RUN_DIR"], "fcgi", "worker.log")
        deadline = time.time() + 5
        while time.time() < deadline:
            with open(log, errors="replace") as f:
                if "req=trace-42.a:b " in f.read():
                    break
            time.sleep(0.05)
        else:
            self.fail("the request id is not in the worker log")

    def test_admin_may_call_it_too(self):
        status, _, body = admin_client().json("GET", "/healthcheck/status")
        self.assertEqual((status, body["status"]), (200, "OK"))

    def test_java_gateway_prefix_skatev2(self):
        status, _, body = user_client().json("GET", "/healthcheck/status", base="/skatev2")
        self.assertEqual((status, body["status"]), (200, "OK"))

    def test_trailing_slash_and_head(self):
        c = user_client()
        self.assertEqual(c.request("GET", "/healthcheck/status/")[0], 200)
        status, headers, body = c.request("HEAD", "/healthcheck/status")
        self.assertEqual((status, body), (200, b""))

    def test_tls_is_verified_against_the_stack_ca(self):
        # the default trust store does not know the stack's CA: the handshake must fail
        req = urllib.request.Request(ENV["BPG_URL"] + "/healthcheck/status")
        with self.assertRaises(urllib.error.URLError) as cm:
            urllib.request.urlopen(req, timeout=5, context=ssl.create_default_context())
        self.assertIsInstance(cm.exception.reason, ssl.SSLCertVerificationError)

    def test_curl_command_from_stack_env(self):
        # what the README and `make run` tell a user to type
        import subprocess
        out = subprocess.run(["curl", "-sS", "--max-time", "5", "--cacert", ENV["BPG_CACERT"],
                              "-u", "%s:%s" % (ENV["BPG_USER"], ENV["BPG_PASSWORD"]),
                              ENV["BPG_URL"] + "/healthcheck/status"],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(json.loads(out)["status"], "OK")


if __name__ == "__main__":
    unittest.main()
