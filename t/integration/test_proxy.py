"""Airflow and proxy users: a ?dagUser= submission belongs to the dagUser and to the account that submitted it."""
import json
import unittest

from bpg import ENV, Client, db, poll, user_client

MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py",
           "driver": {"cores": 1, "memory": "2g"}, "executor": {"instances": 1, "cores": 1, "memory": "2g"}}


def proxy():
    return Client(ENV["BPG_PROXY_USER"], ENV["BPG_PASSWORD"])


def other():
    return Client(ENV["BPG_OTHER_USER"], ENV["BPG_PASSWORD"])


def listed(c, sid, base):
    st, _, r = c.json("GET", "/spark/mySubmissions?limit=1000", base=base)
    if st != 200:
        raise AssertionError(r)
    # /skatev2 answers BPG's shape: a bare list or {"submissions": [...]}
    subs = r if isinstance(r, list) else r["submissions"]
    return sid in [s["submissionId"] for s in subs]


class ProxyUserTest(unittest.TestCase):
    def submit_for_other(self, base=None):
        st, _, r = proxy().json("POST", "/spark?dagUser=" + ENV["BPG_OTHER_USER"], body=json.dumps(MINIMAL),
                                headers={"Content-Type": "application/json"}, base=base)
        self.assertEqual(st, 200, r)
        sid = r["submissionId"]
        row = db("SELECT `user`, original_user FROM application_submission WHERE submission_id='%s'" % sid)
        self.assertEqual(row.split(), [ENV["BPG_OTHER_USER"], ENV["BPG_PROXY_USER"]])
        return sid

    def test_dag_user_and_submitter_both_read_list_and_delete(self):
        for base in (None, "/skatev2"):
            sid = self.submit_for_other(base)
            for c in (other(), proxy()):
                for path in ("/spark/%s/status", "/spark/%s/spec", "/spark/%s/driver"):
                    st, _, r = c.json("GET", path % sid, base=base)
                    self.assertEqual(st, 200, (base, path, r))
                st, h, _ = c.request("GET", "/log?subId=" + sid, base=base)
                self.assertEqual(st, 200, base)
                self.assertTrue(listed(c, sid, base), (base, c.auth))
            # anyone else: 403, and not in their list
            me = user_client()
            self.assertEqual(me.json("GET", "/spark/%s/status" % sid, base=base)[0], 403)
            self.assertEqual(me.json("DELETE", "/spark/%s" % sid, base=base)[0], 403)
            self.assertFalse(listed(me, sid, base))
            # the submitting account deletes it; the dagUser deletes another one
            st, _, r = proxy().json("DELETE", "/spark/%s" % sid, base=base)
            self.assertEqual(st, 200, r)
            sid2 = self.submit_for_other(base)
            st, _, r = other().json("DELETE", "/spark/%s" % sid2, base=base)
            self.assertEqual(st, 200, r)

    def test_dag_user_from_an_account_not_in_proxy_users(self):
        # /apiv2 refuses it (never silently submit as the caller when another owner was asked)
        n = int(db("SELECT COUNT(*) FROM application_submission"))
        st, _, r = user_client().json("POST", "/spark?dagUser=" + ENV["BPG_OTHER_USER"], body=json.dumps(MINIMAL),
                                      headers={"Content-Type": "application/json"})
        self.assertEqual((st, r["code"]), (403, 403), r)
        self.assertIn("proxy_users", r["message"])
        self.assertEqual(int(db("SELECT COUNT(*) FROM application_submission")), n)
        # naming oneself is fine
        st, _, r = user_client().json("POST", "/spark?dagUser=" + ENV["BPG_USER"], body=json.dumps(MINIMAL),
                                      headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, r)
        # /skatev2 ignores it, as the Java gateway did, and says so in a Warning header
        st, h, r = user_client().json("POST", "/spark?dagUser=" + ENV["BPG_OTHER_USER"], body=json.dumps(MINIMAL),
                                      headers={"Content-Type": "application/json"}, base="/skatev2")
        self.assertEqual(st, 200, r)
        self.assertIn("dagUser ignored", h.get("warning", ""))
        row = db("SELECT `user`, original_user FROM application_submission WHERE submission_id='%s'"
                 % r["submissionId"])
        self.assertEqual(row.split(), [ENV["BPG_USER"], ENV["BPG_USER"]])
        self.assertEqual(other().json("GET", "/spark/%s/status" % r["submissionId"])[0], 403)


if __name__ == "__main__":
    unittest.main()
