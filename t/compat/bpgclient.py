"""bpgclient: a small client of the Java Batch Processing Gateway, written the way BPG's README
and getting-started guide use its API (base URL .../skatev2, Basic auth, JSON or YAML bodies,
poll status until a final state, read the log, upload artifacts, list submissions). It knows
nothing of this gateway's extensions: no paging cursor, no Idempotency-Key, no dryRun.
Standard library only, so it runs wherever BPG's users run their scripts.
"""
import base64
import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

FINAL_STATES = ("COMPLETED", "FAILED", "SUBMISSION_FAILED")


class BpgError(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %d: %s" % (status, body[:300]))
        self.status = status
        self.body = body
        try:
            self.json = json.loads(body)
        except ValueError:
            self.json = None


class BpgClient:
    """One user of BPG: url is the base (https://host/skatev2)."""

    def __init__(self, url, user, password, cafile=None, timeout=60):
        self.url = url.rstrip("/")
        self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.timeout = timeout

    def call(self, method, path, body=None, content_type=None, raw=False, headers=None):
        """One request; the answer as JSON (or bytes with raw); BpgError for 4xx/5xx."""
        h = {"Authorization": self.auth}
        if content_type:
            h["Content-Type"] = content_type
        h.update(headers or {})
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=self.timeout) as r:
                data = r.read()
                self.last_headers = r.headers
        except urllib.error.HTTPError as e:
            raise BpgError(e.code, e.read().decode("utf-8", "replace"))
        return data if raw else json.loads(data)

    # --- the getting-started flow ---
    def upload(self, name, data, folder=None):
        """POST /s3/{name}?folder=F with the bytes; returns the s3a:// URL to use in a submit."""
        q = "?folder=" + urllib.parse.quote(folder) if folder else ""
        return self.call("POST", "/s3/%s%s" % (urllib.parse.quote(name), q), body=data,
                         content_type="application/octet-stream")["url"]

    def submit(self, request, dag_user=None):
        """POST /spark with a JSON request (a dict); returns the submission id."""
        q = "?dagUser=" + urllib.parse.quote(dag_user) if dag_user else ""
        return self.call("POST", "/spark" + q, body=json.dumps(request).encode(),
                         content_type="application/json")["submissionId"]

    def submit_yaml(self, text, dag_user=None):
        """POST /spark with a YAML request (Content-Type: text/yaml, as BPG's README shows)."""
        q = "?dagUser=" + urllib.parse.quote(dag_user) if dag_user else ""
        return self.call("POST", "/spark" + q, body=text.encode(), content_type="text/yaml")["submissionId"]

    def status(self, sid):
        return self.call("GET", "/spark/%s/status" % sid)

    def wait(self, sid, timeout=120, interval=1.0):
        """Polls the status until a final state, as BPG's Airflow operator does."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status(sid)
            if st.get("applicationState") in FINAL_STATES:
                return st
            if time.monotonic() > deadline:
                raise TimeoutError("%s still %s" % (sid, st.get("applicationState")))
            time.sleep(interval)

    def spec(self, sid):
        return self.call("GET", "/spark/%s/spec" % sid)

    def driver(self, sid):
        return self.call("GET", "/spark/%s/driver" % sid)

    def describe(self, sid):
        return self.call("GET", "/spark/%s/describe" % sid, raw=True).decode()

    def log(self, sid=None, app_id=None, executor=None):
        q = {"subId": sid or "", "appId": app_id or ""}
        if executor is not None:
            q["execId"] = str(executor)
        return self.call("GET", "/log?" + urllib.parse.urlencode(q), raw=True)

    def my_submissions(self):
        """Every submission of the caller: BPG answers them all at once (no paging)."""
        return self.call("GET", "/spark/mySubmissions")["submissions"]

    def admin_submissions(self, name=None):
        """GET /admin/submissions: one SubmissionSummary per line (NDJSON)."""
        q = "?name=" + urllib.parse.quote(name) if name else ""
        text = self.call("GET", "/admin/submissions" + q, raw=True).decode()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def delete(self, sid):
        return self.call("DELETE", "/spark/%s" % sid)

    def health(self):
        return self.call("GET", "/healthcheck/status")

    def version(self):
        return self.call("GET", "/admin/version")
