"""Idempotency-Key on a create the cluster refuses (issue 33: the submit's key on bpg_idemkey):
a 4xx refusal is kept and replayed to the key's retries (/apiv2 and /livy, each in its own
shape); after a 5xx (the cluster's credentials refused: 502) the key is freed, so a retry runs
the request again. test_idempotency covers the rest (replays, 422, 409, take-overs, storms)."""
import json
import os
import unittest
import uuid

from bpg import ENV, db, sim, user_client

from test_idempotency import REQ, clear_faults, cr_exists, submit
from test_livy import BATCH, livy

CLUSTERS = ("c01", "c02")


def refuse_creates():
    """Both clusters answer a create with 410 Gone: the gateway's 409, a refusal for good."""
    for cid in CLUSTERS:
        sim(cid, "POST", "/_sim/faults", {"mode": "status", "status": 410, "method": "POST",
                                          "path_prefix": "/apis/"}, token=False)


def token_of(cid):
    with open(os.path.join(ENV["KUBESIM_DIR"], cid, "token")) as f:
        return f.read().strip()


def stored(key):
    return db("SELECT idem_status, idem_response IS NOT NULL FROM application_submission "
              "WHERE idempotency_key='%s'" % key).split()


class RefusalTest(unittest.TestCase):
    def tearDown(self):
        clear_faults()

    def test_a_refused_create_is_replayed_to_the_keys_retries(self):
        key = "refused-" + uuid.uuid4().hex
        refuse_creates()
        st, h, first = submit(key)
        self.assertEqual((st, first["code"]), (409, 409), first)
        self.assertIn("create failed on cluster c0", first["message"])
        self.assertNotIn("idempotent-replayed", h)
        self.assertEqual(stored(key), ["409", "1"])      # kept on the row with its key
        clear_faults()
        st, h, again = submit(key)                        # the same request would fail the same way
        self.assertEqual((st, again, h.get("idempotent-replayed")), (409, first, "true"))
        st, _, other = submit(key, dict(REQ, executor={"instances": 3, "cores": 1, "memory": "2g"}))
        self.assertEqual(st, 422, other)

    def test_a_refused_livy_batch_is_replayed_in_livys_shape(self):
        key = "livy-refused-" + uuid.uuid4().hex
        c = user_client()
        refuse_creates()
        st, h, first = livy(c, "POST", "/batches", BATCH, {"Idempotency-Key": key})
        self.assertEqual((st, set(first)), (409, {"msg"}), first)
        self.assertNotIn("idempotent-replayed", h)
        clear_faults()
        st, h, again = livy(c, "POST", "/batches", BATCH, {"Idempotency-Key": key})
        self.assertEqual((st, again, h.get("idempotent-replayed")), (409, first, "true"))

    def test_refused_credentials_free_the_key(self):
        key = "creds-" + uuid.uuid4().hex
        old = {cid: token_of(cid) for cid in CLUSTERS}
        try:
            for cid in CLUSTERS:     # the API servers rotate: the gateway's token is refused
                self.assertEqual(sim(cid, "POST", "/_sim/token", {"token": "rotated-" + uuid.uuid4().hex},
                                     token=False)[0], 200)
            st, _, r = submit(key)
            self.assertEqual((st, r["code"]), (502, 502), r)
            self.assertIn("rejected the gateway's credentials", r["message"])
        finally:
            for cid in CLUSTERS:
                sim(cid, "POST", "/_sim/token", {"token": old[cid]}, token=False)
        self.assertEqual(db("SELECT COUNT(*) FROM application_submission WHERE idempotency_key='%s'"
                            % key).strip(), "0")
        st, h, r = submit(key)       # nothing was created: the retry runs the request again
        self.assertEqual(st, 200, r)
        self.assertNotIn("idempotent-replayed", h)
        self.assertTrue(cr_exists(r["submissionId"]))


if __name__ == "__main__":
    unittest.main()
