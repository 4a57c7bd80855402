"""kubesim's HTTP handler: routing, bodies, writes, discovery, OpenAPI, lists and tables."""
import hashlib
import json
import os
import socket
import ssl
import sys
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from .common import (ANN, API, ApiError, GROUP, GV, KIND, PATCH_TYPES, PLURAL, VERSION, bad_request, dig, not_found,
                     rfc3339)
from .fields import json_patch, manager_name, merge_patch
from .openapi import openapi_doc
from .schema import parse_field_selector, parse_label_selector
from .logs import LogsMixin
from .control import ControlMixin


def human_age(seconds):
    """Like k8s.io/apimachinery's duration.HumanDuration."""
    s = int(max(0, seconds))
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 180:
        return "%dm" % m
    h = s // 3600
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    d = h // 24
    if h < 24 * 8:
        return "%dd%dh" % (d, h % 24) if h % 24 else "%dd" % d
    if d < 365 * 2:
        return "%dd" % d
    return "%dy" % (d // 365)


def age(ts):
    try:
        import calendar
        return human_age(time.time() - calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError):
        return "<unknown>"


class Handler(LogsMixin, ControlMixin, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "kubesim/2.0"
    timeout = 600           # idle keep-alive connections are closed after this

    def log_message(self, fmt, *args):
        if os.environ.get("KUBESIM_DEBUG"):
            sys.stderr.write("%s %s\n" % (self.server.cluster.id, fmt % args))

    @property
    def cluster(self):
        return self.server.cluster

    def send_bytes(self, code, data, ctype="application/json", headers=None):
        if self.late:
            late, self.late = self.late, 0
            c = self.cluster
            with c.lock:
                c.delayed += 1
            try:
                time.sleep(late)
            finally:
                with c.lock:
                    c.delayed -= 1
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            if isinstance(v, list):
                for x in v:
                    self.send_header(k, x)
            else:
                self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, code, obj, headers=None):
        self.send_bytes(code, json.dumps(obj).encode(), headers=headers)

    def body(self, required=False):
        if self.body_done:
            return None
        self.body_done = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
                if len(raw) > 8 << 20:
                    raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
        else:
            try:
                n = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.close_connection = True
                raise bad_request("bad Content-Length")
            if n > 8 << 20:
                self.close_connection = True
                raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")
            raw = self.rfile.read(n) if n > 0 else b""
        if not raw.strip():
            if required:
                raise bad_request("the body of the request was empty")
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                              "application/json, application/yaml, application/vnd.kubernetes.protobuf "
                              "(json parse error: %s)" % e)

    def handle_any(self):
        self.body_done = False
        self.late = 0           # seconds to wait before sending an answer already computed
        try:
            u = urlsplit(self.path)
            try:
                q = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
            except ValueError:
                raise bad_request("malformed query string")
            path = u.path
            if path.startswith("/_sim/") or path == "/_sim":
                if not self.client_address[0].startswith("127.") and self.client_address[0] != "::1":
                    raise ApiError(403, "Forbidden", "the control API answers loopback clients only")
                return self.control(path, q)
            if self.fault(path):
                return
            if self.headers.get("Authorization", "") != "Bearer " + self.cluster.token and not (
                    path in ("/version", "/healthz", "/livez", "/readyz") and "Authorization" not in self.headers):
                # like the real server: anonymous clients may read /version and the health checks only
                self.body()
                raise ApiError(401, "Unauthorized", "Unauthorized")
            return self.route(path, q)
        except ApiError as e:
            if not self.body_done:          # keep the connection usable: read what the client sent
                try:
                    self.body()
                except ApiError:
                    self.close_connection = True
            self.send_json(e.code, e.status(), e.headers)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # never crash on a request
            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_json(500, ApiError(500, "InternalError", "Internal error occurred: %s" % e).status())
            except OSError:
                pass

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = do_HEAD = do_OPTIONS = handle_any

    def route(self, path, q):
        c = self.cluster
        m = self.command
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        if m in ("GET", "HEAD") and path in ("/healthz", "/livez", "/readyz"):
            return self.send_bytes(200, b"ok", "text/plain; charset=utf-8")
        if m in ("GET", "HEAD") and self.discovery(path):
            return
        if len(parts) >= 4 and parts[:3] == ["apis", GROUP, VERSION]:
            if parts[3] == PLURAL and len(parts) == 4:
                if m == "GET":
                    return self.list_apps(None, q)
                raise self.not_allowed()
            if parts[3] == "namespaces" and len(parts) >= 6 and parts[5] == PLURAL:
                ns = parts[4]
                if len(parts) == 6:
                    if m == "GET":
                        return self.list_apps(ns, q)
                    if m == "POST":
                        fv = self.field_validation(q)
                        obj, warnings = c.create(ns, self.body(required=True), strict=fv == "Strict",
                                                 manager=self.manager(q))
                        return self.send_bytes(201, c.raw[(ns, obj["metadata"]["name"])],
                                               headers=self.warning_header(warnings, fv))
                    raise self.not_allowed()
                if len(parts) == 7 or (len(parts) == 8 and parts[7] == "status"):
                    name = parts[6]
                    sub = parts[7] if len(parts) == 8 else None
                    if m in ("GET", "HEAD"):
                        with c.lock:
                            obj, raw = c.get(ns, name)
                        delay = (obj["metadata"].get("annotations") or {}).get(ANN + "get-delay-ms")
                        if delay:
                            # the answer is what the object was when the request came, sent later
                            try:
                                self.late = max(0.0, float(delay)) / 1000.0
                            except ValueError:
                                pass
                        return self.send_bytes(200, raw)
                    if m == "DELETE" and sub is None:
                        self.body()
                        gone = c.delete(ns, name)
                        # a custom resource's DELETE answers a Status, not the object (unlike a pod's)
                        return self.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                                    "status": "Success", "details": {
                                                        "name": name, "group": GROUP, "kind": PLURAL,
                                                        "uid": gone["metadata"]["uid"]}})
                    if m in ("PUT", "PATCH"):
                        return self.write(ns, name, sub, q)
                    if sub == "status":
                        self.body()
                        verb = {"POST": "create", "DELETE": "delete"}.get(m, m.lower())
                        raise ApiError(405, "MethodNotAllowed", '%s is not supported on resources of kind "%s.%s"'
                                       % (verb, PLURAL, GROUP), {"group": GROUP, "kind": PLURAL})
                    raise self.not_allowed()
                if len(parts) == 8:
                    # an unknown subresource: the real server answers as if the object were missing
                    self.body()
                    raise not_found(PLURAL, parts[6])
        if len(parts) == 3 and parts[:2] == ["api", "v1"] and parts[2] in ("pods", "events") and m == "GET":
            return self.list_pods(None, q) if parts[2] == "pods" else self.list_events(None, q)
        if parts == ["api", "v1", "namespaces"] and m == "GET":
            items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "uid": str(
                uuid.uuid5(uuid.NAMESPACE_DNS, c.id + "/" + n)), "creationTimestamp": rfc3339(c.clock_real)},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}} for n in c.namespaces]
            if self.wants_table():
                return self.send_json(200, self.table(items, [("Status", "string", lambda o: "Active")]))
            return self.send_json(200, {"apiVersion": "v1", "kind": "NamespaceList",
                                        "metadata": {"resourceVersion": str(c.rv)}, "items": items})
        if len(parts) == 4 and parts[:3] == ["api", "v1", "namespaces"] and m == "GET":
            if parts[3] not in c.namespaces:
                raise not_found("namespaces", parts[3], group="")
            return self.send_json(200, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": parts[3]},
                                        "status": {"phase": "Active"}})
        if len(parts) >= 5 and parts[:3] == ["api", "v1", "namespaces"]:
            ns = parts[3]
            if len(parts) == 5 and parts[4] == "pods" and m == "GET":
                return self.list_pods(ns, q)
            if len(parts) == 5 and parts[4] == "pods" and m == "POST":
                pod = c.create_pod(ns, self.body(required=True), self.manager(q))
                return self.send_json(201, pod)
            if len(parts) == 5 and parts[4] in ("pods", "events") and m != "GET":
                raise self.not_allowed()
            if len(parts) == 6 and parts[4] == "pods":
                if m in ("GET", "HEAD"):
                    with c.lock:
                        p = c.pods.get((ns, parts[5]))
                        if p is None:
                            raise not_found("pods", parts[5], group="")
                        return self.send_json(200, p)
                if m == "DELETE":
                    self.body()
                    return self.send_json(200, c.delete_pod(ns, parts[5]))
                raise self.not_allowed()
            if len(parts) == 7 and parts[4] == "pods" and parts[6] == "log" and m == "GET":
                return self.pod_log(ns, parts[5], q)
            if len(parts) == 5 and parts[4] == "events" and m == "GET":
                return self.list_events(ns, q)
        if parts[:1] == ["api"]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
        # outside /api, what no API group serves: Go's http.NotFound, in plain text (an unknown OpenAPI
        # document: an empty 404)
        try:
            self.body()
        except ApiError:
            self.close_connection = True
        if path.startswith("/openapi/"):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self.send_bytes(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def manager(self, q):
        return manager_name(q.get("fieldManager"), self.headers.get("User-Agent"))

    @staticmethod
    def field_validation(q):
        fv = q.get("fieldValidation", "")
        if fv not in ("", "Ignore", "Warn", "Strict"):
            raise bad_request('fieldValidation: invalid value "%s": must be one of Ignore, Warn, Strict' % fv)
        return fv

    @staticmethod
    def warning_header(warnings, fv):
        if not warnings or fv == "Ignore":
            return None
        return {"Warning": ['299 - "%s"' % w.replace('"', '\\"') for w in warnings]}

    def write(self, ns, name, sub, q):
        """PUT (replace) or PATCH (JSON merge patch, JSON patch) of a SparkApplication or its /status."""
        fv = self.field_validation(q)
        if self.command == "PUT":
            body = self.body(required=True)
            if not isinstance(body, dict):
                raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                                  "application/json, application/yaml")
            change = lambda old: body           # noqa: E731
        else:
            ct = self.headers.get("Content-Type", "").split(";")[0].strip()
            if ct == "application/merge-patch+json":
                p = self.body(required=True)
                change = lambda old: merge_patch(old, p)     # noqa: E731
            elif ct == "application/json-patch+json":
                p = self.body(required=True)
                change = lambda old: json_patch(old, p)      # noqa: E731
            elif ct == "application/apply-patch+yaml":
                self.body_done = True
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                raise ApiError(415, "UnsupportedMediaType", "kubesim: server-side apply is not simulated")
            else:
                self.body_done = True
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                # custom resources have no strategic merge patch
                raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                               "accepted media types include: " + ", ".join(PATCH_TYPES))
        obj, warnings = self.cluster.update(ns, name, change, sub, strict=fv == "Strict",
                                            replace=self.command == "PUT", manager=self.manager(q))
        return self.send_json(200, obj, headers=self.warning_header(warnings, fv))

    def not_allowed(self):
        self.body()
        return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                        {})

    def discovery(self, path):
        gv = {"groupVersion": GV, "version": VERSION}
        if path == "/version":
            self.send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-kubesim",
                                 "gitCommit": "0" * 40, "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
                                 "goVersion": "go1.23.4", "compiler": "gc", "platform": "linux/amd64"})
        elif path == "/api":
            self.send_json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.cluster.port}]})
        elif path == "/api/v1":
            self.send_json(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event",
                 "shortNames": ["ev"], "verbs": ["get", "list"]},
                {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
                 "shortNames": ["ns"], "verbs": ["get", "list"]},
                {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "shortNames": ["po"],
                 "verbs": ["create", "delete", "get", "list"], "categories": ["all"]},
                {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]}]})
        elif path == "/apis":
            self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": GROUP, "versions": [gv], "preferredVersion": gv}]})
        elif path == "/apis/" + GROUP:
            self.send_json(200, {"kind": "APIGroup", "apiVersion": "v1", "name": GROUP, "versions": [gv],
                                 "preferredVersion": gv})
        elif path == API:
            self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GV, "resources": [
                {"name": PLURAL, "singularName": "sparkapplication", "namespaced": True, "kind": KIND,
                 "shortNames": ["sparkapp"], "verbs": ["create", "delete", "get", "list", "patch", "update"],
                 "storageVersionHash": "kubesim0000="},
                {"name": PLURAL + "/status", "singularName": "", "namespaced": True, "kind": KIND,
                 "verbs": ["get", "patch", "update"]}]})
        elif path in ("/openapi/v2", "/openapi/v3", "/openapi/v3/apis/" + GV):
            self.openapi(path)
        else:
            return False
        return True

    def openapi(self, path):
        """/openapi/v3 (discovery), /openapi/v3/apis/GROUP/VERSION and /openapi/v2, in JSON (a client that
        accepts only protobuf gets 406, as kubesim cannot encode it; kubectl then does without)."""
        c = self.cluster
        accept = self.headers.get("Accept", "") or "*/*"
        if not any(a.split(";")[0].strip() in ("*/*", "application/*", "application/json")
                   for a in accept.split(",")):
            raise ApiError(406, "NotAcceptable", "only the following media types are accepted: application/json")
        with c.lock:
            docs = getattr(c, "openapi_docs", None)
            if docs is None:
                v3 = json.dumps(openapi_doc(c.schema.full)).encode()
                h = hashlib.sha512(v3).hexdigest().upper()
                disc = json.dumps({"paths": {"apis/" + GV: {
                    "serverRelativeURL": "/openapi/v3/apis/%s?hash=%s" % (GV, h)}}}).encode()
                docs = c.openapi_docs = {"/openapi/v3": disc, "/openapi/v3/apis/" + GV: v3,
                                         "/openapi/v2": json.dumps(openapi_doc(c.schema.full, v2=True)).encode()}
        self.send_bytes(200, docs[path])

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def table(self, items, columns, md=None):
        """A meta.k8s.io/v1 Table, as kubectl asks for; columns: [(name, type, cell)]."""
        cols = [("Name", "string", lambda o: o["metadata"]["name"])] + list(columns)
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "metadata": md or {"resourceVersion": str(self.cluster.rv)},
                "columnDefinitions": [{"name": n, "type": t, "format": "name" if n == "Name" else "",
                                       "description": n, "priority": 0} for n, t, _ in cols],
                "rows": [{"cells": [f(o) for _, _, f in cols],
                          "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                     "metadata": o["metadata"]}} for o in items]}

    def list_apps(self, ns, q):
        c = self.cluster
        if q.get("watch") in ("true", "1"):
            raise ApiError(405, "MethodNotAllowed", "watch is not supported by kubesim")
        try:
            limit = int(q.get("limit") or 0)
            if limit < 0:
                raise ValueError
        except ValueError:
            raise bad_request("limit: Invalid value: %s: must be a non-negative integer" % q.get("limit"))
        if q.get("continue") and q.get("resourceVersionMatch"):
            raise ApiError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                           "resourceVersionMatch is forbidden when continue is provided",
                           {"group": "meta.k8s.io", "kind": "ListOptions", "causes": [
                               {"reason": "FieldValueForbidden", "field": "resourceVersionMatch", "message":
                                "Forbidden: resourceVersionMatch is forbidden when continue is provided"}]})
        if q.get("continue") and q.get("resourceVersion") not in (None, "", "0"):
            raise bad_request("specifying resource version is not allowed when using continue")
        md, raw, keys = c.list(ns, q.get("labelSelector"), q.get("fieldSelector"), limit, q.get("continue"))
        if self.wants_table():
            with c.lock:
                items = [json.loads(r) for r in raw]
            t = self.table(items, [
                ("Status", "string", lambda o: dig(o, "status", "applicationState", "state")),
                ("Attempts", "string", lambda o: dig(o, "status", "executionAttempts")),
                ("Start", "string", lambda o: dig(o, "status", "lastSubmissionAttemptTime")),
                ("Finish", "string", lambda o: dig(o, "status", "terminationTime")),
                ("Age", "date", lambda o: age(o["metadata"].get("creationTimestamp")))],
                {k: v for k, v in md.items() if v != ""})      # a Table's ListMeta omits an empty continue
            return self.send_json(200, t)
        head = json.dumps({"apiVersion": GV, "kind": KIND + "List", "metadata": md})[:-1].encode()
        self.send_bytes(200, head + b',"items":[' + b",".join(raw) + b"]}")

    def list_pods(self, ns, q):
        c = self.cluster
        sel = parse_label_selector(q.get("labelSelector"))
        fsel = parse_field_selector(q.get("fieldSelector"), ("metadata.name", "metadata.namespace", "status.phase",
                                                               "spec.nodeName"), "pods")
        with c.lock:
            items = [p for k, p in sorted(c.pods.items()) if (ns is None or k[0] == ns)
                     and sel(p["metadata"].get("labels") or {})
                     and fsel({"metadata.name": k[1], "metadata.namespace": k[0], "status.phase": p["status"]["phase"],
                               "spec.nodeName": p["spec"].get("nodeName", "")}.get)]
            rv = str(c.rv)

        def status(o):
            for s in o["status"].get("containerStatuses", []):
                w = s["state"].get("waiting") or s["state"].get("terminated")
                if w and w.get("reason"):
                    return w["reason"]
            return o["status"].get("phase", "")
        if self.wants_table():
            return self.send_json(200, self.table(items, [
                ("Ready", "string", lambda o: "%d/%d" % (sum(1 for s in o["status"].get("containerStatuses", [])
                                                             if s["ready"]), len(o["spec"]["containers"]))),
                ("Status", "string", status), ("Restarts", "string", lambda o: "0"),
                ("Age", "string", lambda o: age(o["metadata"]["creationTimestamp"]))]))
        self.send_json(200, {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": rv},
                             "items": items})

    def list_events(self, ns, q):
        fields = ("involvedObject.name", "involvedObject.kind", "involvedObject.namespace", "involvedObject.uid",
                  "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                  "metadata.name", "metadata.namespace", "type", "reason", "source", "reportingComponent")
        fsel = parse_field_selector(q.get("fieldSelector"), fields, "events")

        def getter(e):
            def g(f):
                if f == "source":
                    return e["source"].get("component")
                a, _, b = f.partition(".")
                if not b:
                    return e.get(a)
                return (e.get(a) or {}).get(b, "")
            return g
        with self.cluster.lock:
            items = [e for e in self.cluster.events if (ns is None or e["metadata"]["namespace"] == ns)
                     and fsel(getter(e))]
            rv = str(self.cluster.rv)
        if self.wants_table():
            return self.send_json(200, self.table(items, [
                ("Last Seen", "string", lambda o: age(o["lastTimestamp"])), ("Type", "string", lambda o: o["type"]),
                ("Reason", "string", lambda o: o["reason"]),
                ("Object", "string", lambda o: "%s/%s" % (o["involvedObject"]["kind"].lower(),
                                                          o["involvedObject"]["name"])),
                ("Message", "string", lambda o: o["message"])]))
        self.send_json(200, {"apiVersion": "v1", "kind": "EventList", "metadata": {"resourceVersion": rv},
                             "items": items})
