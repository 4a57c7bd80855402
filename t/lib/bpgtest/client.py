"""One keep-alive HTTPS connection to the stack's nginx, with Basic credentials."""
import base64
import http.client
import json
import ssl
import urllib.parse


def basic_auth(user, password):
    """The Authorization header value for Basic credentials."""
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class Client:
    """One keep-alive HTTPS connection to nginx (env: a stack.env as a dict), verifying the stack's CA.

    user None: no credentials. retry: a request whose connection fails is sent once more on a new
    one (the integration tests); without it a transport failure raises, or with raise_errors=False
    is a result: status -1 and the error text (bench/faults counts it)."""

    def __init__(self, env, user=None, password=None, timeout=10, retry=True, raise_errors=True):
        u = urllib.parse.urlsplit(env["BPG_URL"])
        self.host, self.port, self.base = u.hostname, u.port, u.path
        self.ctx = ssl.create_default_context(cafile=env["BPG_CACERT"])
        self.timeout = timeout
        self.retry, self.raise_errors = retry, raise_errors
        self.auth = basic_auth(user, password) if user is not None else None
        self.conn = None

    def request(self, method, path, body=None, headers=None, base=None, timeout=None):
        """Returns (status, headers dict lowercased, body bytes). timeout: for a new connection
        (default the client's)."""
        h = dict(headers or {})
        if self.auth and "Authorization" not in h:
            h["Authorization"] = self.auth
        url = (self.base if base is None else base) + path
        for last in ((False, True) if self.retry else (True,)):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                                        timeout=self.timeout if timeout is None else timeout)
            try:
                self.conn.request(method, url, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, data
            except (http.client.HTTPException, OSError) as e:
                self.close()
                if not last:
                    continue
                if self.raise_errors:
                    raise
                return -1, {}, ("%s: %s" % (type(e).__name__, e)).encode()

    def json(self, method, path, **kw):
        status, headers, data = self.request(method, path, **kw)
        return status, headers, json.loads(data) if data else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
