"""Idempotency-Key (issues 21 and 23): replays, refusals, take-overs of a dead worker's row,
and a retry storm while workers are SIGKILLed in the middle of creates.

What a client may rely on (README, "Retrying a submission"):
- 200 {"submissionId"} means the SparkApplication exists;
- the same key and the same request get the first answer again (Idempotent-Replayed: true);
- the same key with another request is 422 and creates nothing;
- while the first request is still being processed, 409 with Retry-After;
- after a 5xx or a cut connection, retrying the same key is safe: the work is done once.
"""
import json
import os
import random
import signal
import subprocess
import threading
import time
import unittest
import uuid

from bpg import ENV, ROOT, SIM_APPS, Client, db, poll, sim, user_client, worker_pids

MONITOR = os.environ.get("BPG_MONITOR_BIN") or os.path.join(ROOT, "monitor", "bpg-monitor")

REQ = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/app.py",
       "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 1, "cores": 1, "memory": "2g"}}


def submit(key, req=None, c=None, text=None, ctype="application/json"):
    c = c or user_client()
    h = {"Content-Type": ctype}
    if key is not None:
        h["Idempotency-Key"] = key
    return c.json("POST", "/spark", body=text if text is not None else json.dumps(req or REQ), headers=h)


def cr_exists(sid):
    st, _ = sim(sid[:3], "GET", SIM_APPS + "/" + sid)
    return st == 200


def rows_with_key(key):
    return int(db("SELECT COUNT(*) FROM application_submission WHERE idempotency_key='%s'" % key))


def delay_creates(ms):
    for cid in ("c01", "c02"):
        sim(cid, "POST", "/_sim/faults", {"mode": "delay", "delay_ms": ms, "method": "POST",
                                          "path_prefix": "/apis/"}, token=False)


def clear_faults():
    for cid in ("c01", "c02"):
        sim(cid, "DELETE", "/_sim/faults", token=False)


def dead_row(key, sid=None, claim=None, age_s=0):
    """A row as a worker leaves it when it dies between the insert and the create."""
    sid = sid or "c01-" + uuid.uuid4().hex
    db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, original_user, "
       "queue, idempotency_key, claim_owner, created_time) VALUES ('%s','c01','spark-applications','%s','%s',"
       "'root.poc','%s',%s, NOW(3) - INTERVAL %d SECOND)"
       % (sid, ENV["BPG_USER"], ENV["BPG_USER"], key, "'%s'" % claim if claim else "NULL", age_s))
    return sid


class HeldLock:
    """A MariaDB session holding a named lock, like a live worker holds its claim."""

    def __init__(self, name):
        self.p = subprocess.Popen(["mariadb", "--no-defaults", "-uroot", "--socket=" + ENV["MYSQL_SOCKET"],
                                   "-N", "--unbuffered"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.p.stdin.write("SELECT GET_LOCK('%s', 5);\n" % name)
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "1"

    def release(self):
        self.p.stdin.close()
        self.p.wait(10)


class IdempotencyTest(unittest.TestCase):
    def tearDown(self):
        clear_faults()

    def first_submit(self, prefix):
        """A new Idempotency-Key (PREFIX-...) and the submission id of its first submit, a 200."""
        key = prefix + "-" + uuid.uuid4().hex
        st, _, r = submit(key)
        self.assertEqual(st, 200, r)
        return key, r["submissionId"]

    def assert_one_row_and_cr(self, key, sid):
        """The key has one row, and its application exists on the cluster."""
        self.assertEqual(rows_with_key(key), 1)
        self.assertTrue(cr_exists(sid))

    def test_same_request_replays_the_first_answer(self):
        key = "same-" + uuid.uuid4().hex
        st, h, r = submit(key)
        self.assertEqual(st, 200, r)
        self.assertNotIn("idempotent-replayed", h)
        sid = r["submissionId"]
        # the same request with its keys in another order, spaced otherwise: the same request
        text = json.dumps(dict(reversed(list(REQ.items()))), indent=3)
        for _ in range(2):
            st, h, r = submit(key, text=text)
            self.assertEqual((st, r, h.get("idempotent-replayed")), (200, {"submissionId": sid}, "true"))
        self.assert_one_row_and_cr(key, sid)

    def test_same_key_other_request_is_422_and_creates_nothing(self):
        key, sid = self.first_submit("other")
        n = int(db("SELECT COUNT(*) FROM application_submission"))
        other = dict(REQ, mainApplicationFile="s3a://bpg/uploaded/foo/other.py",
                     executor={"instances": 7, "cores": 1, "memory": "2g"})
        st, h, r = submit(key, other)
        self.assertEqual((st, r["code"]), (422, 422), r)
        self.assertIn("Idempotency-Key", r["message"])
        self.assertIn(sid, r["message"])
        self.assertNotIn("idempotent-replayed", h)
        self.assertEqual(int(db("SELECT COUNT(*) FROM application_submission")), n)
        # the key belongs to the user who sent it: acting for someone else is another request
        self.assertEqual(rows_with_key(key), 1)
        # and the first request still replays
        self.assertEqual(submit(key)[2], {"submissionId": sid})

    def test_concurrent_duplicates_while_the_first_is_slow(self):
        key = "slow-" + uuid.uuid4().hex
        delay_creates(1500)
        results = []
        lock = threading.Lock()

        def go(i):
            if i:
                time.sleep(0.2)   # the first request is in its create by then (1.5 s)
            st, h, r = submit(key)
            with lock:
                results.append((st, r, h.get("retry-after")))
        ts = [threading.Thread(target=go, args=(i,)) for i in range(6)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        ok = [r for r in results if r[0] == 200]
        busy = [r for r in results if r[0] == 409]
        self.assertEqual((len(ok), len(busy)), (1, 5), results)
        for st, r, ra in busy:
            self.assertEqual((r["code"], ra), (409, "1"))
            self.assertIn("still being processed", r["message"])
        sid = ok[0][1]["submissionId"]
        clear_faults()
        st, h, r = submit(key)
        self.assertEqual((st, r["submissionId"], h.get("idempotent-replayed")), (200, sid, "true"))
        self.assert_one_row_and_cr(key, sid)

    def test_expired_key_submits_anew(self):
        key, first = self.first_submit("old")
        db("UPDATE application_submission SET created_time = NOW(3) - INTERVAL 25 HOUR "
           "WHERE submission_id='%s'" % first)
        other = dict(REQ, mainApplicationFile="s3a://bpg/uploaded/foo/tomorrow.py")
        st, h, r = submit(key, other)
        self.assertEqual(st, 200, r)
        self.assertNotEqual(r["submissionId"], first)
        self.assertNotIn("idempotent-replayed", h)
        self.assertEqual(db("SELECT idempotency_key IS NULL FROM application_submission WHERE submission_id='%s'"
                            % first).strip(), "1")
        self.assertEqual(rows_with_key(key), 1)

    def test_monitor_frees_expired_keys(self):
        key, sid = self.first_submit("exp")
        db("UPDATE application_submission SET created_time = NOW(3) - INTERVAL 25 HOUR "
           "WHERE submission_id='%s'" % sid)
        p = subprocess.run([MONITOR, ENV["BPG_CONFIG"]], capture_output=True, text=True, timeout=60)
        self.assertIn("bpg-monitor: outcome=", p.stdout, p.stdout + p.stderr)
        self.assertEqual(rows_with_key(key), 0)

    def test_malformed_keys_are_400(self):
        n = int(db("SELECT COUNT(*) FROM application_submission"))
        for bad in ("", "k" * 256, "has space", "tab\tkey"):
            st, _, r = submit(bad)
            self.assertEqual((st, r["code"]), (400, 400), (bad, r))
            self.assertIn("Idempotency-Key", r["message"])
        self.assertEqual(int(db("SELECT COUNT(*) FROM application_submission")), n)

    def test_a_stored_4xx_is_replayed_a_5xx_is_not(self):
        key, sid = self.first_submit("refused")
        # as the gateway stores a create the cluster refused for good (a 4xx)
        first = {"code": 400, "message": "create failed on cluster c01: spec.x: Invalid value"}
        db("UPDATE application_submission SET status='SUBMISSION_FAILED', cr_created_time=NULL, idem_status=400, "
           "idem_response='%s' WHERE submission_id='%s'" % (json.dumps(first), sid))
        st, h, again = submit(key)
        self.assertEqual((st, again, h.get("idempotent-replayed")), (400, first, "true"))
        key = "unavail-" + uuid.uuid4().hex
        for cid in ("c01", "c02"):
            sim(cid, "POST", "/_sim/faults", {"mode": "status", "status": 503, "method": "POST"}, token=False)
        st, _, r = submit(key)
        self.assertEqual(st, 503, r)
        clear_faults()
        st, h, r = submit(key)         # nothing was created: the retry runs the request again
        self.assertEqual(st, 200, r)
        self.assertNotIn("idempotent-replayed", h)
        self.assertTrue(cr_exists(r["submissionId"]))

    def test_retry_takes_over_a_row_whose_worker_died(self):
        key = "dead-" + uuid.uuid4().hex
        sid = dead_row(key, claim="bpg.claim.gone" + uuid.uuid4().hex[:16])
        self.assertFalse(cr_exists(sid))
        st, h, r = submit(key)
        # created now, under the id the dead worker had inserted, before the answer
        self.assertEqual((st, r.get("submissionId")), (200, sid), r)
        self.assertTrue(cr_exists(sid))
        self.assertEqual(db("SELECT cr_created_time IS NOT NULL FROM application_submission "
                            "WHERE submission_id='%s'" % sid).strip(), "1")
        st, h, r = submit(key)
        self.assertEqual((st, r["submissionId"], h.get("idempotent-replayed")), (200, sid, "true"))
        self.assertEqual(rows_with_key(key), 1)

    def test_retry_of_a_live_workers_row_is_409(self):
        key = "live-" + uuid.uuid4().hex
        claim = "bpg.claim.live" + uuid.uuid4().hex[:16]
        held = HeldLock(claim)
        try:
            sid = dead_row(key, claim=claim)
            st, h, r = submit(key)
            self.assertEqual((st, r["code"], h.get("retry-after")), (409, 409, "1"), r)
            self.assertFalse(cr_exists(sid))
        finally:
            held.release()
        # its worker is gone now: the next retry finishes the work
        st, _, r = submit(key)
        self.assertEqual((st, r.get("submissionId")), (200, sid), r)
        self.assertTrue(cr_exists(sid))

    def test_monitor_fails_a_dead_workers_row_and_frees_its_key(self):
        key = "orphan-" + uuid.uuid4().hex
        claim = "bpg.claim.live" + uuid.uuid4().hex[:16]
        dead = dead_row(key, claim="bpg.claim.gone" + uuid.uuid4().hex[:16], age_s=600)
        held = HeldLock(claim)
        try:
            live = dead_row("live-" + key, claim=claim, age_s=600)
            p = subprocess.run([MONITOR, ENV["BPG_CONFIG"]], capture_output=True, text=True,
                               timeout=60)
            self.assertIn("bpg-monitor: outcome=", p.stdout, p.stdout + p.stderr)
            # a live worker's row is left to it, however old
            self.assertEqual(db("SELECT status IS NULL FROM application_submission WHERE submission_id='%s'"
                                % live).strip(), "1")
        finally:
            held.release()
        st, msg = db("SELECT status, error_message FROM application_submission WHERE submission_id='%s'"
                     % dead).rstrip("\n").split("\t")
        self.assertEqual(st, "SUBMISSION_FAILED")
        self.assertIn("stopped before creating it, so nothing ran", msg)
        c = user_client()
        st, _, r = c.json("GET", "/spark/%s/status" % dead)
        self.assertEqual((st, r["applicationState"]), (200, "SUBMISSION_FAILED"), r)
        # the client's retry with its key is a new submission, as the status message says
        st, h, r = submit(key)
        self.assertEqual(st, 200, r)
        self.assertNotEqual(r["submissionId"], dead)
        self.assertTrue(cr_exists(r["submissionId"]))
        db("DELETE FROM application_submission WHERE submission_id='%s'" % live)

    def test_storm_of_retries_while_workers_are_killed(self):
        """Every acknowledged id has exactly one SparkApplication; keys never double; replays are stable."""
        seconds = float(os.environ.get("BPG_STORM_SECONDS", "8"))
        delay_creates(120)
        stop = threading.Event()
        acked = {}          # key -> id
        replays = []        # (key, id of a later replay)
        errors = []
        lock = threading.Lock()

        def client(n):
            c = Client(ENV["BPG_USER"], ENV["BPG_PASSWORD"], timeout=30)
            while not stop.is_set():
                key = "storm-%d-%s" % (n, uuid.uuid4().hex)
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        st, h, r = submit(key, c=c)
                    except Exception:       # a cut connection: retry the same key
                        c.close()
                        continue
                    if st == 200:
                        with lock:
                            if key in acked:
                                replays.append((key, r["submissionId"]))
                            else:
                                acked[key] = r["submissionId"]
                        if key in acked and random.random() < 0.3 and len(replays) < 400:
                            continue         # replay it once more
                        break
                    if st in (409, 502, 503, 504):
                        time.sleep(0.05)
                        continue
                    with lock:
                        errors.append((key, st, r))
                    break

        def killer():
            while not stop.is_set():
                pids = worker_pids()
                if pids:
                    try:
                        os.kill(random.choice(pids), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                stop.wait(0.2)
        ts = [threading.Thread(target=client, args=(i,)) for i in range(6)]
        k = threading.Thread(target=killer)
        for t in ts:
            t.start()
        k.start()
        time.sleep(seconds)
        stop.set()
        k.join()
        for t in ts:
            t.join()
        clear_faults()
        poll(lambda: len(worker_pids()) == int(ENV["BPG_WORKERS"]), 10)
        self.assertEqual(errors, [])
        self.assertGreater(len(acked), 20)
        missing = [(k, i) for k, i in acked.items() if not cr_exists(i)]
        self.assertEqual(missing, [], "acknowledged ids without a SparkApplication")
        for k, i in acked.items():   # one object per id: never on the other cluster too
            other = ("c02" if i.startswith("c01") else "c01")
            self.assertEqual(sim(other, "GET", SIM_APPS + "/" + i)[0], 404)
        doubled = db("SELECT idempotency_key FROM application_submission WHERE idempotency_key LIKE 'storm-%' "
                     "GROUP BY idempotency_key HAVING COUNT(*) > 1")
        self.assertEqual(doubled.strip(), "")
        self.assertEqual([(k, i) for k, i in replays if acked[k] != i], [])
        held = db("SELECT idempotency_key, submission_id FROM application_submission "
                  "WHERE idempotency_key LIKE 'storm-%'")
        owner = dict(line.split("\t") for line in held.strip().splitlines())
        self.assertEqual({k: owner.get(k) for k in acked}, acked)


if __name__ == "__main__":
    unittest.main()
