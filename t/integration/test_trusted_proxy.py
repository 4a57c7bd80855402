"""Trusted-proxy mode: User-Account authenticates alone only from [auth] trusted_proxies.

The local stack trusts BPG_TRUSTED_PROXY_ADDR (127.0.0.3); 127.0.0.1 and 127.0.0.2 are
untrusted sources on the same machine (Linux routes all of 127/8 to lo).
"""
import base64
import http.client
import json
import unittest

from bpg import ENV, Client, db

TRUSTED = ENV["BPG_TRUSTED_PROXY_ADDR"]
UNTRUSTED = ("127.0.0.1", "127.0.0.2")
MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py"}


def call(source, method, path, user_header=None, basic=None, body=None, base=None):
    """One request from the source address; returns (status, body as JSON or bytes)."""
    c = Client()
    conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=10, source_address=(source, 0))
    h = {"Content-Type": "application/json"}
    if user_header is not None:
        h["User-Account"] = user_header
    if basic is not None:
        h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % basic).encode()).decode()
    conn.request(method, (c.base if base is None else base) + path, body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def owner(sid):
    return db("SELECT `user` FROM application_submission WHERE submission_id='%s'" % sid).strip()


class TrustedProxyTest(unittest.TestCase):
    def test_trusted_address_authenticates_by_header_alone(self):
        other = ENV["BPG_OTHER_USER"]
        for base in (None, "/skatev2"):
            st, r = call(TRUSTED, "POST", "/spark", user_header=other, body=json.dumps(MINIMAL), base=base)
            self.assertEqual(st, 200, r)
            self.assertEqual(owner(r["submissionId"]), other)
            sid = r["submissionId"]
            # every location: plain, /log (streamed) and /s3 (uploads)
            self.assertEqual(call(TRUSTED, "GET", "/spark/%s/status" % sid, user_header=other, base=base)[0], 200)
            self.assertEqual(call(TRUSTED, "GET", "/log?subId=" + sid, user_header=other, base=base)[0], 200)
            st, r = call(TRUSTED, "POST", "/s3/trusted.txt?folder=%s/tp&overwrite=true" % other,
                         user_header=other, body=b"hello", base=base)
            self.assertEqual(st, 200, r)
            # the owner check still holds for the header's user
            self.assertEqual(call(TRUSTED, "GET", "/spark/%s/status" % sid, user_header=ENV["BPG_USER"],
                                  base=base)[0], 403)
        # admins by header are admins; blocked or malformed names are still 401
        self.assertEqual(call(TRUSTED, "GET", "/admin/version", user_header=ENV["BPG_ADMIN_USER"])[0], 200)
        self.assertEqual(call(TRUSTED, "GET", "/admin/version", user_header=ENV["BPG_USER"])[0], 403)
        for bad in (ENV["BPG_BLOCKED_USER"], "a b", "x" * 200):
            st, r = call(TRUSTED, "GET", "/spark/mySubmissions", user_header=bad)
            self.assertEqual((st, r["code"]), (401, 401), bad)

    def test_trusted_address_without_header_needs_basic(self):
        st, r = call(TRUSTED, "GET", "/spark/mySubmissions")
        self.assertEqual((st, r["code"]), (401, 401))
        st, r = call(TRUSTED, "GET", "/spark/mySubmissions", basic=(ENV["BPG_USER"], "wrong"))
        self.assertEqual((st, r["code"]), (401, 401))
        st, r = call(TRUSTED, "GET", "/spark/mySubmissions", basic=(ENV["BPG_USER"], ENV["BPG_PASSWORD"]))
        self.assertEqual(st, 200, r)

    def test_spoofed_header_from_untrusted_address_is_stripped(self):
        for src in UNTRUSTED:
            for base in (None, "/skatev2"):
                # the header alone: Basic auth applies, so 401
                for path in ("/spark/mySubmissions", "/log?subId=c01-0123456789abcdef0123456789abcdef"):
                    st, r = call(src, "GET", path, user_header=ENV["BPG_ADMIN_USER"], base=base)
                    self.assertEqual((st, r["code"]), (401, 401), (src, path))
                st, r = call(src, "POST", "/s3/spoof.txt?folder=tp", user_header=ENV["BPG_ADMIN_USER"],
                             body=b"x", base=base)
                self.assertEqual((st, r["code"]), (401, 401), src)
                # with Basic auth the Basic user counts, never the header's
                st, r = call(src, "GET", "/admin/version", user_header=ENV["BPG_ADMIN_USER"],
                             basic=(ENV["BPG_USER"], ENV["BPG_PASSWORD"]), base=base)
                self.assertEqual((st, r["code"]), (403, 403), src)
                st, r = call(src, "POST", "/spark", user_header=ENV["BPG_OTHER_USER"],
                             basic=(ENV["BPG_USER"], ENV["BPG_PASSWORD"]), body=json.dumps(MINIMAL), base=base)
                self.assertEqual(st, 200, r)
                self.assertEqual(owner(r["submissionId"]), ENV["BPG_USER"])


if __name__ == "__main__":
    unittest.main()
