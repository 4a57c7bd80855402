"""Uploads have owners (issue 32 item 3): who may write which key, on /apiv2 and /skatev2.

A user creates objects under his own folder (folder=<user> or <user>/...), in a folder an
[upload.NAME] grant gives him (the stack grants "team" to other and to queue etl's users),
or anywhere as an admin; an existing object is replaced only by its recorded owner
(x-amz-meta-bpg-owner) or an admin, one without a recorded owner only by the owner of its
folder or an admin. Every refusal is a 403 JSON body, and the victim's object is read back
from moto with boto3 afterwards: byte for byte what its owner wrote, still his.
"""
import http.client
import json
import os
import unittest
import urllib.parse
import uuid

import botocore.exceptions

from bpg import ENV, Client, admin_client, s3_client, user_client

BUCKET = ENV["S3_BUCKET"]
A, B, ADMIN = ENV["BPG_USER"], ENV["BPG_OTHER_USER"], ENV["BPG_ADMIN_USER"]
SKATE = "/skatev2"
BOUNDARY = "----bpgowner"


def s3():
    return s3_client(addressing_style="path")


def obj(key):
    """(bytes, owner or None) of s3://BUCKET/key as moto keeps it; (None, None) if absent."""
    try:
        r = s3().get_object(Bucket=BUCKET, Key=key)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None, None
        raise
    return r["Body"].read(), r["Metadata"].get("bpg-owner")


def other_client():
    return Client(B, ENV["BPG_OTHER_PASSWORD"])


def octet(data):
    return data, {"Content-Type": "application/octet-stream"}


def form(data):
    """curl -F file=@NAME: one file part."""
    body = (b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"f.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data +
            b"\r\n--" + BOUNDARY.encode() + b"--\r\n")
    return body, {"Content-Type": "multipart/form-data; boundary=" + BOUNDARY}


def up(client, name, folder, data, query="", base=None, shape=octet):
    body, h = shape(data)
    q = "folder=" + urllib.parse.quote(folder, safe="/") if folder is not None else ""
    q += query
    return client.json("POST", "/s3/%s?%s" % (name, q.lstrip("&")), body=body, headers=h,
                       base=base)


def as_proxy(user, name, folder, data, query=""):
    """An upload from the trusted proxy address, for user (User-Account): (status, body)."""
    c = Client()
    conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=10,
                                       source_address=(ENV["BPG_TRUSTED_PROXY_ADDR"], 0))
    conn.request("POST", "%s/s3/%s?folder=%s%s" % (c.base, name, folder, query), body=data,
                 headers={"User-Account": user, "Content-Type": "application/octet-stream"})
    r = conn.getresponse()
    out = r.read()
    conn.close()
    return r.status, json.loads(out)


class OwnerTest(unittest.TestCase):
    def setUp(self):
        self.a, self.b, self.admin = user_client(), other_client(), admin_client()
        self.tag = uuid.uuid4().hex[:10]
        self.afolder = "%s/own%s" % (A, self.tag)
        self.data = os.urandom(3000)
        st, _, r = up(self.a, "a_private.py", self.afolder, self.data)
        self.assertEqual(st, 200, r)
        self.akey = "uploaded/%s/a_private.py" % self.afolder
        self.assertEqual(r["url"], "s3a://%s/%s" % (BUCKET, self.akey))

    def tearDown(self):
        for c in (self.a, self.b, self.admin):
            c.close()

    def assert_forbidden(self, st, body, what):
        self.assertEqual((st, body and body.get("code")), (403, 403), (what, body))
        self.assertIsInstance(body.get("message"), str)

    def assert_intact(self):
        self.assertEqual(obj(self.akey), (self.data, A))

    def test_owner_is_recorded(self):
        self.assertEqual(obj(self.akey), (self.data, A))
        st, _, r = up(self.b, "mine.txt", B, b"b")
        self.assertEqual(st, 200, r)
        self.assertEqual(obj("uploaded/%s/mine.txt" % B), (b"b", B))

    def test_other_user_cannot_overwrite_on_any_path(self):
        """The issue's reproduction: other overwrote demo's object with overwrite=true, and
        on /skatev2 without it."""
        for base in (None, SKATE):
            for query in ("", "&overwrite=true", "&overwrite=false"):
                for shape in (octet, form):
                    st, _, r = up(self.b, "a_private.py", self.afolder, b"evil", query, base, shape)
                    self.assert_forbidden(st, r, (base, query, shape.__name__))
                    self.assertNotIn("evil", r["message"])
        self.assert_intact()

    def test_other_user_cannot_create_in_anothers_folder(self):
        for base in (None, SKATE):
            for folder in (A, self.afolder, self.afolder + "/deeper", A + "/"):
                st, _, r = up(self.b, "new%s.py" % self.tag, folder, b"evil", "", base)
                self.assert_forbidden(st, r, (base, folder))
                self.assertIn("is not yours", r["message"])
        listed = s3().list_objects_v2(Bucket=BUCKET, Prefix="uploaded/%s/" % A)
        self.assertEqual([o["Key"] for o in listed.get("Contents", []) if self.tag in o["Key"] and
                          o["Key"].endswith("new%s.py" % self.tag)], [])
        self.assert_intact()

    def test_a_large_body_is_refused_before_anything_is_stored(self):
        st, _, r = up(self.b, "big.bin", self.afolder, os.urandom(9 << 20), "&overwrite=true")
        self.assert_forbidden(st, r, "9 MiB")
        uploads = s3().list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        self.assertEqual([u["Key"] for u in uploads if self.afolder in u["Key"]], [])
        self.assertEqual(obj("uploaded/%s/big.bin" % self.afolder), (None, None))

    def test_path_tricks(self):
        """Folders that would reach demo's objects: 400 when malformed, 403 when another's;
        a prefix of a user name is not his folder (whole segments), nor another case."""
        bad = ["%s/../%s" % (B, self.afolder), "./" + self.afolder, B + "//" + A, "/" + A,
               B + "/%2F../" + A, "d\u00e9mo", A + "\x00", B + "/..", A + "%2F"]
        for f in bad:
            st, _, r = self.b.json("POST", "/s3/a_private.py?folder=%s&overwrite=true" %
                                   urllib.parse.quote(f, safe="/"), body=b"evil",
                                   headers={"Content-Type": "application/octet-stream"})
            self.assertEqual((st, r["code"]), (400, 400), (f, r))
        # %2F decoded once is a plain '/': the same as asking for demo's folder
        st, _, r = self.b.json("POST", "/s3/a_private.py?folder=%s&overwrite=true" %
                               self.afolder.replace("/", "%2F"), body=b"evil",
                               headers={"Content-Type": "application/octet-stream"})
        self.assert_forbidden(st, r, "%2F")
        for f in (A.capitalize(), A.upper(), A[:-1], A + "x", B[:-1], B + "2", B + "." + A,
                  "uploaded/" + self.afolder):
            st, _, r = up(self.b, "a_private.py", f, b"evil", "&overwrite=true")
            self.assert_forbidden(st, r, f)
        for name in ("..%2F" + A + "%2Fa_private.py", "%2E%2E", "a_private.py%00"):
            st, _, r = self.b.json("POST", "/s3/%s?folder=%s&overwrite=true" % (name, B),
                                   body=b"evil", headers={"Content-Type": "application/octet-stream"})
            self.assertIn(st, (400, 404), (name, r))
        self.assert_intact()
        # the caller's own folder, whole segment, still works
        st, _, r = up(self.b, "ok.txt", "%s/x%s" % (B, self.tag), b"ok")
        self.assertEqual(st, 200, r)

    def test_skatev2_overwrites_only_the_callers_own(self):
        st, _, r = up(self.a, "a_private.py", self.afolder, b"second", "", SKATE)
        self.assertEqual(st, 200, r)
        self.assertEqual(obj(self.akey), (b"second", A))
        st, _, r = up(self.a, "a_private.py", self.afolder, b"third", "&overwrite=false", SKATE)
        self.assertEqual((st, r["code"]), (409, 409), r)
        st, _, r = up(self.b, "a_private.py", self.afolder, b"evil", "", SKATE)
        self.assert_forbidden(st, r, "skatev2")
        self.assertEqual(obj(self.akey), (b"second", A))

    def test_admin_may_write_anywhere(self):
        st, _, r = up(self.admin, "a_private.py", self.afolder, b"by admin", "")
        self.assertEqual((st, r["code"]), (409, 409), r)
        st, _, r = up(self.admin, "a_private.py", self.afolder, b"by admin", "&overwrite=true")
        self.assertEqual(st, 200, r)
        self.assertEqual(obj(self.akey), (b"by admin", ADMIN))
        # the object is the admin's now: its folder's owner may not replace it
        st, _, r = up(self.a, "a_private.py", self.afolder, b"mine again", "&overwrite=true")
        self.assert_forbidden(st, r, "admin's object")
        self.assertIn("belongs to another user", r["message"])
        st, _, r = up(self.admin, "x.txt", "anywhere%s" % self.tag, b"x", base=SKATE)
        self.assertEqual(st, 200, r)

    def test_grants(self):
        team = "team/g%s" % self.tag
        st, _, r = up(self.b, "shared.jar", team, b"by other")
        self.assertEqual(st, 200, r)
        key = "uploaded/%s/shared.jar" % team
        self.assertEqual(obj(key), (b"by other", B))
        # not granted to demo: neither a new object nor the existing one
        for name, query in (("demo.jar", ""), ("shared.jar", "&overwrite=true")):
            for base in (None, SKATE):
                st, _, r = up(self.a, name, team, b"by demo", query, base)
                self.assert_forbidden(st, r, (name, base))
        # whole segments: "team" is granted, "teamx" and "tea" are not
        for f in ("teamx", "tea", "Team"):
            st, _, r = up(self.b, "x.jar", f, b"x")
            self.assert_forbidden(st, r, f)
        # the queue etl's users get it too (etl-bot, through the trusted proxy)
        st, r = as_proxy("etl-bot", "bot.jar", team, b"by bot")
        self.assertEqual(st, 200, r)
        self.assertEqual(obj("uploaded/%s/bot.jar" % team), (b"by bot", "etl-bot"))
        # a granted user may not replace another's object in the shared folder
        st, r = as_proxy("etl-bot", "shared.jar", team, b"by bot", "&overwrite=true")
        self.assert_forbidden(st, r, "etl-bot over other")
        self.assertEqual(obj(key), (b"by other", B))
        st, _, r = up(self.b, "shared.jar", team, b"again", "&overwrite=true")
        self.assertEqual(st, 200, r)
        self.assertEqual(obj(key), (b"again", B))

    def test_objects_without_an_owner(self):
        """Written before owners were recorded: replaced only by their folder's owner (or an
        admin), never through a grant."""
        legacy_a = "uploaded/%s/legacy.txt" % self.afolder
        legacy_team = "uploaded/team/g%s/legacy.txt" % self.tag
        for k in (legacy_a, legacy_team):
            s3().put_object(Bucket=BUCKET, Key=k, Body=b"old")
        st, _, r = up(self.b, "legacy.txt", "team/g%s" % self.tag, b"evil", "&overwrite=true")
        self.assert_forbidden(st, r, "legacy in a granted folder")
        self.assertIn("no recorded owner", r["message"])
        self.assertEqual(obj(legacy_team), (b"old", None))
        st, _, r = up(self.b, "legacy.txt", self.afolder, b"evil", "&overwrite=true")
        self.assert_forbidden(st, r, "legacy in demo's folder")
        self.assertEqual(obj(legacy_a), (b"old", None))
        st, _, r = up(self.a, "legacy.txt", self.afolder, b"new", "&overwrite=true")
        self.assertEqual(st, 200, r)
        self.assertEqual(obj(legacy_a), (b"new", A))
        st, _, r = up(self.admin, "legacy.txt", "team/g%s" % self.tag, b"adm", "&overwrite=true")
        self.assertEqual(st, 200, r)
        self.assertEqual(obj(legacy_team), (b"adm", ADMIN))

    def test_no_folder_goes_under_the_callers_own(self):
        for c, user in ((self.a, A), (self.b, B)):
            for base in (None, SKATE):
                st, _, r = up(c, "nofolder.txt", None, b"n", "", base)
                self.assertEqual(st, 200, r)
                key = r["url"][len("s3a://%s/" % BUCKET):]
                self.assertTrue(key.startswith("uploaded/%s/" % user), key)
                self.assertEqual(obj(key), (b"n", user))

    def test_idempotent_replay_does_not_bypass_ownership(self):
        key = "own-" + uuid.uuid4().hex
        st, _, r = self.b.json("POST", "/s3/a_private.py?folder=%s&overwrite=true" % self.afolder,
                               body=b"evil", headers={"Content-Type": "application/octet-stream",
                                                      "Idempotency-Key": key})
        self.assert_forbidden(st, r, "with a key")
        self.assert_intact()


if __name__ == "__main__":
    unittest.main()
