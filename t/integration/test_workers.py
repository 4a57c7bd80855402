"""The FastCGI pool: a killed worker is replaced at once and clients see no failure."""
import os
import signal
import threading
import time
import unittest

from bpg import ENV, poll, rss_kib, user_client, worker_pids


class Stream:
    """Threads sending GET /healthcheck/status back to back, recording (time, ok)."""

    def __init__(self, threads=4):
        self.results = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        c = user_client()
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                status = c.request("GET", "/healthcheck/status")[0]
            except Exception:  # a transport failure is a failed request too
                status = -1
            with self.lock:
                self.results.append((t, status))
        c.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(10)


class WorkerTest(unittest.TestCase):
    def test_pool_size(self):
        self.assertEqual(len(worker_pids()), int(ENV["BPG_WORKERS"]))

    def test_sigkill_under_load(self):
        before = worker_pids()
        with Stream() as s:
            time.sleep(0.5)
            victim = before[0]
            t_kill = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            replaced = poll(lambda: len(set(worker_pids()) - set(before)) == 1 and
                            victim not in worker_pids(), 1.0, 0.01)
            t_replaced = time.monotonic()
            time.sleep(1.5)
        self.assertTrue(replaced, "no replacement worker within 1 s")
        self.assertLess(t_replaced - t_kill, 1.0)
        after = [r for r in s.results if r[0] > t_kill + 1.0]
        failed_after = [r for r in after if r[1] != 200]
        failed_all = [r for r in s.results if r[1] != 200]
        self.assertGreater(len(after), 50, "the stream was too slow to prove anything")
        self.assertEqual(failed_after, [], "requests failed after the replacement")
        # nginx retries a GET whose worker died mid-request: nothing should fail at all
        self.assertEqual(failed_all, [], "requests failed around the kill")

    def test_all_workers_killed_replacements_serve_within_1s(self):
        before = worker_pids()
        t0 = time.monotonic()
        for p in before:
            os.kill(p, signal.SIGKILL)
        c = user_client()

        def served():
            try:
                return c.request("GET", "/healthcheck/status")[0] == 200
            except Exception:
                return False
        ok = poll(served, 1.0, 0.02)
        elapsed = time.monotonic() - t0
        self.assertTrue(ok, "no new worker served within 1 s")
        self.assertLess(elapsed, 1.0)
        self.assertTrue(set(worker_pids()).isdisjoint(before))
        poll(lambda: len(worker_pids()) == len(before), 2.0)
        self.assertEqual(len(worker_pids()), len(before))

    def test_worker_rss_flat(self):
        c = user_client()
        for _ in range(400):  # warm every worker up
            c.request("GET", "/healthcheck/status")
        pids = worker_pids()
        start = {p: rss_kib(p) for p in pids}
        for i in range(3000):
            path = "/healthcheck/status" if i % 3 else "/no/such/route/%d" % i
            c.request("GET", path)
        end = {p: rss_kib(p) for p in pids if p in worker_pids()}
        self.assertEqual(set(end), set(pids), "a worker died during the run")
        for p in pids:
            self.assertLess(end[p] - start[p], 256, "worker %d grew from %d to %d KiB"
                            % (p, start[p], end[p]))


if __name__ == "__main__":
    unittest.main()
