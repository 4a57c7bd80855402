#!/usr/bin/env python3
"""t/s3/sigv4_oracle.py: botocore's SigV4 signer as the oracle for lib/bpg_sigv4.c.

usage: sigv4_oracle.py write FILE    writes the case list with botocore's answers (the fixture)
       sigv4_oracle.py check FILE    exits 1 if FILE differs from what botocore answers now

Each case holds the inputs bpg_sigv4_sign() takes (path and query unencoded) and the expected
canonical request, Authorization and x-amz-date. botocore gets a URL whose path is encoded by
botocore's own percent_encode (as its S3 serializer does for a key) and the query as a list of
(name, value) pairs; the clock is fixed by replacing botocore.auth.get_current_datetime.
The fixture t/fixtures/sigv4/cases.json is what t/unit/test_bpg_sigv4.c reads.
"""
import datetime
import json
import sys

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.utils

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
T0 = 1764476000          # 2025-11-30T04:13:20Z
RESERVED = "+=&?#%!*'(),;:@$~"


def case(name, method, host, path, params=(), headers=(), payload=EMPTY, region="us-east-1",
         service="s3", ak=AK, sk=SK, token=None, now=T0, scheme="http"):
    return dict(name=name, method=method, scheme=scheme, host=host, path=path,
                params=[list(p) for p in params], headers=[list(h) for h in headers],
                payload=payload, region=region, service=service, access_key=ak,
                secret_key=sk, session_token=token, now=now)


CASES = [
    # The example "GET Object" of the S3 SigV4 documentation (sig-v4-header-based-auth).
    case("aws-doc-get-object", "GET", "examplebucket.s3.amazonaws.com", "/test.txt",
         headers=[("Range", "bytes=0-9")], ak="AKIAIOSFODNN7EXAMPLE",
         sk="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", now=1369353600, scheme="https"),
    case("plain-put", "PUT", "127.0.0.1:27001", "/bucket1/a.txt",
         headers=[("Content-Type", "application/octet-stream")],
         payload="2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
    case("key-with-spaces", "GET", "127.0.0.1:27001", "/bucket1/a b/c  d.txt"),
    case("key-unicode", "PUT", "s3.eu-west-3.amazonaws.com", "/bucket1/été/ü/日本語/😀.bin",
         region="eu-west-3", scheme="https"),
    case("key-reserved", "GET", "127.0.0.1:27001", "/bucket1/r" + RESERVED + "/x"),
    case("key-literal-%20", "DELETE", "127.0.0.1:27001", "/bucket1/lit%20eral%2Fkey"),
    case("key-dots-and-slashes", "GET", "h", "/bucket1/./a/../b//c/"),
    case("root", "GET", "s3.amazonaws.com", "/", scheme="https"),
    case("list-v2", "GET", "127.0.0.1:27001", "/bucket1",
         params=[("list-type", "2"), ("prefix", "logs/2025 11/é+"), ("max-keys", "2"),
                 ("continuation-token", "1/ab+cd==")]),
    case("empty-values", "GET", "127.0.0.1:27001", "/bucket1",
         params=[("uploads", ""), ("prefix", "")]),
    case("repeated-looking", "GET", "h:9000", "/bucket1",
         params=[("a", "2"), ("a ", "1"), ("a", "1"), ("A", "0"), ("a=b", ""), ("a&b", "c")]),
    case("sort-encoded-not-raw", "GET", "h:9000", "/b",
         params=[("_", "1"), ("`", "2"), ("~", "3"), ("-", "4"), ("%", "5")]),
    case("reserved-in-query", "GET", "h:9000", "/b",
         params=[("prefix", RESERVED + " %20/")]),
    case("mpu-create", "POST", "127.0.0.1:27001", "/bucket1/big file.bin",
         params=[("uploads", "")], headers=[("Content-Type", "application/octet-stream")]),
    case("mpu-part", "PUT", "127.0.0.1:27001", "/bucket1/big file.bin",
         params=[("partNumber", "10000"), ("uploadId", "2~Ab/c+d=e")],
         payload="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    case("mpu-complete", "POST", "127.0.0.1:27001", "/bucket1/k",
         params=[("uploadId", "XYZ")], headers=[("content-type", "application/xml")],
         payload="5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"),
    case("mpu-abort", "DELETE", "127.0.0.1:27001", "/bucket1/k", params=[("uploadId", "XYZ")]),
    case("session-token", "GET", "bucket1.s3.us-west-2.amazonaws.com", "/k",
         region="us-west-2", token="FQoGZXIvYXdzEJr//////////wEaDO+/token==", scheme="https"),
    case("unsigned-payload", "PUT", "bucket1.s3.amazonaws.com", "/stream.bin",
         payload="UNSIGNED-PAYLOAD", scheme="https"),
    case("virtual-host-port", "HEAD", "bucket1.minio.local:9000", "/dir/obj"),
    case("path-style-port-443", "GET", "s3.example.com:8443", "/bucket1/obj", scheme="https"),
    case("header-folding", "PUT", "h:9000", "/b/k",
         headers=[("Content-Type", "  text/plain;   charset=utf-8  "), ("X-Amz-Meta-Note", "a\tb  c"),
                  ("x-amz-meta-colon", "k: v")]),
    case("other-service-region", "GET", "sts.eu-central-1.amazonaws.com", "/",
         params=[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
         region="eu-central-1", service="sts", scheme="https"),
    case("midnight-date", "GET", "h", "/b/k", now=1767225599),
]


def expected(c):
    """Returns (canonical request, Authorization, x-amz-date) botocore computes for case c."""
    when = datetime.datetime.fromtimestamp(c["now"], datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda: when
    url = "%s://%s%s" % (c["scheme"], c["host"],
                         botocore.utils.percent_encode(c["path"], safe="/~"))
    headers = {n: v for n, v in c["headers"]}
    if c["payload"] != EMPTY:
        headers["X-Amz-Content-SHA256"] = c["payload"]
    req = botocore.awsrequest.AWSRequest(method=c["method"], url=url, headers=headers,
                                         params=[tuple(p) for p in c["params"]])
    if c["payload"] == "UNSIGNED-PAYLOAD":
        req.context["payload_signing_enabled"] = False
    creds = botocore.credentials.Credentials(c["access_key"], c["secret_key"], c["session_token"])
    auth = botocore.auth.S3SigV4Auth(creds, c["service"], c["region"])
    auth.payload = lambda r: c["payload"]     # the hash the caller gives us, as in our API
    seen = {}
    signer_cr = auth.canonical_request

    def recording_cr(r):
        seen["cr"] = signer_cr(r)
        return seen["cr"]
    auth.canonical_request = recording_cr
    auth.add_auth(req)
    host = botocore.auth._host_from_url(url)
    assert host == c["host"], "the host %r must be as botocore sends it (%r)" % (c["host"], host)
    return seen["cr"], req.headers["Authorization"], req.headers["X-Amz-Date"]


def build():
    out = []
    for c in CASES:
        cr, authz, date = expected(c)
        c = dict(c)
        c.update(canonical=cr, authorization=authz, amz_date=date)
        out.append(c)
    return json.dumps({"generator": "t/s3/sigv4_oracle.py write (botocore's S3SigV4Auth)",
                       "cases": out}, indent=1, ensure_ascii=False) + "\n"


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    text = build()
    if sys.argv[1] == "write":
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text)
        return
    with open(sys.argv[2], encoding="utf-8") as f:
        old = f.read()
    if old != text:
        sys.exit("sigv4_oracle: %s is stale: botocore answers differently now; run "
                 "t/s3/sigv4_oracle.py write %s and review the diff" % (sys.argv[2], sys.argv[2]))
    print("sigv4_oracle: %d cases agree with botocore" % len(CASES))


if __name__ == "__main__":
    main()
