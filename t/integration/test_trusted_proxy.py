"""Trusted-proxy mode: User-Account authenticates alone only from [auth] trusted_proxies.

The local stack trusts BPG_TRUSTED_PROXY_ADDR (127.0.0.3); 127.0.0.1 and 127.0.0.2 are
untrusted sources on the same machine (Linux routes all of 127/8 to lo). nginx believes the
X-Forwarded-For of BPG_REAL_IP_PROXY_ADDR (127.0.0.44, a load balancer in front): a forwarded
address never makes its sender a trusted proxy, only the TCP peer counts. Nobody but nginx
may speak FastCGI to the workers: their socket is the stack user's only.
"""
import base64
import errno
import http.client
import json
import os
import pwd
import socket
import stat
import struct
import unittest

from bpg import ENV, Client, db, recv_all

TRUSTED = ENV["BPG_TRUSTED_PROXY_ADDR"]
REAL_IP_PROXY = ENV["BPG_REAL_IP_PROXY_ADDR"]
UNTRUSTED = ("127.0.0.1", "127.0.0.2")
MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py"}


def call(source, method, path, user_header=None, basic=None, body=None, base=None, forwarded=None):
    """One request from the source address; returns (status, body as JSON or bytes)."""
    c = Client()
    conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx, timeout=10, source_address=(source, 0))
    h = {"Content-Type": "application/json"}
    if forwarded is not None:
        h["X-Forwarded-For"] = forwarded
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

    def test_forwarded_trusted_address_is_not_trusted(self):
        # through the load balancer nginx believes, X-Forwarded-For naming the trusted proxy
        # makes $remote_addr that proxy's: the header's user must still not count
        for src in (REAL_IP_PROXY,) + UNTRUSTED:
            for base in (None, "/skatev2"):
                for path in ("/admin/version", "/spark/mySubmissions",
                             "/log?subId=c01-0123456789abcdef0123456789abcdef"):
                    st, r = call(src, "GET", path, user_header=ENV["BPG_ADMIN_USER"], forwarded=TRUSTED,
                                 base=base)
                    self.assertEqual((st, r["code"]), (401, 401), (src, path, r))
                st, r = call(src, "POST", "/s3/fwd.txt?folder=tp", user_header=ENV["BPG_ADMIN_USER"],
                             forwarded=TRUSTED, body=b"x", base=base)
                self.assertEqual((st, r["code"]), (401, 401), src)
            st, r = call(src, "GET", "/ui/config.json", user_header=ENV["BPG_ADMIN_USER"], forwarded=TRUSTED,
                         base="")
            self.assertEqual(st, 401, (src, r))
            st, r = call(src, "GET", "/batches", user_header=ENV["BPG_ADMIN_USER"], forwarded=TRUSTED,
                         base="/livy")
            self.assertEqual(st, 401, (src, r))
        # and the load balancer's forwarding does work: Basic auth through it is fine
        st, r = call(REAL_IP_PROXY, "GET", "/spark/mySubmissions", forwarded="192.0.2.1",
                     basic=(ENV["BPG_USER"], ENV["BPG_PASSWORD"]))
        self.assertEqual(st, 200, r)


def fcgi_params(pairs):
    """FastCGI name-value pairs (all short) as one PARAMS content."""
    out = b""
    for k, v in pairs.items():
        k, v = k.encode(), v.encode()
        out += bytes([len(k)]) if len(k) < 128 else struct.pack(">I", len(k) | 1 << 31)
        out += bytes([len(v)]) if len(v) < 128 else struct.pack(">I", len(v) | 1 << 31)
        out += k + v
    return out


def fcgi_record(kind, content):
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content


def fcgi_get(path, extra):
    """GET path straight to the workers' socket as nginx would; returns (status, body bytes)."""
    params = {"REQUEST_METHOD": "GET", "DOCUMENT_URI": path, "SCRIPT_NAME": path, "QUERY_STRING": "",
              "CONTENT_LENGTH": "", "CONTENT_TYPE": "", "BPG_REQUEST_ID": "fcgi-test"}
    params.update(extra)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(ENV["BPG_FCGI_SOCKET"])
        s.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0)) + fcgi_record(4, fcgi_params(params)) +
                  fcgi_record(4, b"") + fcgi_record(5, b""))
        data = recv_all(s)
    out, at = b"", 0
    while at + 8 <= len(data):
        _, kind, _, n, pad = struct.unpack(">BBHHBx", data[at:at + 8])
        if kind == 6:
            out += data[at + 8:at + 8 + n]
        at += 8 + n + pad
    head, _, body = out.partition(b"\r\n\r\n")
    status = 200
    for line in head.decode().split("\r\n"):
        if line.lower().startswith("status:"):
            status = int(line.split()[1])
    return status, body


class TrustModeTest(unittest.TestCase):
    """nginx and the workers are rendered from the same [auth] trusted_proxies; a worker
    refuses (500) a User-Account nginx passed when the list nginx sends (BPG_TRUST_MODE) is
    not its own. Without the header the list decides nothing: Basic auth is served."""

    def test_same_list_is_served(self):
        st, body = fcgi_get("/apiv2/spark/mySubmissions", {"HTTP_USER_ACCOUNT": ENV["BPG_OTHER_USER"],
                                                           "BPG_PEER_ADDR": TRUSTED,
                                                           "BPG_TRUST_MODE": TRUSTED + "/32"})
        self.assertEqual(st, 200, body)

    def test_other_list_or_none_is_refused(self):
        for mode in ("off", "127.0.0.0/8", TRUSTED + "/32,10.0.0.0/8", None):
            extra = {"HTTP_USER_ACCOUNT": ENV["BPG_OTHER_USER"], "BPG_PEER_ADDR": TRUSTED}
            if mode is not None:
                extra["BPG_TRUST_MODE"] = mode
            st, body = fcgi_get("/apiv2/spark/mySubmissions", extra)
            self.assertEqual(st, 500, (mode, body))
            self.assertIn("trusted_proxies", json.loads(body)["message"])
            # Basic auth alone (no header) is not about the list
            st, body = fcgi_get("/apiv2/spark/mySubmissions", {"REMOTE_USER": ENV["BPG_USER"], "BPG_TRUST_MODE": mode or ""})
            self.assertEqual(st, 200, (mode, body))

    def test_peer_address_decides_not_remote_addr(self):
        # REMOTE_ADDR is the trusted proxy's (as after real-IP rewriting), the TCP peer is not
        st, body = fcgi_get("/apiv2/admin/version", {"HTTP_USER_ACCOUNT": ENV["BPG_ADMIN_USER"],
                                                     "REMOTE_ADDR": TRUSTED, "BPG_PEER_ADDR": REAL_IP_PROXY,
                                                     "BPG_TRUST_MODE": TRUSTED + "/32"})
        self.assertEqual(st, 401, body)
        st, body = fcgi_get("/apiv2/admin/version", {"HTTP_USER_ACCOUNT": ENV["BPG_ADMIN_USER"],
                                                     "REMOTE_ADDR": "127.0.0.9", "BPG_PEER_ADDR": TRUSTED,
                                                     "BPG_TRUST_MODE": TRUSTED + "/32"})
        self.assertEqual(st, 200, body)


class SocketTest(unittest.TestCase):
    """The workers' FastCGI socket (0660) and the stack's password files (0600, 0640) are
    the stack user's (and group's) only."""

    def test_socket_not_open_to_others(self):
        mode = stat.S_IMODE(os.stat(ENV["BPG_FCGI_SOCKET"]).st_mode)
        self.assertEqual(mode & 0o007, 0, oct(mode))

    def test_password_files_not_world_readable(self):
        run = ENV["BPG_RUN_DIR"]
        for path, most in (("etc/users.env", 0o600), ("nginx/htpasswd", 0o640)):
            mode = stat.S_IMODE(os.stat(os.path.join(run, path)).st_mode)
            self.assertEqual(mode & ~most, 0, (path, oct(mode)))

    def test_other_user_is_refused_nginx_is_not(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to become another user (the mode is checked above)")
        nobody = pwd.getpwnam("nobody")
        d, name = os.path.split(ENV["BPG_FCGI_SOCKET"])
        pid = os.fork()
        if pid == 0:
            # the socket's own mode decides: its folder is entered before the uid changes
            code = 99
            try:
                os.chdir(d)
                os.setgroups([])
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(name)
                code = 0
            except OSError as e:
                code = e.errno if e.errno and e.errno < 99 else 98
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), errno.EACCES)
        # nginx (the stack's user) still reaches the workers
        self.assertEqual(call(UNTRUSTED[0], "GET", "/spark/mySubmissions",
                              basic=(ENV["BPG_USER"], ENV["BPG_PASSWORD"]))[0], 200)


if __name__ == "__main__":
    unittest.main()
