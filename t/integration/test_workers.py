"""The FastCGI pool: a killed worker is replaced at once and clients see no failure; SIGTERM
stops an idle worker at once and a busy one after its request."""
import base64
import json
import os
import signal
import threading
import time
import unittest
import uuid

from bpg import ENV, SIM_APPS, Client, poll, rss_kib, sim, user_client, worker_pids

ACCEPT = 43     # x86-64 syscall number of accept(2)


def gone(pid):
    """True once pid has exited (reaped, or a zombie multiwatch has not reaped yet)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        # ProcessLookupError: the file was opened, then the process was reaped before the read
        return True


def syscall(pid):
    """The number of the system call pid is blocked in, or None when it is running."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            first = f.read().split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(first) if first.lstrip("-").isdigit() else None


def memory_holds(pid, needles):
    """The needles found anywhere in pid's writable memory (heap, stacks, anonymous maps);
    None when it cannot be read (not allowed, or the process went away)."""
    found = set()
    try:
        with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
            for line in maps:
                addr, perms = line.split()[:2]
                if not perms.startswith("rw"):
                    continue
                lo, hi = (int(x, 16) for x in addr.split("-"))
                try:
                    mem.seek(lo)
                    chunk = mem.read(hi - lo)
                except OSError:
                    continue   # a guard page or a map gone meanwhile
                found.update(n for n in needles if n in chunk)
    except (PermissionError, FileNotFoundError, ProcessLookupError):
        return None
    return found


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

    def count(self, since=None):
        """Requests answered so far (sent after since, a time.monotonic(), when given)."""
        with self.lock:
            return len(self.results) if since is None else sum(1 for r in self.results if r[0] > since)

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
            self.assertTrue(poll(lambda: s.count() >= 20, 30), "the stream did not start")
            victim = before[0]
            os.kill(victim, signal.SIGKILL)
            replaced = poll(lambda: len(set(worker_pids()) - set(before)) == 1 and
                            victim not in worker_pids(), 10, 0.01)
            t_replaced = time.monotonic()
            # enough requests after the replacement to prove the pool is whole again
            after = poll(lambda: s.count(since=t_replaced) >= 50, 60)
        self.assertTrue(replaced, "no replacement worker within 10 s")
        self.assertTrue(after, "fewer than 50 requests after the replacement in 60 s")
        # nginx retries a GET whose worker died mid-request: nothing should fail at all
        self.assertEqual([r for r in s.results if r[1] != 200], [], "requests failed around the kill")

    def test_all_workers_killed_replacements_serve(self):
        before = worker_pids()
        for p in before:
            os.kill(p, signal.SIGKILL)
        c = user_client()

        def served():
            try:
                return c.request("GET", "/healthcheck/status")[0] == 200
            except Exception:
                return False
        self.assertTrue(poll(served, 10, 0.02), "no new worker served within 10 s")
        self.assertTrue(set(worker_pids()).isdisjoint(before))
        self.assertTrue(poll(lambda: len(worker_pids()) == len(before), 10))

    def test_sigterm_stops_an_idle_worker_at_once(self):
        before = worker_pids()
        # an idle worker sits in accept(); SIGTERM there must not be retried away
        self.assertTrue(poll(lambda: syscall(before[0]) == ACCEPT, 5, 0.01))
        victim = before[0]
        os.kill(victim, signal.SIGTERM)
        self.assertTrue(poll(lambda: gone(victim), 2.0, 0.005), "an idle worker outlived SIGTERM by 2 s")
        # multiwatch starts a replacement, and the pool serves
        self.assertTrue(poll(lambda: len(worker_pids()) == len(before) and victim not in worker_pids(), 5.0))
        self.assertEqual(user_client().request("GET", "/healthcheck/status")[0], 200)

    def test_sigterm_lets_a_busy_worker_finish_its_request(self):
        # c01 holds every create for 3 s: a POST /spark (never retried by nginx) keeps one worker busy
        sim("c01", "POST", "/_sim/faults", {"mode": "delay", "delay_ms": 3000, "method": "POST",
                                            "path_prefix": SIM_APPS}, token=False)
        out = {}
        body = json.dumps({"sparkVersion": "3.5", "queue": "open",
                           "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
                           "driver": {"cores": 1, "memory": "2g"},
                           "executor": {"instances": 1, "cores": 1, "memory": "2g"}})

        def submit():
            c = Client(ENV["BPG_USER"], ENV["BPG_PASSWORD"], timeout=60)
            out["reply"] = c.json("POST", "/spark", body=body,
                                  headers={"Idempotency-Key": "term-" + uuid.uuid4().hex})
        t = threading.Thread(target=submit, daemon=True)
        before = worker_pids()
        try:
            t.start()
            hit = poll(lambda: any(f.get("hits") for f in sim("c01", "GET", "/_sim/faults", token=False)[1]["faults"]),
                       10, 0.01)
            self.assertTrue(hit, "the create never reached c01")
        finally:
            sim("c01", "DELETE", "/_sim/faults", token=False)   # the held create goes on
        busy = [p for p in before if syscall(p) != ACCEPT]
        self.assertEqual(len(busy), 1, "expected one busy worker: %r" % [(p, syscall(p)) for p in before])
        os.kill(busy[0], signal.SIGTERM)
        t.join(30)
        self.assertFalse(t.is_alive(), "the submit never answered")
        st, _, r = out["reply"]
        self.assertEqual(st, 200, r)                    # the whole answer, not a 502
        self.assertTrue(r["submissionId"].startswith("c01-"), r)
        self.assertTrue(poll(lambda: gone(busy[0]), 5.0, 0.005), "the busy worker did not exit after its request")
        self.assertTrue(poll(lambda: len(worker_pids()) == len(before) and busy[0] not in worker_pids(), 5.0))

    def test_no_worker_ever_holds_a_users_password(self):
        """nginx checks Basic auth and passes the worker the user's name, never the
        Authorization header: after requests of every kind no worker's memory holds the
        password, plain or base64 (freed memory is still memory)."""
        pw = ENV["BPG_PASSWORD"].encode()
        needles = [pw, base64.b64encode(b"%s:%s" % (ENV["BPG_USER"].encode(), pw))]
        c = user_client()
        for path in ["/healthcheck/status", "/spark/mySubmissions?limit=5", "/spark/c01-nosuch/status",
                     "/no/such/route"]:
            for _ in range(20):     # every worker, very likely
                c.request("GET", path)
        c.request("POST", "/spark", body="{not json", headers={"Content-Type": "application/json"})
        held = {pid: memory_holds(pid, needles) for pid in worker_pids()}
        if all(h is None for h in held.values()):
            self.skipTest("workers' memory not readable here (needs root or ptrace rights)")
        self.assertEqual({pid: h for pid, h in held.items() if h}, {})

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
