#!/usr/bin/env python3
"""t/s3/motoserver.py: moto's server, its SigV4 check canonicalising the path as AWS does.

usage: motoserver.py [moto.server's arguments: -H HOST -p PORT ...]

moto 5.2 checks a signature over werkzeug's request.url, which percent-decodes the path's
RFC 3986 sub-delims ( ! $ & ' ( ) * + , ; = ), ':', '@' and every non-ASCII byte, and '/'
(%2F) in the query. So a key holding any of them (an upload named a=b.txt, a+b, a@b, a,b, é)
is SignatureDoesNotMatch for every correct client, boto3 included. AWS S3 (and MinIO,
gofakes3) take the path as sent, decode it, and encode every byte outside A-Za-z0-9-._~ and
'/' once: the canonical URI that botocore and lib/bpg_sigv4.c sign; the query likewise, each
name and value. This wrapper makes moto's check start from the request line as sent and do
exactly that, and nothing else: a wrong secret, a changed header or body still fails.
t/s3/test_s3client.py checks both: the unpatched moto still has the quirk, this one not.
"""
import sys
import urllib.parse

import moto.core.authorization as authorization
import moto.core.responses as responses
import moto.server


def aws_encode(raw, safe):
    """raw decoded once, then every byte outside A-Za-z0-9-._~ and safe percent-encoded."""
    return urllib.parse.quote(urllib.parse.unquote_to_bytes(raw), safe=safe)


def aws_query(raw):
    """Each name and value of a raw query string encoded the canonical way."""
    pairs = []
    for item in raw.split("&") if raw else []:
        name, eq, value = item.partition("=")
        pairs.append(aws_encode(name, "~") + eq + aws_encode(value, "~"))
    return "&".join(pairs)


_original = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action
_setup_class = responses.BaseResponse.setup_class


def _setup(self, request, full_url, headers, *args, **kwargs):
    """Keeps the request line's target as the client sent it (werkzeug's RAW_URI)."""
    self.bpg_raw_uri = getattr(request, "environ", {}).get("RAW_URI")
    return _setup_class(self, request, full_url, headers, *args, **kwargs)


def _authenticate(self, iam_request_cls, resource="*"):
    raw = getattr(self, "bpg_raw_uri", None)
    uri = self.uri
    if raw:
        u, r = urllib.parse.urlsplit(uri), urllib.parse.urlsplit(raw)
        self.uri = urllib.parse.urlunsplit((u.scheme, u.netloc, aws_encode(r.path, "/~"),
                                            aws_query(r.query), ""))
    try:
        return _original(self, iam_request_cls, resource)
    finally:
        self.uri = uri


responses.BaseResponse.setup_class = _setup
authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate

if __name__ == "__main__":
    sys.argv[0] = "moto_server"
    sys.exit(moto.server.main())
