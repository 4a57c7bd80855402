#!/usr/bin/env python3
"""kubesim: a Kubernetes API server simulator with a Spark operator inside, for bpg's tests.

usage: kubesim.py --dir DIR --cluster ID:PORT:NS1[,NS2...] [--cluster ...] [--speed F]
                  [--crd-dir PATH] [--host 127.0.0.1]

Each cluster listens on its own port with its own CA-signed TLS certificate and bearer token
(DIR/ID/ca.crt, tls.crt, tls.key, token), serves what bpg and kubectl need of the API
(discovery, SparkApplications, pods and their logs, events), and runs a simulated Spark
operator that moves applications through the operator's states on a clock that runs
--speed simulated seconds per real second. DIR/kubeconfig has one context per cluster;
DIR/ready appears when every listener is up. A control API under /_sim/ (no token, loopback
clients only) injects faults, bulk-creates objects and drives the clock. See t/kubesim/README.md.
"""
import argparse
import base64
import copy
import gc
import hashlib
import heapq
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

GROUP, VERSION, PLURAL, KIND = "sparkoperator.k8s.io", "v1beta2", "sparkapplications", "SparkApplication"
GV = "%s/%s" % (GROUP, VERSION)
API = "/apis/" + GV
ANN = "kubesim.bpg.dev/"
TERMINAL = ("COMPLETED", "FAILED")     # the operator's only final states (its util.IsTerminated)
STATES = ("", "SUBMITTED", "RUNNING", "SUCCEEDING", "COMPLETED", "FAILING", "FAILED", "SUBMISSION_FAILED",
          "PENDING_RERUN", "INVALIDATING", "UNKNOWN", "SUSPENDING", "SUSPENDED", "RESUMING")
OUTCOMES = ("success", "fail", "submission-fail", "hang", "manual")
RETRY_INTERVAL = 5      # seconds: the operator's webhook default for on(Submission)FailureRetryInterval
MANY = 1 << 30          # "every" submission/attempt fails
DRIVER_C, EXEC_C = "spark-kubernetes-driver", "spark-kubernetes-executor"
# simulated durations (seconds) of the default lifecycle
T_ADD, T_SUBMITTED, T_RUN, T_ENDING, T_KILL = 0.5, 2.0, 5.0, 1.0, 0.5
CONFLICT_MSG = ('Operation cannot be fulfilled on %s.%s "%%s": the object has been modified; please apply your changes '
                "to the latest version and try again" % (PLURAL, GROUP))
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
DEFAULT_LOG_BYTES = 20000
DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
SUB_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
           "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
                   "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
                   "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
LABEL_NAME_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                  "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
EXPIRED_MSG = ("The provided continue parameter is too old to display a consistent list result. You can start a new "
               "list without the continue parameter, or use the continue token in this response to retrieve the "
               "remainder of the results. Continuing with the provided token results in an inconsistent list - "
               "objects that were created, modified, or deleted between the time the first chunk was returned and "
               "now may show up in the list.")
CONTINUE_TTL = 300.0    # real seconds a continue token stays valid (etcd compaction is every 5 minutes)


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def new_uid():
    """A random (version 4) UUID string; faster than uuid.uuid4() for bulk creation."""
    h = os.urandom(16).hex()
    return "%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) & 3], h[17:20], h[20:32])


def spark_mem_mib(v, overhead=True):
    """A Spark memory setting ("1g", "512m") as the pod's memory in MiB, with Spark's default overhead."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)b?\s*$", str(v or "1g").lower())
    mib = 1024.0
    if m:
        mib = float(m.group(1)) * {"": 1.0 / (1 << 20), "k": 1.0 / 1024, "m": 1, "g": 1024, "t": 1 << 20,
                                   "p": 1 << 30}[m.group(2)]
    return int(mib + (max(384, mib * 0.1) if overhead else 0))


def gotype(v):
    """The JSON type name the real API server's validator reports for a value."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def goval(v):
    """A value as the API server quotes it in a field error."""
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (dict, list)):
        return '"%s"' % gotype(v)
    return json.dumps(v)


class ApiError(Exception):
    """An error answered as a metav1.Status."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details
        self.headers = headers or {}
        self.metadata = None        # the Status's ListMeta (a 410 Expired carries a fresh continue token)

    def status(self):
        s = {"kind": "Status", "apiVersion": "v1", "metadata": self.metadata or {}, "status": "Failure",
             "message": self.message}
        if self.reason is not None:
            s["reason"] = self.reason
        if self.details is not None:
            s["details"] = self.details
        s["code"] = self.code
        return s


def not_found(resource, name, group=GROUP):
    full = "%s.%s" % (resource, group) if group else resource
    details = {"name": name, "group": group, "kind": resource} if group else {"name": name, "kind": resource}
    return ApiError(404, "NotFound", '%s "%s" not found' % (full, name), details)


def invalid(name, causes):
    """422 Invalid as the API server words it; causes: [(reason, field, message)]."""
    errs = ["%s: %s" % (f, m) for _, f, m in causes]
    agg = errs[0] if len(errs) == 1 else "[%s]" % ", ".join(errs)
    return ApiError(422, "Invalid", '%s.%s "%s" is invalid: %s' % (KIND, GROUP, name, agg),
                    {"name": name, "group": GROUP, "kind": KIND,
                     "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]})


def bad_request(msg):
    return ApiError(400, "BadRequest", msg)


def unprocessable(msg):
    """What the API server answers when a JSON patch does not apply (apimachinery's NewGenericServerResponse):
    a generic message and empty details -- msg, why the patch failed, is not sent, as the real server keeps
    it to itself; kubesim prints it with KUBESIM_DEBUG."""
    if os.environ.get("KUBESIM_DEBUG"):
        sys.stderr.write("json patch: %s\n" % msg)
    return ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {})


# --- managedFields, as kube-apiserver's field manager records an Update --------------------------

def fset(v):
    """A value's fields in the FieldsV1 encoding: a non-empty map is {".": {}, "f:KEY": ...}; anything else
    (lists included: the CRD declares none associative) is a leaf {}."""
    if isinstance(v, dict) and v:
        d = {"f:" + k: fset(x) for k, x in v.items()}
        d["."] = {}
        return d
    return {}


def fdiff(old, new):
    """The fields of new that are set or changed compared with old (both maps): what an Update takes over."""
    out = {}
    for k, v in new.items():
        o = old.get(k, fdiff) if isinstance(old, dict) else fdiff
        if isinstance(v, dict) and isinstance(o, dict) and v and o:
            d = fdiff(o, v)
            if d:
                out["f:" + k] = d
        elif o is fdiff or o != v:
            out["f:" + k] = fset(v)
    return out


def fmerge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = fmerge(out[k], v) if k in out else v
    return out


def object_fields(obj, sub=None):
    """The fields an object sets, as a create records them: metadata's labels and annotations, and every
    top-level field but apiVersion, kind and metadata (status only for sub "status")."""
    f = {}
    md = {k: fset(v) for k, v in (obj.get("metadata") or {}).items() if k in ("labels", "annotations")}
    if md:
        f["f:metadata"] = {"f:" + k: v for k, v in md.items()}
    for k, v in obj.items():
        if k not in ("apiVersion", "kind", "metadata") and (k == "status") == (sub == "status"):
            f["f:" + k] = fset(v)
    return f


def changed_fields(old, new, sub=None):
    """What an Update of old to new sets: labels/annotations and the spec (or, for sub "status", the status)."""
    f = {}
    omd, nmd = old.get("metadata") or {}, new.get("metadata") or {}
    md = fdiff({k: omd.get(k) for k in ("labels", "annotations") if k in omd},
               {k: v for k, v in nmd.items() if k in ("labels", "annotations")})
    if md:
        f["f:metadata"] = md
    f.update(fdiff({k: v for k, v in old.items() if k not in ("apiVersion", "kind", "metadata")
                    and (k == "status") == (sub == "status")},
                   {k: v for k, v in new.items() if k not in ("apiVersion", "kind", "metadata")
                    and (k == "status") == (sub == "status")}))
    return f


def managed(entries, manager, fields, api_version, sub=None, t=None):
    """entries with manager's Update entry (for sub) taking fields: a new list, the old one unchanged."""
    out, mine = [], None
    for e in entries or []:
        if e.get("manager") == manager and e.get("operation") == "Update" and e.get("subresource") == sub:
            mine = e
        else:
            out.append(e)
    if mine is not None:
        fields = fmerge(mine.get("fieldsV1") or {}, fields)
    if not fields:
        return list(entries or [])
    e = {"manager": manager, "operation": "Update", "apiVersion": api_version, "time": rfc3339(t or time.time()),
         "fieldsType": "FieldsV1", "fieldsV1": fields}
    if sub:
        e["subresource"] = sub
    out.append(e)
    return out


def pod_fields(md, spec):
    """A created pod's fields as the real server records them (the pod's typed schema, roughly): the spec
    after defaulting, its fields leaves but for containers, a list keyed by name; nodeSelector is atomic."""
    f = {}
    m = {"f:" + k: fset(v) for k, v in md.items() if k in ("labels", "annotations")}
    if m:
        f["f:metadata"] = m
    sp = {}
    for k, v in spec.items():
        if k == "containers":
            sp["f:containers"] = {'k:{"name":%s}' % json.dumps(c["name"]): dict(
                {"f:" + ck: fset(cv) for ck, cv in c.items()}, **{".": {}}) for c in v}
        else:
            sp["f:" + k] = {}
    if sp:
        f["f:spec"] = sp
    return f


def manager_name(field_manager, user_agent):
    """The field manager the real server records: ?fieldManager=, else the User-Agent up to its first "/",
    printable characters only, at most 128 bytes; "unknown" when that leaves nothing."""
    if field_manager:
        return field_manager
    out = ""
    for ch in (user_agent or "").split("/")[0]:
        if not ch.isprintable():
            continue
        if len((out + ch).encode()) > 128:
            break
        out += ch
    return out or "unknown"


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch; returns a new value (target is not changed)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(doc, ops):
    """RFC 6902 JSON patch, worded as the API server's (evanphx/json-patch) errors; returns a new document."""
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal %s into Go value of type jsonpatch.Patch" % gotype(ops))
    doc = copy.deepcopy(doc)

    def tokens(path, what):
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise unprocessable("%s operation does not apply: doc is missing path: %s: missing value" % (what, path))
        return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")] if path else []

    def walk(toks, what, path):
        cur = doc
        for t in toks[:-1]:
            if isinstance(cur, dict) and t in cur:
                cur = cur[t]
            elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
                cur = cur[int(t)]
            else:
                raise unprocessable("%s operation does not apply: doc is missing path: \"%s\": missing value"
                                    % (what, path))
        return cur, toks[-1]

    def get(path, what):
        toks = tokens(path, what)
        if not toks:
            return doc
        cur, last = walk(toks, what, path)
        if isinstance(cur, dict) and last in cur:
            return cur[last]
        if isinstance(cur, list) and last.isdigit() and int(last) < len(cur):
            return cur[int(last)]
        raise unprocessable("%s operation does not apply: doc is missing key: %s: missing value" % (what, path))

    def remove(path, what="remove"):
        toks = tokens(path, what)
        cur, last = walk(toks, what, path)
        if isinstance(cur, dict) and last in cur:
            return cur.pop(last)
        if isinstance(cur, list) and last.isdigit() and int(last) < len(cur):
            return cur.pop(int(last))
        raise unprocessable("Unable to remove nonexistent key: %s: missing value" % last)

    def add(path, value, what="add"):
        nonlocal doc
        toks = tokens(path, what)
        if not toks:
            doc = value
            return
        cur, last = walk(toks, what, path)
        if isinstance(cur, dict):
            cur[last] = value
        elif isinstance(cur, list) and (last == "-" or (last.isdigit() and int(last) <= len(cur))):
            cur.insert(len(cur) if last == "-" else int(last), value)
        else:
            raise unprocessable("%s operation does not apply: doc is missing path: \"%s\": missing value"
                                % (what, path))
    for op in ops:
        if not isinstance(op, dict):
            raise bad_request("json: cannot unmarshal %s into Go value of type jsonpatch.Operation" % gotype(op))
        kind, path = op.get("op"), op.get("path")
        if kind == "add":
            add(path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            remove(path)
        elif kind == "replace":
            get(path, "replace")
            remove(path, "replace")
            add(path, copy.deepcopy(op.get("value")), "replace")
        elif kind in ("move", "copy"):
            v = get(op.get("from"), kind)
            if kind == "move":
                remove(op.get("from"), kind)
            add(path, copy.deepcopy(v), kind)
        elif kind == "test":
            try:
                v = get(path, "test")
            except ApiError:
                v = None
            if v != op.get("value"):
                raise unprocessable("testing value %s failed: test failed" % path)
        else:
            raise unprocessable("Unexpected kind: %s" % kind)
    return doc


# --- OpenAPI documents (what kubectl reads to validate, explain and choose a patch type) ----------

def _oapi(schema, v2=False):
    """A JSON Schema (draft 7, as in ../shared/crd) as OpenAPI: nullable instead of type lists."""
    if isinstance(schema, list):
        return [_oapi(x, v2) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in ("$schema", "title"):
            continue
        if k == "type" and isinstance(v, list):
            ts = [t for t in v if t != "null"]
            out["type"] = ts[0] if ts else "object"
            if "null" in v and not v2:
                out["nullable"] = True
        elif k == "properties" and isinstance(v, dict):
            out[k] = {pk: _oapi(pv, v2) for pk, pv in v.items()}
        else:
            out[k] = _oapi(v, v2)
    return out


def openapi_doc(schema_full, v2=False):
    """The per-group-version OpenAPI document (/openapi/v3/apis/GROUP/VERSION, or the v2 swagger)."""
    pre = "io.k8s.sparkoperator." + VERSION + "."
    meta = "io.k8s.apimachinery.pkg.apis.meta.v1."
    ref = (lambda n: {"$ref": "#/definitions/" + n}) if v2 else (lambda n: {"$ref": "#/components/schemas/" + n})
    gvk = {"group": GROUP, "version": VERSION, "kind": KIND}
    app = _oapi(schema_full, v2) if schema_full else {
        "type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                         "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}
    app = dict(app)
    app["properties"] = dict(app.get("properties") or {})
    app["properties"].update({
        "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this object."},
        "kind": {"type": "string", "description": "Kind is a string value representing the REST resource."},
        "metadata": ref(meta + "ObjectMeta") if v2 else {"allOf": [ref(meta + "ObjectMeta")], "description":
                                                          "Standard object's metadata."}})
    app["x-kubernetes-group-version-kind"] = [gvk]
    strmap = {"type": "object", "additionalProperties": {"type": "string"}}
    schemas = {
        pre + KIND: app,
        pre + KIND + "List": {"type": "object", "required": ["items"], "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "items": {"type": "array", "items": ref(pre + KIND)}, "metadata": ref(meta + "ListMeta")},
            "x-kubernetes-group-version-kind": [dict(gvk, kind=KIND + "List")]},
        meta + "ObjectMeta": {"type": "object", "description": "ObjectMeta is metadata that all persisted resources "
                              "must have.", "properties": {
                                  "name": {"type": "string"}, "generateName": {"type": "string"},
                                  "namespace": {"type": "string"}, "uid": {"type": "string"},
                                  "resourceVersion": {"type": "string"},
                                  "generation": {"type": "integer", "format": "int64"},
                                  "creationTimestamp": {"type": "string", "format": "date-time"},
                                  "deletionTimestamp": {"type": "string", "format": "date-time"},
                                  "labels": strmap, "annotations": strmap,
                                  "finalizers": {"type": "array", "items": {"type": "string"}},
                                  "ownerReferences": {"type": "array", "items": {"type": "object"}},
                                  "managedFields": {"type": "array", "items": {"type": "object"}}}},
        meta + "ListMeta": {"type": "object", "properties": {
            "continue": {"type": "string"}, "remainingItemCount": {"type": "integer", "format": "int64"},
            "resourceVersion": {"type": "string"}}},
        meta + "Status": {"type": "object", "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "code": {"type": "integer"},
            "message": {"type": "string"}, "reason": {"type": "string"}, "status": {"type": "string"},
            "details": {"type": "object"}, "metadata": ref(meta + "ListMeta")},
            "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Status"}]},
        meta + "Patch": {"type": "object"},
        meta + "DeleteOptions": {"type": "object"},
    }

    def param(name, where="query", typ="string", required=False):
        p = {"name": name, "in": where, "description": name}
        if v2:
            p["type"] = typ
        else:
            p["schema"] = {"type": typ}
        if required:
            p["required"] = True
        return p
    common = [param("pretty")]
    write = [param("dryRun"), param("fieldManager"), param("fieldValidation")]

    def op(action, oid, body=None, params=(), resp=pre + KIND, codes=("200",)):
        o = {"tags": [GROUP.split(".")[0] + "_" + VERSION], "operationId": oid, "x-kubernetes-action": action,
             "x-kubernetes-group-version-kind": gvk, "parameters": list(params), "responses": {}}
        for c in codes:
            if v2:
                o["responses"][c] = {"description": "OK", "schema": ref(resp)}
            else:
                o["responses"][c] = {"description": "OK", "content": {
                    "application/json": {"schema": ref(resp)}, "application/yaml": {"schema": ref(resp)}}}
        if body:
            types, sch = body
            if v2:
                o["consumes"] = list(types)
                o["parameters"].append({"name": "body", "in": "body", "required": True, "schema": ref(sch)})
            else:
                o["requestBody"] = {"required": True, "content": {t: {"schema": ref(sch)} for t in types}}
        return o
    name, ns = param("name", "path", required=True), param("namespace", "path", required=True)
    listq = [param(p) for p in ("continue", "fieldSelector", "labelSelector", "resourceVersion")] + \
        [param("limit", typ="integer"), param("watch", typ="boolean")]
    coll = "/apis/%s/namespaces/{namespace}/%s" % (GV, PLURAL)
    paths = {
        "/apis/%s/%s" % (GV, PLURAL): {"get": op("list", "listSparkApplicationForAllNamespaces", params=listq,
                                                  resp=pre + KIND + "List"), "parameters": common},
        coll: {"get": op("list", "listNamespacedSparkApplication", params=listq, resp=pre + KIND + "List"),
               "post": op("post", "createNamespacedSparkApplication", (("*/*",), pre + KIND), write,
                          codes=("200", "201", "202")),
               "parameters": [ns] + common},
    }
    for suffix, what in (("/{name}", "SparkApplication"), ("/{name}/status", "SparkApplicationStatus")):
        item = {"get": op("get", "readNamespaced" + what),
                "put": op("put", "replaceNamespaced" + what, (("*/*",), pre + KIND), write, codes=("200", "201")),
                "patch": op("patch", "patchNamespaced" + what, (PATCH_TYPES, meta + "Patch"),
                            write + [param("force", typ="boolean")]),
                "parameters": [name, ns] + common}
        if suffix == "/{name}":
            item["delete"] = op("delete", "deleteNamespaced" + what, (("*/*",), meta + "DeleteOptions"),
                                [param("dryRun"), param("gracePeriodSeconds", typ="integer")],
                                resp=meta + "Status", codes=("200", "202"))
        paths[coll + suffix] = item
    if v2:
        return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.32.0-kubesim"}, "paths": paths,
                "definitions": schemas}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"}, "paths": paths,
            "components": {"schemas": schemas}}


# --- schema: validation and pruning --------------------------------------------------------

class Schema:
    """The operator's CRD schema when available; built-in checks of the known fields otherwise."""

    def __init__(self, crd_dir):
        self.full = None
        path = os.path.join(crd_dir, "sparkapplication-v1beta2.schema.json") if crd_dir else ""
        if path and os.path.exists(path):
            import jsonschema
            with open(path) as f:
                self.full = json.load(f)
            self.validator = jsonschema.Draft7Validator(self.full)
            print("kubesim: CRD schema check on (%s)" % path, flush=True)
        else:
            print("kubesim: warning: %s not found: the full schema check is off; only the fields kubesim "
                  "knows are checked" % (path or "the CRD schema"), flush=True)

    def _walk_unknown(self, obj, schema, path, out, prune):
        """Collects (and with prune, drops) fields the schema does not declare."""
        if isinstance(obj, dict) and isinstance(schema, dict):
            if schema.get("x-kubernetes-preserve-unknown-fields"):
                return
            props = schema.get("properties")
            addl = schema.get("additionalProperties")
            if props is not None:
                for k in list(obj):
                    p = path + "." + k if path else k
                    if not path and k in ("apiVersion", "kind", "metadata"):
                        continue
                    if k in props:
                        self._walk_unknown(obj[k], props[k], p, out, prune)
                    else:
                        out.append(p)
                        if prune:
                            del obj[k]
            elif isinstance(addl, dict):
                for k in obj:
                    self._walk_unknown(obj[k], addl, path + "." + k if path else k, out, prune)
        elif isinstance(obj, list) and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
            for i, v in enumerate(obj):
                self._walk_unknown(v, schema["items"], "%s[%d]" % (path, i), out, prune)

    def prune(self, obj):
        """Drops fields the schema does not declare, as a structural-schema server does; returns their paths."""
        out = []
        if self.full is not None:
            self._walk_unknown(obj, self.full, "", out, True)
        else:
            # without the schema: prune unknown top-level fields only
            for k in list(obj):
                if k not in ("apiVersion", "kind", "metadata", "spec", "status"):
                    out.append(k)
                    del obj[k]
        return out

    def unknown_fields(self, obj):
        out = []
        if self.full is not None:
            self._walk_unknown(obj, self.full, "", out, False)
        else:
            out = [k for k in obj if k not in ("apiVersion", "kind", "metadata", "spec", "status")]
        return out

    @staticmethod
    def _field(path):
        s = ""
        for p in path:
            s += "[%d]" % p if isinstance(p, int) else ("." + p if s else p)
        return s

    def causes(self, obj):
        """Validation errors as the API server reports them: [(reason, field, message)]."""
        out = []
        if self.full is not None:
            for e in sorted(self.validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path))):
                field = self._field(e.absolute_path)
                v = e.instance
                if e.validator == "required":
                    missing = [r for r in e.validator_value if not isinstance(v, dict) or r not in v]
                    for r in missing:
                        out.append(("FieldValueRequired", (field + "." if field else "") + r, "Required value"))
                elif e.validator == "type":
                    t = e.validator_value if isinstance(e.validator_value, str) else e.validator_value[0]
                    out.append(("FieldValueTypeInvalid", field, 'Invalid value: "%s": %s in body must be of type %s: '
                                '"%s"' % (gotype(v), field, t, gotype(v))))
                elif e.validator == "enum":
                    out.append(("FieldValueNotSupported", field, "Unsupported value: %s: supported values: %s" % (
                        goval(v), ", ".join(json.dumps(x) for x in e.validator_value))))
                elif e.validator == "pattern":
                    out.append(("FieldValueInvalid", field, "Invalid value: %s: %s in body should match '%s'" % (
                        goval(v), field, e.validator_value)))
                elif e.validator == "minimum":
                    out.append(("FieldValueInvalid", field, "Invalid value: %s: %s in body should be greater than "
                                "or equal to %s" % (goval(v), field, e.validator_value)))
                elif e.validator == "maximum":
                    out.append(("FieldValueInvalid", field, "Invalid value: %s: %s in body should be less than or "
                                "equal to %s" % (goval(v), field, e.validator_value)))
                else:
                    out.append(("FieldValueInvalid", field, "Invalid value: %s: %s" % (goval(v), e.message[:200])))
            return out
        return self.builtin_causes(obj)

    def status_causes(self, obj):
        """Errors of an object whose status is being written (its spec was checked when it was stored)."""
        if self.full is not None:
            return self.causes(obj)
        st = obj.get("status")
        if st is None:
            return []
        if not isinstance(st, dict):
            return [("FieldValueTypeInvalid", "status", 'Invalid value: "%s": status in body must be of type '
                     'object: "%s"' % (gotype(st), gotype(st)))]
        return [] if "driverInfo" in st else [("FieldValueRequired", "status.driverInfo", "Required value")]

    @staticmethod
    def builtin_causes(obj):
        out = []

        def typ(field, v, want):
            ok = {"integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
                  "string": lambda x: isinstance(x, str), "object": lambda x: isinstance(x, dict),
                  "array": lambda x: isinstance(x, list), "boolean": lambda x: isinstance(x, bool)}[want](v)
            if not ok:
                out.append(("FieldValueTypeInvalid", field, 'Invalid value: "%s": %s in body must be of type %s: "%s"'
                            % (gotype(v), field, want, gotype(v))))
            return ok
        spec = obj.get("spec")
        if spec is None:
            return [("FieldValueRequired", "spec", "Required value")]
        if not typ("spec", spec, "object"):
            return out
        for k in ("driver", "executor", "mainApplicationFile", "sparkVersion", "type"):
            if k not in spec:
                out.append(("FieldValueRequired", "spec." + k, "Required value"))
        for k in ("type", "mode", "image", "sparkVersion", "mainClass", "mainApplicationFile", "proxyUser",
                  "imagePullPolicy", "batchScheduler"):
            if k in spec:
                typ("spec." + k, spec[k], "string")
        if isinstance(spec.get("type"), str) and spec["type"] not in ("Java", "Python", "R", "Scala"):
            out.append(("FieldValueNotSupported", "spec.type", 'Unsupported value: %s: supported values: "Java", '
                        '"Python", "Scala", "R"' % goval(spec["type"])))
        if isinstance(spec.get("mode"), str) and spec["mode"] not in ("cluster", "client"):
            out.append(("FieldValueNotSupported", "spec.mode", 'Unsupported value: %s: supported values: "cluster", '
                        '"client"' % goval(spec["mode"])))
        for k in ("arguments",):
            if k in spec and typ("spec." + k, spec[k], "array"):
                for i, a in enumerate(spec[k]):
                    typ("spec.%s[%d]" % (k, i), a, "string")
        for k in ("sparkConf", "hadoopConf"):
            if k in spec and typ("spec." + k, spec[k], "object"):
                for kk, vv in spec[k].items():
                    typ("spec.%s.%s" % (k, kk), vv, "string")
        if "timeToLiveSeconds" in spec:
            typ("spec.timeToLiveSeconds", spec["timeToLiveSeconds"], "integer")
        for pod in ("driver", "executor"):
            p = spec.get(pod)
            if p is None or not typ("spec." + pod, p, "object"):
                continue
            for k in ("cores", "instances"):
                if k in p:
                    typ("spec.%s.%s" % (pod, k), p[k], "integer")
            for k in ("memory", "memoryOverhead", "coreLimit", "coreRequest", "serviceAccount", "image", "podName"):
                if k in p:
                    typ("spec.%s.%s" % (pod, k), p[k], "string")
            for k in ("labels", "annotations"):
                if k in p and typ("spec.%s.%s" % (pod, k), p[k], "object"):
                    for kk, vv in p[k].items():
                        typ("spec.%s.%s.%s" % (pod, k, kk), vv, "string")
        rp = spec.get("restartPolicy")
        if rp is not None and typ("spec.restartPolicy", rp, "object") and "type" in rp:
            if rp["type"] not in ("Never", "Always", "OnFailure"):
                out.append(("FieldValueNotSupported", "spec.restartPolicy.type", 'Unsupported value: %s: supported '
                            'values: "Never", "Always", "OnFailure"' % goval(rp["type"])))
        return out


def label_key_causes(k):
    prefix, sep, nm = k.rpartition("/")
    msgs = []
    if sep and (not prefix or len(prefix) > 253 or not DNS1123_SUB.match(prefix)):
        msgs.append("prefix part " + SUB_MSG)
    if not nm:
        msgs.append("name part must be non-empty")
    elif len(nm) > 63:
        msgs.append("name part must be no more than 63 characters")
    elif not LABEL_NAME.match(nm):
        msgs.append(LABEL_NAME_MSG)
    return msgs


def metadata_causes(md):
    out = []
    name = md.get("name")
    if not isinstance(name, str) or not name:
        out.append(("FieldValueRequired", "metadata.name", "Required value: name or generateName is required"))
    elif len(name) > 253 or not DNS1123_SUB.match(name):
        if len(name) > 253:
            out.append(("FieldValueInvalid", "metadata.name", 'Invalid value: "%s": must be no more than 253 '
                        "characters" % name))
        if not DNS1123_SUB.match(name):
            out.append(("FieldValueInvalid", "metadata.name", 'Invalid value: "%s": %s' % (name, SUB_MSG)))
    labels = md.get("labels")
    if labels is not None and not isinstance(labels, dict):
        out.append(("FieldValueTypeInvalid", "metadata.labels", "Invalid value: must be an object"))
        labels = {}
    for k, v in (labels or {}).items():
        for m in label_key_causes(k):
            out.append(("FieldValueInvalid", "metadata.labels", 'Invalid value: "%s": %s' % (k, m)))
        if not isinstance(v, str):
            out.append(("FieldValueTypeInvalid", "metadata.labels.%s" % k, 'Invalid value: %s: must be a string'
                        % goval(v)))
        elif len(v) > 63:
            out.append(("FieldValueInvalid", "metadata.labels", 'Invalid value: "%s": must be no more than 63 '
                        "characters" % v))
        elif not LABEL_VALUE.match(v):
            out.append(("FieldValueInvalid", "metadata.labels", 'Invalid value: "%s": %s' % (v, LABEL_VALUE_MSG)))
    ann = md.get("annotations")
    if ann is not None and not isinstance(ann, dict):
        out.append(("FieldValueTypeInvalid", "metadata.annotations", "Invalid value: must be an object"))
        ann = {}
    for k, v in (ann or {}).items():
        for m in label_key_causes(k):
            out.append(("FieldValueInvalid", "metadata.annotations", 'Invalid value: "%s": %s' % (k, m)))
        if not isinstance(v, str):
            out.append(("FieldValueTypeInvalid", "metadata.annotations.%s" % k, "Invalid value: %s: must be a "
                        "string" % goval(v)))
    return out


# --- selectors -----------------------------------------------------------------------------

LABEL_KEY_RE = r"[A-Za-z0-9][-A-Za-z0-9_./]*"


def parse_label_selector(s):
    """Returns a predicate over a labels dict; raises 400 on a syntax error, as the API server does."""
    if not s or not s.strip():
        return lambda labels: True
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    reqs = []
    for p in parts:
        p = p.strip()
        m = re.match(r"^(%s)\s+(in|notin)\s+\(([^()]*)\)$" % LABEL_KEY_RE, p)
        if m:
            key, op = m.group(1), m.group(2)
            vals = {v.strip() for v in m.group(3).split(",")}
            if any(v and not LABEL_VALUE.match(v) for v in vals):
                raise bad_request("unable to parse requirement: values in %s are not valid label values" % p)
            if op == "in":
                reqs.append(lambda l, k=key, vs=vals: l.get(k) in vs)
            else:
                reqs.append(lambda l, k=key, vs=vals: l.get(k) not in vs)
            continue
        m = re.match(r"^(%s)\s*(==|=|!=)\s*([^=!\s]*)$" % LABEL_KEY_RE, p)
        if m:
            key, op, val = m.groups()
            if val and (len(val) > 63 or not LABEL_VALUE.match(val)):
                raise bad_request("unable to parse requirement: values[0][%s]: Invalid value: \"%s\": %s"
                                  % (key, val, LABEL_VALUE_MSG))
            if op == "!=":
                reqs.append(lambda l, k=key, v=val: l.get(k) != v)
            else:
                reqs.append(lambda l, k=key, v=val: l.get(k) == v)
            continue
        m = re.match(r"^!\s*(%s)$" % LABEL_KEY_RE, p)
        if m:
            reqs.append(lambda l, k=m.group(1): k not in l)
            continue
        m = re.match(r"^(%s)$" % LABEL_KEY_RE, p)
        if m:
            reqs.append(lambda l, k=m.group(1): k in l)
            continue
        raise bad_request("unable to parse requirement: found '%s', expected: identifier" % p)
    if len(reqs) == 1:
        return reqs[0]
    return lambda labels: all(r(labels) for r in reqs)


def parse_field_selector(s, allowed, kind):
    """A predicate over a getter(field) -> value; 400 for fields the resource does not index."""
    if not s:
        return lambda get: True
    reqs = []
    for p in s.split(","):
        p = p.strip()
        if not p:
            continue
        m = re.match(r"^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$", p)
        if not m:
            raise bad_request("invalid selector: '%s'; can't understand '%s'" % (s, p))
        if m.group(1) not in allowed:
            raise bad_request("field label not supported: %s" % m.group(1))
        reqs.append(m.groups())
    return lambda get: all((get(k) == v) != (o == "!=") for k, o, v in reqs)


# --- generated logs ------------------------------------------------------------------------

class Log:
    """A pod container's log: fixed-width, deterministic lines, generated on demand."""
    FILLER = "org.apache.spark.scheduler.TaskSetManager: Finished task in stage with simulated output "

    def __init__(self, pod, container, main, start_wall, seconds, nbytes, failed=False, wall_seconds=None):
        self.who = pod if main else "%s/%s" % (pod, container)
        self.start_wall = int(start_wall)
        self.wall_seconds = seconds if wall_seconds is None else wall_seconds    # real seconds the log spans
        head = len("2026-11-24T10:00:00Z ERROR %s line 000000001 " % self.who)
        self.width = max(120, head + 24)          # bytes per line, newline included
        self.total = max(1, int(nbytes) // self.width)
        self.seconds = max(1.0, float(seconds))
        self.failed = failed

    def ts(self, n):
        return self.start_wall + int((n - 1) * self.wall_seconds / self.total)

    def line(self, n, stamp=False):
        """Line n (1-based), with the kubelet's timestamp prefix when stamp."""
        t = rfc3339(self.ts(n))
        level = "ERROR" if self.failed and n == self.total else "INFO "
        head = "%s %s %s line %09d " % (t, level, self.who, n)
        pad = self.width - 1 - len(head)
        s = head + (self.FILLER * (1 + pad // len(self.FILLER)))[:pad] + "\n"
        if stamp:
            s = t[:-1] + ".000000000Z " + s
        return s


# --- one simulated cluster ---------------------------------------------------------------------

class Cluster:
    def __init__(self, cid, port, namespaces, speed, schema):
        self.id, self.port, self.namespaces = cid, port, namespaces
        self.schema = schema
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)    # notified on every change (log followers wait on it)
        self.speed = speed
        self.clock_real, self.clock_sim = time.time(), time.time()
        self.token = None
        self.faults = []
        self.reset()

    def reset(self):
        with self.lock:
            self.apps = {}          # (ns, name) -> object; replaced, never mutated, once stored
            self.raw = {}           # (ns, name) -> the object's JSON bytes
            self.sim = {}           # (ns, name) -> simulation state
            self.pods = {}          # (ns, name) -> pod object
            self.logs = {}          # (ns, pod, container) -> Log
            self.events = []
            self.history = {}       # (ns, name) -> [(state, submissionAttempts, executionAttempts, app id, rv)]
            self.delayed = 0        # answers computed and waiting for their delay
            self.rv = 1000
            self.snapshots = {}     # continue token id -> (created, keys, raw, pos, rv, count)
            self.heap = []          # (due sim time, seq, key, generation)
            self.seq = 0
            self.base = None
            self.last_spec = None   # (spec object, its JSON): objects share specs, stored objects never change
            self.last_mf = None     # (managedFields list, its JSON): bulk-created objects share theirs
            self.cond.notify_all()

    # clock
    def now(self):
        return self.clock_sim + (time.time() - self.clock_real) * self.speed

    def set_speed(self, speed):
        with self.lock:
            self.clock_sim = self.now()
            self.clock_real = time.time()
            self.speed = speed

    def advance(self, seconds):
        with self.lock:
            self.clock_sim = self.now() + seconds
            self.clock_real = time.time()

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def store(self, key, obj):
        """Stores an object and its JSON; a spec shared with the last stored object is encoded once."""
        spec = obj.get("spec")
        last = self.last_spec
        if last is not None and last[0] is spec:
            sb = last[1]
        else:
            sb = json.dumps(spec, separators=(",", ":"))
            self.last_spec = (spec, sb)
        md = obj.get("metadata")
        mf = md.get("managedFields") if isinstance(md, dict) else None
        if mf and len(md) > 1:
            # managedFields shared with the last stored object (bulk creation) are encoded once too
            last = self.last_mf
            if last is not None and last[0] is mf:
                mb = last[1]
            else:
                mb = json.dumps(mf, separators=(",", ":"))
                self.last_mf = (mf, mb)
            head = json.dumps({"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                               "metadata": {k: v for k, v in md.items() if k != "managedFields"}},
                              separators=(",", ":"))
            head = head[:-2] + ',"managedFields":' + mb + "}}"
        else:
            head = json.dumps({"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": md},
                              separators=(",", ":"))
        tail = "".join(',"%s":%s' % (k, json.dumps(v, separators=(",", ":"))) for k, v in obj.items()
                       if k not in ("apiVersion", "kind", "metadata", "spec"))
        self.apps[key] = obj
        self.raw[key] = (head[:-1] + (',"spec":' + sb if "spec" in obj else "") + tail + "}").encode()
        st = obj.get("status")
        if st:
            # the status history tests read at /_sim/history: one entry per change of state or attempts
            h = (st.get("applicationState", {}).get("state"), st.get("submissionAttempts"),
                 st.get("executionAttempts"), st.get("sparkApplicationId"))
            hist = self.history.get(key)
            if hist is None:
                self.history[key] = [h + (obj["metadata"]["resourceVersion"],)]
            elif hist[-1][:4] != h:
                hist.append(h + (obj["metadata"]["resourceVersion"],))
        self.cond.notify_all()

    def event(self, kind, ns, name, uid, reason, message, etype="Normal"):
        t = rfc3339(time.time())
        self.events.append({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "%s.%016x" % (name, (time.time_ns() + len(self.events)) & (2 ** 64 - 1)),
                         "namespace": ns, "uid": new_uid(), "resourceVersion": self.next_rv(),
                         "creationTimestamp": t},
            "involvedObject": {"kind": kind, "namespace": ns, "name": name, "uid": uid,
                               "apiVersion": GV if kind == KIND else "v1"},
            "reason": reason, "message": message, "type": etype, "count": 1,
            "firstTimestamp": t, "lastTimestamp": t, "eventTime": None,
            "source": {"component": "spark-operator"} if kind == KIND else {"component": "kubelet",
                                                                            "host": "kubesim-node-1"},
            "reportingComponent": "spark-operator" if kind == KIND else "kubelet", "reportingInstance": ""})
        if len(self.events) > 300000:
            del self.events[:100000]

    def t(self):
        """The simulated time of what is happening: the due time of the transition being run, else now."""
        return self.base if self.base is not None else self.now()

    def schedule(self, key, delay):
        sim = self.sim[key]
        sim["gen"] = sim.get("gen", 0) + 1
        self.seq += 1
        heapq.heappush(self.heap, (self.t() + delay, self.seq, key, sim["gen"]))

    # SparkApplications
    def create(self, ns, body, strict=False, validate=True, state=None, manager="unknown", managed_fields=None):
        """Stores a new SparkApplication; returns (object, warnings). manager: the field manager its
        managedFields entry names; managed_fields: the whole list when the caller made it (bulk: one
        list shared by every copy, never changed in place)."""
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                              "application/json, application/yaml")
        if body.get("apiVersion") != GV or body.get("kind") != KIND:
            if not body.get("kind") or not body.get("apiVersion"):
                raise bad_request("Object 'Kind' is missing in '%s'" % json.dumps(body)[:200]
                                  if not body.get("kind") else "Object 'apiVersion' is missing in '%s'"
                                  % json.dumps(body)[:200])
            raise bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                              % (body.get("apiVersion"), GV) if body.get("apiVersion") != GV else
                              "the kind in the data (%s) does not match the expected kind (%s)"
                              % (body.get("kind"), KIND))
        md = body.get("metadata")
        if md is None:
            md = body["metadata"] = {}
        if not isinstance(md, dict):
            raise bad_request("%s in version \"%s\" cannot be handled as a %s: metadata must be an object"
                              % (KIND, VERSION, KIND))
        if md.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
        if ns not in self.namespaces:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})
        if not md.get("name") and isinstance(md.get("generateName"), str) and md["generateName"]:
            md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
        name = md.get("name") if isinstance(md.get("name"), str) else ""
        warnings = []
        body.pop("status", None)          # the status subresource: ignored on create
        if validate:
            if strict:
                unknown = self.schema.unknown_fields(body)
                if unknown:
                    raise bad_request("%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s"
                                      % (KIND, VERSION, KIND, ", ".join('unknown field "%s"' % f for f in unknown)))
            warnings = ['unknown field "%s"' % f for f in self.schema.prune(body)]
            causes = metadata_causes(md) + self.schema.causes(body)
            if causes:
                raise invalid(name, causes)
            if md.get("resourceVersion") not in (None, ""):
                # the storage layer refuses it, with a plain error the API server answers as a bare 500
                raise ApiError(500, None, "resourceVersion should not be set on objects to be created")
        with self.lock:
            key = (ns, name)
            if key in self.apps:
                raise ApiError(409, "AlreadyExists", '%s.%s "%s" already exists' % (PLURAL, GROUP, name),
                               {"name": name, "group": GROUP, "kind": PLURAL})
            md.pop("resourceVersion", None)
            md.update({"namespace": ns, "uid": new_uid(), "resourceVersion": self.next_rv(),
                       "creationTimestamp": rfc3339(time.time()), "generation": 1})
            md.pop("deletionTimestamp", None)
            md["managedFields"] = managed_fields if managed_fields is not None else managed(
                None, manager, object_fields(body), GV)
            ann = md.get("annotations") or {}

            def num(k, default, conv):
                try:
                    return max(0, conv(ann.get(ANN + k, default)))
                except (TypeError, ValueError):
                    return default
            outcome = ann.get(ANN + "outcome", "success")
            outcome = outcome if outcome in OUTCOMES else "success"
            self.sim[key] = {"outcome": outcome, "run": num("run-seconds", T_RUN, float),
                             "log_bytes": num("log-bytes", DEFAULT_LOG_BYTES, int),
                             "sub_fail": MANY if outcome == "submission-fail" else num("submission-failures", 0, int),
                             "att_fail": MANY if outcome == "fail" else num("attempt-failures", 0, int),
                             "phase": "new", "app_id": "spark-" + os.urandom(16).hex(), "pods": {}}
            if state is not None:
                body["status"] = self._jump_status(key, body, state)
            self.store(key, body)
            if state is None:
                self.event(KIND, ns, name, md["uid"], "SparkApplicationAdded",
                           "SparkApplication %s was added, enqueuing it for submission" % name)
                if outcome != "manual":
                    self.schedule(key, T_ADD)
            else:
                self._jump(key, state)
            return self.apps[key], warnings

    def get(self, ns, name):
        with self.lock:
            obj = self.apps.get((ns, name))
            if obj is None:
                raise not_found(PLURAL, name)
            return obj, self.raw[(ns, name)]

    def delete(self, ns, name):
        with self.lock:
            key = (ns, name)
            obj = self.apps.pop(key, None)
            if obj is None:
                raise not_found(PLURAL, name)
            self.raw.pop(key, None)
            self.history.pop(key, None)
            sim = self.sim.pop(key, {})
            for pname in list(sim.get("pods", {})):
                self._remove_pod(ns, pname)
            self.next_rv()
            self.cond.notify_all()
            return obj

    def _remove_pod(self, ns, pname):
        pod = self.pods.pop((ns, pname), None)
        if pod is not None:
            for c in pod["spec"]["containers"]:
                self.logs.pop((ns, pname, c["name"]), None)
        return pod

    def update(self, ns, name, change, sub=None, strict=False, replace=False, manager="unknown"):
        """One write of an existing object, as kube-apiserver does it for a CRD with a status subresource.

        change(copy of the stored object) returns the object the client asks for (a PUT body, or the stored
        object with a patch applied). sub None: the main resource (status kept, generation + 1 when spec
        changes); sub "status": only status is taken. metadata.resourceVersion, when given, is a
        precondition (409 Conflict); a PUT must give it (422). managedFields are the server's: the stored
        ones, with manager's Update entry (for sub) taking the fields the write changes. Returns
        (object, warnings)."""
        with self.lock:
            key = (ns, name)
            old, _ = self.get(ns, name)
            new = change(copy.deepcopy(old))
            if not isinstance(new, dict):
                raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                                  "application/json, application/yaml")
            md = new.get("metadata")
            if md is None and replace:
                md = new["metadata"] = {}
            if not isinstance(md, dict):
                raise bad_request("%s in version \"%s\" cannot be handled as a %s: metadata must be an object"
                                  % (KIND, VERSION, KIND))
            if new.get("apiVersion") != GV or new.get("kind") != KIND:
                if replace and (not new.get("apiVersion") or not new.get("kind")):
                    raise bad_request("Object 'Kind' is missing in '%s'" % json.dumps(new)[:200])
                raise bad_request("the API version in the data (%s) does not match the expected API version (%s)"
                                  % (new.get("apiVersion"), GV) if new.get("apiVersion") != GV else
                                  "the kind in the data (%s) does not match the expected kind (%s)"
                                  % (new.get("kind"), KIND))
            if md.get("name") != name:
                raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                  % (md.get("name"), name))
            if md.get("namespace") not in (None, "", ns):
                raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
            omd = old["metadata"]
            rv = md.get("resourceVersion")
            if rv not in (None, ""):
                if rv != omd["resourceVersion"]:
                    raise ApiError(409, "Conflict", CONFLICT_MSG % name, {"name": name, "group": GROUP,
                                                                          "kind": PLURAL})
            elif replace:
                raise invalid(name, [("FieldValueInvalid", "metadata.resourceVersion",
                                      "Invalid value: 0x0: must be specified for an update")])
            if strict:
                unknown = self.schema.unknown_fields(new)
                if unknown:
                    raise bad_request("%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s"
                                      % (KIND, VERSION, KIND, ", ".join('unknown field "%s"' % f for f in unknown)))
            warnings = ['unknown field "%s"' % f for f in self.schema.prune(new)]
            # what the client asked for, as the field manager sees it (before the strategy resets what
            # this endpoint does not write: status for the main resource, spec for /status -- a label
            # sent to /status is not applied, yet its manager's entry records it, as on the real server)
            requested = {k: v for k, v in new.items() if k != "metadata"}
            requested["metadata"] = {k: md[k] for k in ("labels", "annotations") if k in md}
            if sub == "status":
                obj = dict(old)
                obj["metadata"] = dict(omd)
                obj.pop("status", None)
                if new.get("status") is not None:
                    obj["status"] = new["status"]
                causes = self.schema.status_causes(obj)
            else:
                obj = new
                obj.pop("status", None)
                if old.get("status") is not None:
                    obj["status"] = old["status"]
                for k in ("creationTimestamp", "generation", "resourceVersion", "namespace", "managedFields"):
                    md[k] = omd.get(k)
                if md.get("uid") in (None, ""):
                    md["uid"] = omd["uid"]
                causes = []
                if md["uid"] != omd["uid"]:
                    causes.append(("FieldValueInvalid", "metadata.uid", "Invalid value: %s: field is immutable"
                                   % goval(md["uid"])))
                causes += metadata_causes(md) + self.schema.causes({k: v for k, v in obj.items() if k != "status"})
            if causes:
                raise invalid(name, causes)
            if obj == old:
                return old, warnings            # a no-op write: nothing stored, resourceVersion unchanged
            spec_changed = any(obj.get(k) != old.get(k) for k in set(obj) | set(old)
                               if k not in ("apiVersion", "kind", "metadata", "status"))
            obj["metadata"]["resourceVersion"] = self.next_rv()
            obj["metadata"]["managedFields"] = managed(omd.get("managedFields"), manager,
                                                       changed_fields(old, requested, sub), GV, sub)
            if spec_changed:
                obj["metadata"]["generation"] = omd.get("generation", 1) + 1
            self.store(key, obj)
            if sub == "status":
                st = dig(obj, "status", "applicationState", "state")
                if st != dig(old, "status", "applicationState", "state") and key in self.sim:
                    self._jump(key, st or "", written=True)     # the operator reconciles what a client wrote
            elif spec_changed and key in self.sim:
                self._spec_changed(key, old, obj)
            return obj, warnings

    def expired(self, d):
        """410 Expired for a continue token whose snapshot is gone; like the real server's answer to a
        compacted revision, it carries a fresh token that continues after the same key at the latest
        revision (an inconsistent list) when the token says where it stopped."""
        e = ApiError(410, "Expired", EXPIRED_MSG)
        after = d.get("key") if isinstance(d, dict) else None
        if isinstance(after, list) and len(after) == 2 and all(isinstance(x, str) for x in after):
            e.metadata = {"continue": base64.urlsafe_b64encode(json.dumps(
                {"v": "meta.k8s.io/v1", "rv": -1, "key": after}).encode()).decode().rstrip("=")}
        return e

    def list(self, ns, label_sel, field_sel, limit, cont):
        """One page of a list: (metadata, [raw JSON], [objects])."""
        with self.lock:
            after = None
            if cont:
                try:
                    d = json.loads(base64.urlsafe_b64decode(cont.encode() + b"=" * (-len(cont) % 4)).decode())
                except Exception:
                    raise ApiError(410, "Expired", EXPIRED_MSG)
                if isinstance(d, dict) and d.get("rv") == -1 and isinstance(d.get("key"), list):
                    after = tuple(d["key"])         # an inconsistent continue: a fresh list after that key
                else:
                    try:
                        created, keys, raw, start, rv, count = self.snapshots[d["id"]]
                        if d.get("start") != start:
                            raise ValueError("position")
                    except Exception:
                        raise self.expired(d)
                    if time.time() - created > CONTINUE_TTL:
                        raise self.expired(d)
            if not cont or after is not None:
                sel = parse_label_selector(label_sel)
                fsel = parse_field_selector(field_sel, ("metadata.name", "metadata.namespace"), PLURAL)
                if label_sel or field_sel:
                    keys = sorted(k for k, o in self.apps.items()
                                  if (ns is None or k[0] == ns) and sel(o["metadata"].get("labels") or {})
                                  and fsel({"metadata.name": k[1], "metadata.namespace": k[0]}.get))
                else:
                    keys = sorted(k for k in self.apps if ns is None or k[0] == ns)
                if after is not None:
                    keys = [k for k in keys if k > after]
                raw = self.raw if not limit or len(keys) <= limit else {k: self.raw[k] for k in keys}
                start, rv, created, count = 0, str(self.rv), time.time(), not (label_sel or field_sel)
            end = len(keys) if not limit else min(len(keys), start + limit)
            page = keys[start:end]
            items = [raw[k] for k in page]
            md = {"resourceVersion": rv, "continue": ""}     # a custom resource's list always has the key
            if end < len(keys):
                tid = uuid.uuid4().hex
                self.snapshots[tid] = (created, keys, raw, end, rv, count)
                if len(self.snapshots) > 500:
                    for old in sorted(self.snapshots, key=lambda t: self.snapshots[t][0])[:250]:
                        del self.snapshots[old]
                md["continue"] = base64.urlsafe_b64encode(json.dumps(
                    {"v": "meta.k8s.io/v1", "rv": int(rv), "id": tid, "start": end,
                     "key": list(page[-1])}).encode()).decode().rstrip("=")
                if count:
                    md["remainingItemCount"] = len(keys) - end
            return md, items, page

    # the operator
    def _set_status(self, key, **st):
        """The operator's status write: the same store path as a client's /status write (resourceVersion + 1,
        generation unchanged). A None value drops the field; like the operator's Go struct, the status always
        has applicationState and driverInfo, and unset times are null."""
        obj = dict(self.apps[key])
        obj["metadata"] = dict(obj["metadata"])
        status = dict(obj.get("status") or {})
        for k, v in st.items():
            if v is None:
                status.pop(k, None)
            else:
                status[k] = v
        status.setdefault("applicationState", {"state": ""})
        status.setdefault("driverInfo", {})
        status.setdefault("lastSubmissionAttemptTime", None)
        status.setdefault("terminationTime", None)
        obj["metadata"]["managedFields"] = managed(obj["metadata"].get("managedFields"), "spark-operator",
                                                   changed_fields(obj, dict(obj, status=status), "status"), GV,
                                                   "status")
        obj["status"] = status
        obj["metadata"]["resourceVersion"] = self.next_rv()
        self.store(key, obj)
        return obj

    def _pod_names(self, key, obj=None):
        ns, name = key
        spec = (obj or self.apps[key]).get("spec") or {}
        driver = (spec.get("driver") or {}).get("podName") or name + "-driver"
        prefix = (spec.get("sparkConf") or {}).get("spark.kubernetes.executor.podNamePrefix") or name
        n = (spec.get("executor") or {}).get("instances", 1)
        n = n if isinstance(n, int) and 0 <= n <= 1000 else 1
        return driver, ["%s-exec-%d" % (prefix, i) for i in range(1, n + 1)]

    def _pod(self, key, pname, role, phase, index=None):
        """Creates or updates a pod of the app in the given phase."""
        ns, app = key
        obj, sim = self.apps[key], self.sim[key]
        spec = obj.get("spec") or {}
        rspec = spec.get(role) or {}
        now_wall, now = time.time(), self.t()
        pod = self.pods.get((ns, pname))
        if pod is None:
            labels = dict(rspec.get("labels") or {})
            labels.update({"spark-role": role, "spark-app-selector": sim["app_id"],
                           "spark-version": str(spec.get("sparkVersion", ""))[:63],
                           "sparkoperator.k8s.io/app-name": app,
                           "sparkoperator.k8s.io/launched-by-spark-operator": "true",
                           "sparkoperator.k8s.io/submission-id": sim.get("submission_id", "")})
            if not LABEL_VALUE.match(labels["spark-version"]):
                del labels["spark-version"]
            if role == "executor":
                labels["spark-exec-id"] = str(index)
            containers = [{"name": DRIVER_C if role == "driver" else EXEC_C,
                           "image": rspec.get("image") or spec.get("image") or "apache/spark",
                           "resources": {"requests": {"cpu": str(rspec.get("cores", 1)) if isinstance(
                                             rspec.get("cores", 1), int) else "1",
                                             "memory": "%dMi" % spark_mem_mib(rspec.get("memory"))},
                                             "limits": {"memory": "%dMi" % spark_mem_mib(rspec.get("memory"))}}}]
            if role == "driver":
                for sc in spec.get("driver", {}).get("sidecars") or []:
                    if isinstance(sc, dict) and sc.get("name"):
                        containers.append({"name": sc["name"], "image": sc.get("image", "busybox")})
                if (obj["metadata"].get("annotations") or {}).get(ANN + "sidecar") == "true":
                    containers.append({"name": "sidecar", "image": "busybox"})
            annotations = dict(rspec.get("annotations") or {})
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": pname, "namespace": ns, "uid": new_uid(), "labels": labels,
                                "annotations": annotations, "creationTimestamp": rfc3339(now_wall),
                                "resourceVersion": self.next_rv(),
                                "ownerReferences": [{"apiVersion": GV, "kind": KIND, "name": app,
                                                     "uid": obj["metadata"]["uid"], "controller": True,
                                                     "blockOwnerDeletion": True}]},
                   "spec": {"containers": containers, "restartPolicy": "Never", "nodeName": "kubesim-node-1",
                            "serviceAccountName": (rspec.get("serviceAccount") or spec.get("driver", {})
                                                   .get("serviceAccount") or "default")},
                   "status": {"phase": "Pending", "qosClass": "Burstable"}}
            if not annotations:
                del pod["metadata"]["annotations"]
            self.pods[(ns, pname)] = pod
            sim["pods"][pname] = {"role": role, "start": None, "start_wall": None, "end": None}
        info = sim["pods"][pname]
        pod = dict(pod)
        pod["metadata"] = dict(pod["metadata"], resourceVersion=self.next_rv())
        if phase == "Running" and info["start"] is None:
            info["start"], info["start_wall"] = now, now_wall
            for c in pod["spec"]["containers"]:
                main = c["name"] in (DRIVER_C, EXEC_C)
                run_for = max(0.001, sim.get("run_end", now + sim["run"]) - now)
                self.logs[(ns, pname, c["name"])] = Log(pname, c["name"], main, now_wall, run_for, sim["log_bytes"],
                                                        wall_seconds=run_for / self.speed if self.speed else run_for)
        if phase in ("Succeeded", "Failed") and info["end"] is None:
            info["end"] = now
            for c in pod["spec"]["containers"]:
                lg = self.logs.get((ns, pname, c["name"]))
                if lg is not None:
                    lg.end_lines = lg.total if not sim.get("killed") else self.visible_lines(ns, pname, lg)
                    lg.failed = phase == "Failed" and lg.end_lines == lg.total
        started = rfc3339(info["start_wall"]) if info["start_wall"] else None
        st = {"phase": phase, "qosClass": "Burstable", "hostIP": "10.0.0.1",
              "startTime": pod["metadata"]["creationTimestamp"],
              "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}]}
        if phase != "Pending":
            st["podIP"] = "10.1.%d.%d" % (hash(pname) % 250, 2 + hash(pname[::-1]) % 250)
        cs = []
        for c in pod["spec"]["containers"]:
            s = {"name": c["name"], "image": c["image"], "imageID": "", "ready": phase == "Running",
                 "restartCount": 0, "started": phase == "Running"}
            if phase == "Pending":
                s["state"] = {"waiting": {"reason": "ContainerCreating"}}
            elif phase == "Running":
                s["state"] = {"running": {"startedAt": started}}
                s["containerID"] = "containerd://" + uuid.uuid5(uuid.NAMESPACE_OID, pname + c["name"]).hex
            else:
                s["state"] = {"terminated": {"exitCode": 0 if phase == "Succeeded" else 1,
                                             "reason": "Completed" if phase == "Succeeded" else "Error",
                                             "startedAt": started, "finishedAt": rfc3339(now_wall)}}
                s["containerID"] = "containerd://" + uuid.uuid5(uuid.NAMESPACE_OID, pname + c["name"]).hex
            cs.append(s)
        st["containerStatuses"] = cs
        pod["status"] = st
        self.pods[(ns, pname)] = pod
        self.cond.notify_all()
        return pod

    def _finish_pods(self, key, phase):
        for pname in list(self.sim[key]["pods"]):
            p = self.pods.get((key[0], pname))
            if p is not None and p["status"]["phase"] in ("Running", "Pending"):
                self._pod(key, pname, self.sim[key]["pods"][pname]["role"], phase)

    def _jump_status(self, key, obj, state):
        """The status of a bulk-created object put straight into a state."""
        if state not in STATES:
            raise bad_request("state: one of %s" % ", ".join(s for s in STATES if s))
        sim = self.sim[key]
        name = key[1]
        t = rfc3339(time.time())
        sim["submission_id"] = new_uid()
        sim["last_submit"] = self.now()
        st = {"applicationState": {"state": state}, "sparkApplicationId": sim["app_id"],
              "submissionID": sim["submission_id"], "lastSubmissionAttemptTime": t,
              "submissionAttempts": 1, "executionAttempts": 1,
              "driverInfo": {"podName": self._pod_names(key, obj)[0], "webUIServiceName": name + "-ui-svc",
                             "webUIPort": 4040, "webUIAddress": "10.96.0.1:4040"}, "terminationTime": None}
        if state in ("", "SUBMISSION_FAILED", "PENDING_RERUN", "INVALIDATING", "SUSPENDING", "SUSPENDED",
                     "RESUMING"):
            del st["sparkApplicationId"], st["executionAttempts"]
        if state in TERMINAL or state in ("SUCCEEDING", "FAILING"):
            st["terminationTime"] = t
        if state in ("FAILED", "FAILING"):
            st["applicationState"]["errorMessage"] = "driver container failed with ExitCode: 1, Reason: Error"
        if state == "SUBMISSION_FAILED":
            st["applicationState"]["errorMessage"] = ("failed to submit spark application: failed to run "
                                                      "spark-submit: simulated submission failure")
        return st

    def _jump(self, key, state, written=False):
        """Schedules what the operator does next with an object in a state: one bulk-stored in it (no events,
        no pods), or one whose state a client wrote through /status."""
        sim = self.sim[key]
        if sim["outcome"] == "manual":
            return
        now = self.now()
        if written:
            sim["last_submit"] = sim.get("last_submit", now)
        if state in TERMINAL:
            sim.update(phase="done", ended=now)
            self._schedule_ttl(key)
        elif state in ("RUNNING", "UNKNOWN"):
            sim.update(phase="running", run_end=now + sim["run"])
            if sim["outcome"] != "hang":
                self.schedule(key, sim["run"])
        elif state in ("SUCCEEDING", "FAILING"):
            sim["phase"] = "ending"
            self.schedule(key, T_ENDING)
        elif state == "SUBMITTED":
            sim.update(phase="submitted", run_end=now + T_SUBMITTED + sim["run"])
            self.schedule(key, T_SUBMITTED)
        elif state == "SUBMISSION_FAILED":
            sim["phase"] = "submission_failed"
            self.schedule(key, T_ENDING)
        elif state in ("PENDING_RERUN", "RESUMING"):
            sim["phase"] = "submit"
            self.schedule(key, T_ADD)
        elif state in ("INVALIDATING", "SUSPENDING"):
            sim["phase"] = state.lower()
            self.schedule(key, T_KILL)
        elif state == "SUSPENDED":
            sim["phase"] = "suspended"
            self.schedule(key, T_KILL)
        else:
            sim["phase"] = "new"
            self.schedule(key, T_ADD)

    def _schedule_ttl(self, key):
        ttl = (self.apps[key].get("spec") or {}).get("timeToLiveSeconds")
        if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
            self.sim[key]["phase"] = "done"
            self.schedule(key, ttl)

    def _spec_changed(self, key, old, new):
        """The operator's reaction to a spec update (its event filter): any change but spec.suspend alone
        invalidates the current run, in any state; suspend/resume are reconciled."""
        sim = self.sim[key]
        if sim["outcome"] == "manual":
            return
        o, n = dict(old.get("spec") or {}), dict(new.get("spec") or {})
        suspend = n.get("suspend") is True
        o.pop("suspend", None)
        n.pop("suspend", None)
        state = dig(new, "status", "applicationState", "state") or ""
        if o != n:
            sim["phase"] = "invalidate"
        elif suspend and state not in TERMINAL + ("SUSPENDING", "SUSPENDED") and sim["phase"] != "suspend":
            sim["phase"] = "suspend"
        elif not suspend and sim["phase"] == "suspended":
            sim["phase"] = "resume"
        else:
            return
        self.schedule(key, 0)

    def step(self):
        """Runs the operator for every object whose next transition is due."""
        with self.lock:
            now = self.now()
            while self.heap and self.heap[0][0] <= now:
                due, _, key, gen = heapq.heappop(self.heap)
                sim = self.sim.get(key)
                if sim is None or sim.get("gen") != gen or key not in self.apps:
                    continue
                self.base = due
                try:
                    self._advance(key, sim, due)
                except Exception:
                    traceback.print_exc()
                finally:
                    self.base = None

    def _restart_policy(self, key):
        rp = (self.apps[key].get("spec") or {}).get("restartPolicy")
        return rp if isinstance(rp, dict) else {}

    def _should_retry(self, key, state):
        """The operator's util.ShouldRetry."""
        rp = self._restart_policy(key)
        typ = rp.get("type") or "Never"
        if state == "SUCCEEDING":
            return typ == "Always"
        if typ == "Always":
            return True
        if typ != "OnFailure":
            return False
        st = self.apps[key].get("status") or {}
        if state == "FAILING":
            limit, done = rp.get("onFailureRetries"), st.get("executionAttempts") or 0
        else:
            limit, done = rp.get("onSubmissionFailureRetries"), st.get("submissionAttempts") or 0
        return isinstance(limit, int) and not isinstance(limit, bool) and done <= limit

    def _retry_wait(self, key, state, now):
        """Simulated seconds until a retry is due (the operator's util.TimeUntilNextRetryDue): interval x
        submission attempts after the last submission attempt, a linear backoff."""
        rp = self._restart_policy(key)
        iv = rp.get("onSubmissionFailureRetryInterval" if state == "SUBMISSION_FAILED" else "onFailureRetryInterval")
        if not isinstance(iv, int) or isinstance(iv, bool):
            iv = RETRY_INTERVAL
        done = (self.apps[key].get("status") or {}).get("submissionAttempts") or 1
        return iv * done - (now - self.sim[key].get("last_submit", now))

    def _remove_app_pods(self, key):
        """The operator's deleteSparkResources: the driver pod (and so, by garbage collection, its executors)."""
        sim = self.sim[key]
        for pname in list(sim["pods"]):
            self._remove_pod(key[0], pname)
        sim["pods"] = {}
        self.cond.notify_all()

    def _submit(self, key, now):
        """The operator's submitSparkApplication: SUBMITTED (new attempt) or SUBMISSION_FAILED."""
        ns, name = key
        sim, obj = self.sim[key], self.apps[key]
        uid = obj["metadata"]["uid"]
        if (obj.get("spec") or {}).get("suspend") is True:
            return self._suspend(key)
        st = obj.get("status") or {}
        t = rfc3339(time.time())
        sim["last_submit"] = now
        sim["submission_id"] = new_uid()
        driver, _ = self._pod_names(key)
        subs = (st.get("submissionAttempts") or 0) + 1
        if sim["sub_fail"] > 0:
            sim["sub_fail"] -= 1
            err = ("failed to submit spark application: failed to run spark-submit for SparkApplication %s/%s: "
                   "simulated spark-submit failure: Exception in thread \"main\" org.apache.spark.SparkException: "
                   "simulated" % (ns, name))
            self._set_status(key, applicationState={"state": "SUBMISSION_FAILED", "errorMessage": err},
                             submissionID=sim["submission_id"], submissionAttempts=subs, lastSubmissionAttemptTime=t,
                             driverInfo=dict(st.get("driverInfo") or {}, podName=driver))
            self.event(KIND, ns, name, uid, "SparkApplicationSubmissionFailed",
                       "failed to submit SparkApplication %s: %s" % (name, err), "Warning")
            sim["phase"] = "submission_failed"
            self.schedule(key, T_ENDING)
            return
        sim["app_id"] = "spark-" + os.urandom(16).hex()
        sim["run_end"] = now + T_SUBMITTED + sim["run"]
        self._set_status(key, applicationState={"state": "SUBMITTED"}, sparkApplicationId=sim["app_id"],
                         submissionID=sim["submission_id"], lastSubmissionAttemptTime=t, terminationTime=None,
                         submissionAttempts=subs, executionAttempts=(st.get("executionAttempts") or 0) + 1,
                         executorState=None,
                         driverInfo={"podName": driver, "webUIServiceName": name + "-ui-svc",
                                     "webUIPort": 4040, "webUIAddress": "10.96.%d.%d:4040"
                                     % (hash(name) % 250, 1 + hash(name[::-1]) % 250)})
        self._pod(key, driver, "driver", "Pending")
        self.event(KIND, ns, name, uid, "SparkApplicationSubmitted",
                   "SparkApplication %s was submitted successfully" % name)
        self.event(KIND, ns, name, uid, "SparkDriverPending", "Driver %s is pending" % driver)
        sim["phase"] = "submitted"
        self.schedule(key, T_SUBMITTED)

    def _suspend(self, key):
        ns, name = key
        self._set_status(key, applicationState={"state": "SUSPENDING"})
        self.event(KIND, ns, name, self.apps[key]["metadata"]["uid"], "SparkApplicationSuspending",
                   "SparkApplication %s is suspending" % name, "Warning")
        self.sim[key]["phase"] = "suspending"
        self.schedule(key, T_KILL)

    def _pending_rerun(self, key, invalidate=False):
        """Resources deleted, the attempt's status reset (the operator's resetSparkApplicationStatus), then
        PENDING_RERUN; an invalidation also resets the attempt counters."""
        ns, name = key
        self._remove_app_pods(key)
        reset = dict(sparkApplicationId=None, terminationTime=None, driverInfo={}, executorState=None)
        if invalidate:
            reset.update(submissionAttempts=None, executionAttempts=None, lastSubmissionAttemptTime=None)
        self._set_status(key, applicationState={"state": "PENDING_RERUN"}, **reset)
        self.event(KIND, ns, name, self.apps[key]["metadata"]["uid"], "SparkApplicationPendingRerun",
                   "SparkApplication %s is pending rerun" % name, "Warning")
        self.sim[key]["phase"] = "submit"
        self.schedule(key, T_ADD)

    def _advance(self, key, sim, now):
        ns, name = key
        obj = self.apps[key]
        uid = obj["metadata"]["uid"]
        ph = sim["phase"]
        state = dig(obj, "status", "applicationState", "state") or ""
        t = rfc3339(time.time())
        suspend = (obj.get("spec") or {}).get("suspend") is True
        if ph in ("new", "submit"):
            if suspend:
                return self._suspend(key)
            self._submit(key, now)
        elif ph == "submission_failed":
            if self._should_retry(key, "SUBMISSION_FAILED"):
                wait = self._retry_wait(key, "SUBMISSION_FAILED", now)
                if wait > 0:
                    self.schedule(key, wait)
                    return
                self._submit(key, now)
            else:
                prev = dig(obj, "status", "applicationState") or {}
                self._set_status(key, applicationState=dict(prev, state="FAILED"), terminationTime=t)
                self.event(KIND, ns, name, uid, "SparkApplicationFailed",
                           "SparkApplication %s failed: %s" % (name, prev.get("errorMessage", "")), "Warning")
                sim.update(phase="done", ended=now)
                self._schedule_ttl(key)
        elif ph == "submitted":
            driver, execs = self._pod_names(key)
            sim["run_end"] = now + sim["run"]
            self._pod(key, driver, "driver", "Running")
            for i, e in enumerate(execs, 1):
                self._pod(key, e, "executor", "Pending", i)
            self._set_status(key, applicationState={"state": "RUNNING"},
                             executorState={e: "PENDING" for e in execs} or None)
            self.event(KIND, ns, name, uid, "SparkDriverRunning", "Driver %s is running" % driver)
            for e in execs:
                self.event(KIND, ns, name, uid, "SparkExecutorPending", "Executor %s is pending" % e)
            sim["phase"] = "executors"
            self.schedule(key, min(0.5, sim["run"] / 4))
        elif ph == "executors":
            _, execs = self._pod_names(key)
            for i, e in enumerate(execs, 1):
                if (ns, e) in self.pods:
                    self._pod(key, e, "executor", "Running", i)
            self._set_status(key, executorState={e: "RUNNING" for e in execs if (ns, e) in self.pods} or None)
            for e in execs:
                self.event(KIND, ns, name, uid, "SparkExecutorRunning", "Executor %s is running" % e)
            sim["phase"] = "running"
            if sim["outcome"] != "hang":
                self.schedule(key, max(0.0, sim["run_end"] - now))
        elif ph == "running":
            failing = sim["att_fail"] > 0
            if failing:
                sim["att_fail"] -= 1
            driver, execs = self._pod_names(key)
            self._finish_pods(key, "Failed" if failing else "Succeeded")
            st = {"state": "FAILING" if failing else "SUCCEEDING"}
            if failing:
                st["errorMessage"] = "driver container failed with ExitCode: 1, Reason: Error"
            self._set_status(key, applicationState=st, terminationTime=t,
                             executorState={e: "FAILED" if failing else "COMPLETED" for e in execs
                                            if e in sim["pods"]} or None)
            if failing:
                self.event(KIND, ns, name, uid, "SparkDriverFailed", "Driver %s failed" % driver, "Warning")
            else:
                self.event(KIND, ns, name, uid, "SparkDriverCompleted", "Driver %s completed" % driver)
            for e in execs:
                if e in sim["pods"]:
                    self.event(KIND, ns, name, uid, "SparkExecutorFailed" if failing else "SparkExecutorCompleted",
                               "Executor %s %s" % (e, "failed" if failing else "completed"),
                               "Warning" if failing else "Normal")
            sim["phase"] = "ending"
            self.schedule(key, T_ENDING)
        elif ph == "ending":        # SUCCEEDING or FAILING
            if state not in ("SUCCEEDING", "FAILING"):
                return
            if self._should_retry(key, state):
                if state == "FAILING":
                    wait = self._retry_wait(key, "FAILING", now)
                    if wait > 0:
                        self.schedule(key, wait)
                        return
                return self._pending_rerun(key)
            prev = dig(obj, "status", "applicationState") or {}
            if state == "FAILING":
                st = {"state": "FAILED", "errorMessage": prev.get("errorMessage") or "driver container failed"}
                self._set_status(key, applicationState=st)
                self.event(KIND, ns, name, uid, "SparkApplicationFailed",
                           "SparkApplication %s failed: %s" % (name, st["errorMessage"]), "Warning")
            else:
                self._set_status(key, applicationState={"state": "COMPLETED"})
                self.event(KIND, ns, name, uid, "SparkApplicationCompleted", "SparkApplication %s completed" % name)
            if not dig(self.apps[key], "status", "terminationTime"):
                self._set_status(key, terminationTime=t)
            sim.update(phase="done", ended=now)
            self._schedule_ttl(key)
        elif ph == "invalidate":        # a spec change: the current run is invalidated
            self._set_status(key, applicationState=dict(dig(obj, "status", "applicationState") or {},
                                                        state="INVALIDATING"))
            sim["phase"] = "invalidating"
            self.schedule(key, T_KILL)
        elif ph == "invalidating":
            self._pending_rerun(key, invalidate=True)
        elif ph == "suspend":
            if suspend and state not in TERMINAL + ("SUSPENDING", "SUSPENDED"):
                self._suspend(key)
        elif ph == "suspending":
            self._remove_app_pods(key)
            self._set_status(key, applicationState={"state": "SUSPENDED"}, sparkApplicationId=None,
                             driverInfo={}, executorState=None)
            self.event(KIND, ns, name, uid, "SparkApplicationSuspended", "SparkApplication %s is suspended" % name,
                       "Warning")
            sim["phase"] = "suspended"
            if not suspend:
                sim["phase"] = "resume"
                self.schedule(key, T_KILL)
        elif ph == "suspended":
            if not suspend:
                sim["phase"] = "resume"
                self.schedule(key, 0)
        elif ph == "resume":
            self._set_status(key, applicationState={"state": "RESUMING"})
            self.event(KIND, ns, name, uid, "SparkApplicationResuming", "SparkApplication %s is resuming" % name,
                       "Warning")
            sim["phase"] = "submit"
            self.schedule(key, T_ADD)
        elif ph == "done":      # timeToLiveSeconds after the end
            self.delete(ns, name)

    def create_pod(self, ns, body, manager="unknown"):
        """A client's pod (POST .../pods): validated for what kubesim uses, defaulted as the real server
        defaults it, and stored Pending. kubesim has no scheduler or kubelet, so it stays Pending; without
        spec.nodeName it is unscheduled, and its log is empty (204) as on the real server."""
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                              "application/json, application/yaml")
        if body.get("apiVersion") != "v1" or body.get("kind") != "Pod":
            raise bad_request("the API version in the data (%s) does not match the expected API version (v1)"
                              % body.get("apiVersion") if body.get("apiVersion") != "v1" else
                              "the kind in the data (%s) does not match the expected kind (Pod)" % body.get("kind"))
        md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        if md.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
        if not md.get("name") and isinstance(md.get("generateName"), str) and md["generateName"]:
            md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
        name = md.get("name") if isinstance(md.get("name"), str) else ""
        causes = metadata_causes(md)
        containers = spec.get("containers")
        if not isinstance(containers, list) or not containers:
            causes.append(("FieldValueRequired", "spec.containers", "Required value"))
        else:
            for i, ct in enumerate(containers):
                ct = ct if isinstance(ct, dict) else {}
                for f in ("name", "image"):
                    if not isinstance(ct.get(f), str) or not ct[f]:
                        causes.append(("FieldValueRequired", "spec.containers[%d].%s" % (i, f), "Required value"))
        if causes:
            errs = ["%s: %s" % (f, m) for _, f, m in causes]
            details = {"name": name, "kind": "Pod"} if name else {"kind": "Pod"}
            details["causes"] = [{"reason": r, "message": m, "field": f} for r, f, m in causes]
            raise ApiError(422, "Invalid", 'Pod "%s" is invalid: %s' % (
                name, errs[0] if len(errs) == 1 else "[%s]" % ", ".join(errs)), details)
        if ns not in self.namespaces:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})
        with self.lock:
            if (ns, name) in self.pods:
                raise ApiError(409, "AlreadyExists", 'pods "%s" already exists' % name, {"name": name, "kind": "pods"})
            for ct in containers:
                ct.setdefault("resources", {})
                ct.setdefault("terminationMessagePath", "/dev/termination-log")
                ct.setdefault("terminationMessagePolicy", "File")
                tag = ct["image"].rsplit("/", 1)[-1]
                ct.setdefault("imagePullPolicy", "IfNotPresent" if ":" in tag and not tag.endswith(":latest")
                              else "Always")
            for k, v in (("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30),
                         ("dnsPolicy", "ClusterFirst"), ("securityContext", {}),
                         ("schedulerName", "default-scheduler"), ("enableServiceLinks", True)):
                spec.setdefault(k, v)
            fields = pod_fields(md, spec)
            spec.setdefault("serviceAccountName", "default")     # admission's, after the field manager
            spec.setdefault("priority", 0)
            md = {k: v for k, v in md.items() if k not in ("resourceVersion", "uid", "creationTimestamp",
                                                            "deletionTimestamp", "managedFields")}
            md.update({"namespace": ns, "uid": new_uid(), "resourceVersion": self.next_rv(), "generation": 1,
                       "creationTimestamp": rfc3339(time.time()),
                       "managedFields": managed(None, manager, fields, "v1")})
            besteffort = not any((c.get("resources") or {}).get(k) for c in containers for k in ("requests", "limits"))
            pod = {"kind": "Pod", "apiVersion": "v1", "metadata": md, "spec": spec,
                   "status": {"phase": "Pending", "qosClass": "BestEffort" if besteffort else "Burstable"}}
            self.pods[(ns, name)] = pod
            self.cond.notify_all()
            return pod

    def delete_pod(self, ns, pname):
        with self.lock:
            pod = self.pods.get((ns, pname))
            if pod is None:
                raise not_found("pods", pname, group="")
            app = (pod["metadata"].get("labels") or {}).get("sparkoperator.k8s.io/app-name")
            key = (ns, app)
            sim = self.sim.get(key)
            if sim and sim["pods"].get(pname, {}).get("role") == "driver" and sim["phase"] in (
                    "submitted", "executors", "running"):
                # the operator finds the driver pod gone: FAILING, then (no retry left) FAILED
                msg = "driver pod not found: driver pod %s was deleted" % pname
                sim["killed"] = True
                self._finish_pods(key, "Failed")
                _, execs = self._pod_names(key)
                self._set_status(key, applicationState={"state": "FAILING", "errorMessage": msg},
                                 terminationTime=rfc3339(time.time()),
                                 executorState={e: "FAILED" for e in execs if e in sim["pods"]} or None)
                self.event(KIND, ns, app, self.apps[key]["metadata"]["uid"], "SparkDriverFailed",
                           "Driver %s failed: deleted" % pname, "Warning")
                sim["phase"] = "ending"
                self.schedule(key, T_KILL)
                sim.pop("killed", None)
            self._remove_pod(ns, pname)
            if sim:
                sim["pods"].pop(pname, None)
            self.next_rv()
            self.cond.notify_all()
            pod = copy.deepcopy(pod)
            pod["metadata"]["deletionTimestamp"] = rfc3339(time.time())
            pod["metadata"]["deletionGracePeriodSeconds"] = 30
            return pod

    # logs
    def visible_lines(self, ns, pname, lg):
        """How many lines of a log exist by now (all once the pod terminated)."""
        end = getattr(lg, "end_lines", None)
        if end is not None:
            return end
        app = (self.pods[(ns, pname)]["metadata"].get("labels") or {}).get("sparkoperator.k8s.io/app-name")
        sim = self.sim.get((ns, app))
        if sim is None:
            return lg.total
        info = sim["pods"].get(pname) or {}
        start = info.get("start") or self.now()
        frac = (self.now() - start) / lg.seconds
        n = int(lg.total * min(1.0, max(0.0, frac)))
        if sim["outcome"] == "hang":
            n = min(n, lg.total - 1)
        return max(0, n)


# --- HTTP --------------------------------------------------------------------------------------

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


def dig(o, *path):
    for p in path:
        if not isinstance(o, dict):
            return None
        o = o.get(p)
    return o


class Handler(BaseHTTPRequestHandler):
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

    def fault(self, path):
        """Applies a matching injected fault; True if the request was answered (or dropped) by it."""
        c = self.cluster
        with c.lock:
            match = None
            for f in c.faults:
                if f.get("path_prefix") and not path.startswith(f["path_prefix"]):
                    continue
                if f.get("method") and f["method"].upper() != self.command:
                    continue
                match = f
                break
            if match is None:
                return False
            if match.get("count") is not None:
                match["count"] -= 1
                if match["count"] <= 0:
                    c.faults.remove(match)
            match["hits"] = match.get("hits", 0) + 1
        mode = str(match.get("mode"))
        if mode == "delay":
            if match.get("after"):
                self.late = float(match.get("delay_ms", 1000)) / 1000.0     # do it now, answer later
            else:
                time.sleep(float(match.get("delay_ms", 1000)) / 1000.0)
            return False
        if mode == "refuse":
            self.close_connection = True
            drop(self.connection)
            return True
        if mode == "429":
            ra = int(match.get("retry_after", 1))
            e = ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                         {"retryAfterSeconds": ra}, {"Retry-After": str(ra)})
        else:
            code = int(match.get("status", mode if mode in ("500", "502", "503", "504") else 500))
            if code == 410:
                e = ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent "
                             "list result. You can start a new list without the continue parameter.")
            elif code == 500:
                e = ApiError(500, "InternalError", "Internal error occurred: kubesim: injected fault",
                             {"causes": [{"message": "kubesim: injected fault"}]})
            elif code == 504:
                e = ApiError(504, "Timeout", "Timeout: request did not complete within the allowed duration",
                             {"retryAfterSeconds": 1})
            else:
                e = ApiError(code, "ServiceUnavailable", "the server is currently unable to handle the request")
        self.send_json(e.code, e.status(), e.headers)
        return True

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

    def pod_log(self, ns, pname, q):
        c = self.cluster

        def num(name, minimum):
            v = q.get(name)
            if v is None:
                return None
            try:
                n = int(v)
            except ValueError:
                raise bad_request("%s: Invalid value: \"%s\": must be an integer" % (name, v))
            if n < minimum:
                raise ApiError(422, "Invalid", 'PodLogOptions "%s" is invalid: %s: Invalid value: %d: must be '
                               "greater than %s" % (pname, name, n, "or equal to 0" if minimum == 0 else "0"),
                               {"name": pname, "kind": "PodLogOptions", "causes": [
                                   {"reason": "FieldValueInvalid", "message": "Invalid value: %d" % n,
                                    "field": name}]})
            return n
        tail, limit = num("tailLines", 0), num("limitBytes", 1)
        ts = q.get("timestamps") in ("true", "1")
        follow = q.get("follow") in ("true", "1")
        with c.lock:
            pod = c.pods.get((ns, pname))
            if pod is None:
                raise not_found("pods", pname, group="")
            containers = [x["name"] for x in pod["spec"]["containers"]]
            cont = q.get("container") or None
            if cont is None:
                if len(containers) > 1 and "kubectl.kubernetes.io/default-container" not in (
                        pod["metadata"].get("annotations") or {}):
                    raise bad_request("a container name must be specified for pod %s, choose one of: [%s]"
                                      % (pname, " ".join(containers)))
                cont = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container",
                                                                      containers[0])
            if cont not in containers:
                raise bad_request("container %s is not valid for pod %s" % (cont, pname))
            if q.get("previous") in ("true", "1"):
                raise bad_request('previous terminated container "%s" in pod "%s" not found' % (cont, pname))
            if not pod["spec"].get("nodeName"):
                # not scheduled: no kubelet to ask, and the real server answers an empty 204
                self.send_response(204)
                self.send_header("Cache-Control", "no-cache, private")
                self.end_headers()
                return
            lg = c.logs.get((ns, pname, cont))
            if pod["status"]["phase"] == "Pending" or lg is None:
                raise bad_request('container "%s" in pod "%s" is waiting to start: ContainerCreating'
                                  % (cont, pname))
            visible = c.visible_lines(ns, pname, lg)
            finished = pod["status"]["phase"] in ("Succeeded", "Failed")
        n = max(0, visible - tail) if tail is not None else 0
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        left = [limit]

        def emit(upto):
            """Sends lines n+1..upto in chunks; False once limitBytes is reached."""
            nonlocal n
            while n < upto:
                end = min(upto, n + 2000)
                buf = "".join(lg.line(i, ts) for i in range(n + 1, end + 1)).encode()
                n = end
                if left[0] is not None:
                    buf = buf[:left[0]]
                    left[0] -= len(buf)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(buf), buf))
                if left[0] is not None and left[0] <= 0:
                    return False
            return True
        going = emit(visible)
        while going and follow and not finished:
            with c.lock:
                c.cond.wait(0.05)
                pod = c.pods.get((ns, pname))
                if pod is None or c.logs.get((ns, pname, cont)) is not lg:
                    break
                visible = c.visible_lines(ns, pname, lg)
                finished = pod["status"]["phase"] in ("Succeeded", "Failed")
            going = emit(visible)
        self.wfile.write(b"0\r\n\r\n")

    # control API
    def control(self, path, q):
        c = self.cluster
        body = self.body() if self.command in ("POST", "PUT", "PATCH") else None
        if body is not None and not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        body = body or {}
        if path == "/_sim/faults":
            with c.lock:
                if self.command == "DELETE":
                    c.faults = []
                elif self.command == "POST":
                    mode = str(body.get("mode"))
                    if mode not in ("refuse", "status", "delay", "429", "500", "503", "504"):
                        raise bad_request("mode: one of refuse, status (with status: 410|500|502|503|504), 500, 503, 504, "
                                          "delay (with delay_ms), 429 (with retry_after)")
                    f = dict(body, mode=mode)
                    try:
                        if f.get("count") is not None:
                            f["count"] = int(f["count"])
                        f["status"] = int(f.get("status", mode if mode.isdigit() and mode != "429" else 500))
                        f["delay_ms"] = float(f.get("delay_ms", 1000))
                        f["retry_after"] = int(f.get("retry_after", 1))
                    except (TypeError, ValueError):
                        raise bad_request("count, status, delay_ms and retry_after are numbers")
                    if mode == "status" and f["status"] not in (410, 500, 502, 503, 504):
                        raise bad_request("status: 410, 500, 502, 503 or 504")
                    c.faults.append(f)
                elif self.command != "GET":
                    raise self.not_allowed()
                return self.send_json(200, {"faults": c.faults})
        if path == "/_sim/token":
            # rotation: the API server accepts only the new token from now on (the caller
            # writes it where the client reads it)
            if self.command != "POST":
                raise self.not_allowed()
            tok = body.get("token")
            if not isinstance(tok, str) or not tok or any(ch.isspace() for ch in tok):
                raise bad_request("token: a non-empty string without spaces")
            with c.lock:
                c.token = tok
            return self.send_json(200, {"rotated": True})
        if path == "/_sim/clock":
            if self.command == "POST":
                try:
                    if "speed" in body:
                        sp = float(body["speed"])
                        if sp < 0:
                            raise ValueError
                        c.set_speed(sp)
                    if "advance_seconds" in body:
                        c.advance(float(body["advance_seconds"]))
                except (TypeError, ValueError):
                    raise bad_request("speed and advance_seconds are non-negative numbers")
                c.step()
            now = c.now()
            return self.send_json(200, {"now": now, "now_rfc3339": rfc3339(now), "speed": c.speed})
        if path == "/_sim/bulk" and self.command == "POST":
            return self.bulk(body)
        if path == "/_sim/reset" and self.command == "POST":
            c.reset()
            with c.lock:
                c.faults = []
            return self.send_json(200, {"reset": True})
        if path == "/_sim/history" and self.command == "GET":
            with c.lock:
                hist = c.history.get((q.get("namespace") or c.namespaces[0], q.get("name") or ""))
                if hist is None:
                    raise not_found(PLURAL, q.get("name") or "")
                return self.send_json(200, {"history": [
                    {"state": h[0], "submissionAttempts": h[1], "executionAttempts": h[2],
                     "sparkApplicationId": h[3], "resourceVersion": h[4]} for h in hist]})
        if path == "/_sim/state" and self.command == "GET":
            with c.lock:
                states = {}
                for o in c.apps.values():
                    s = dig(o, "status", "applicationState", "state") or ""
                    states[s] = states.get(s, 0) + 1
                return self.send_json(200, {"cluster": c.id, "namespaces": c.namespaces, "apps": len(c.apps),
                                            "states": states, "pods": len(c.pods), "events": len(c.events),
                                            "faults": c.faults, "now": c.now(), "speed": c.speed,
                                            "delayed": c.delayed,
                                            "resourceVersion": str(c.rv)})
        raise ApiError(404, "NotFound", "unknown control endpoint %s %s" % (self.command, path))

    def bulk(self, body):
        c = self.cluster
        tpl = body.get("template")
        if not isinstance(tpl, dict):
            raise bad_request("template: a SparkApplication object")
        ns = body.get("namespace") or (tpl.get("metadata") or {}).get("namespace") or c.namespaces[0]
        try:
            count = int(body.get("count", 1))
        except (TypeError, ValueError):
            raise bad_request("count: a number")
        if not 0 <= count <= 1000000:
            raise bad_request("count: 0..1000000")
        prefix = str(body.get("prefix", "bulk"))
        state = body.get("state")
        if state is not None and state not in STATES:
            raise bad_request("state: one of %s" % ", ".join(s for s in STATES if s))
        tpl = copy.deepcopy(tpl)
        tpl.setdefault("apiVersion", GV)
        tpl.setdefault("kind", KIND)
        tmd = tpl.get("metadata") or {}
        # the template is checked once as the API would check it, then copied
        probe = copy.deepcopy(dict(tpl, metadata=dict(tmd, name="%s-%06d" % (prefix, max(0, count - 1)))))
        probe.pop("status", None)
        c.schema.prune(probe)
        causes = metadata_causes(probe["metadata"]) + c.schema.causes(probe)
        if causes:
            raise invalid(probe["metadata"]["name"], causes)
        if ns not in c.namespaces:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})
        spec = probe.get("spec")    # shared by every copy: stored objects are replaced, never changed
        mf = managed(None, manager_name(None, self.headers.get("User-Agent")),       # the same for each
                      object_fields(dict(probe, metadata=dict(tmd))), GV)
        t0 = time.time()
        created = skipped = 0
        for i in range(count):
            md = dict(tmd, name="%s-%06d" % (prefix, i))
            md.pop("generateName", None)
            o = {"apiVersion": GV, "kind": KIND, "metadata": md, "spec": spec}
            try:
                c.create(ns, o, validate=False, state=state, managed_fields=mf)
                created += 1
            except ApiError as e:
                if e.code != 409:
                    raise
                skipped += 1
        return self.send_json(200, {"created": created, "existing": skipped, "namespace": ns,
                                    "seconds": round(time.time() - t0, 3)})


def drop(sock):
    """Closes a connection at once with a reset, without answering."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass
    try:
        sock.close()
    except OSError:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def shutdown_request(self, request):
        try:
            super().shutdown_request(request)
        except (OSError, ValueError):
            pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError, ValueError)):
            return          # a client that went away, a failed handshake, a dropped connection
        super().handle_error(request, client_address)


def make_certs(d, cid):
    os.makedirs(d, exist_ok=True)
    ca, key = os.path.join(d, "ca.crt"), os.path.join(d, "ca.key")
    crt, tkey = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
    q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    if not (os.path.exists(crt) and os.path.exists(tkey) and os.path.exists(ca)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=kubesim-%s-ca" % cid, "-keyout", key, "-out", ca,
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **q)
        csr = os.path.join(d, "tls.csr")
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
                        "-keyout", tkey, "-out", csr], **q)
        ext = os.path.join(d, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n")
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", key, "-CAcreateserial",
                        "-days", "825", "-sha256", "-extfile", ext, "-out", crt], **q)
        for p in (csr, ext, os.path.join(d, "ca.srl")):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        os.chmod(tkey, 0o600)
    tok = os.path.join(d, "token")
    if not os.path.exists(tok) or not open(tok).read().strip():
        with open(tok, "w") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("="))
        os.chmod(tok, 0o600)
    with open(tok) as f:
        return f.read().strip()


def write_kubeconfig(path, clusters, host):
    server_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    lines = ["apiVersion: v1", "kind: Config", "preferences: {}", "current-context: %s" % clusters[0].id,
             "clusters:"]
    for c in clusters:
        with open(os.path.join(os.path.dirname(path), c.id, "ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        lines += ["- name: %s" % c.id, "  cluster:", "    server: https://%s:%d" % (server_host, c.port),
                  "    certificate-authority-data: %s" % ca]
    lines.append("users:")
    for c in clusters:
        lines += ["- name: %s" % c.id, "  user:", "    token: %s" % c.token]
    lines.append("contexts:")
    for c in clusters:
        lines += ["- name: %s" % c.id, "  context:", "    cluster: %s" % c.id, "    user: %s" % c.id,
                  "    namespace: %s" % c.namespaces[0]]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def parse_cluster(spec):
    parts = spec.split(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
        raise argparse.ArgumentTypeError("--cluster ID:PORT:NS1[,NS2...], not %r" % spec)
    nss = [n for n in parts[2].split(",") if n]
    if not nss:
        raise argparse.ArgumentTypeError("--cluster %r: at least one namespace" % spec)
    return parts[0], int(parts[1]), nss


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="where the certificates, tokens, kubeconfig and ready go")
    ap.add_argument("--cluster", action="append", required=True, type=parse_cluster, help="ID:PORT:NS1[,NS2...]")
    ap.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    ap.add_argument("--crd-dir", default=os.path.join(here, "..", "..", "..", "shared", "crd"),
                    help="folder with sparkapplication-v1beta2.schema.json (default: the project's ../shared/crd)")
    ap.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    a = ap.parse_args()
    if a.speed < 0:
        ap.error("--speed must be >= 0")
    ids = [cl[0] for cl in a.cluster]
    if len(set(ids)) != len(ids) or len({cl[1] for cl in a.cluster}) != len(ids):
        ap.error("cluster ids and ports must be distinct")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    os.makedirs(a.dir, exist_ok=True)
    try:
        os.unlink(os.path.join(a.dir, "ready"))
    except FileNotFoundError:
        pass
    schema = Schema(os.path.abspath(a.crd_dir))
    clusters, servers = [], []
    for cid, port, nss in a.cluster:
        c = Cluster(cid, port, nss, a.speed, schema)
        c.token = make_certs(os.path.join(a.dir, cid), cid)
        srv = Server((a.host, c.port), Handler)
        srv.cluster = c
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(a.dir, cid, "tls.crt"), os.path.join(a.dir, cid, "tls.key"))
        ctx.set_alpn_protocols(["http/1.1"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        clusters.append(c)
        servers.append(srv)
    write_kubeconfig(os.path.join(a.dir, "kubeconfig"), clusters, a.host)

    def operator():
        while not stop.is_set():
            for c in clusters:
                try:
                    c.step()
                except Exception:
                    traceback.print_exc()
            stop.wait(0.02)
    # Python's full collections walk every object the simulator holds: 0.37 s at 10,000
    # applications, a stall of every request (creates' worst 540 ms -> 60 ms without them). What
    # it holds are trees freed by reference counting; the young generations are still collected,
    # and what lived through them is never walked for cycles again.
    gc.freeze()
    gc.set_threshold(700, 10, 10 ** 9)
    threading.Thread(target=operator, daemon=True).start()
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    with open(os.path.join(a.dir, "ready.tmp"), "w") as f:
        f.write("\n".join("%s https://%s:%d" % (c.id, a.host, c.port) for c in clusters) + "\n")
    os.replace(os.path.join(a.dir, "ready.tmp"), os.path.join(a.dir, "ready"))
    for c in clusters:
        print("kubesim: cluster %s on https://%s:%d namespaces %s speed %g" % (
            c.id, a.host, c.port, ",".join(c.namespaces), c.speed), flush=True)
    while not stop.is_set():
        stop.wait(0.5)
    try:
        os.unlink(os.path.join(a.dir, "ready"))      # a stale ready file must not fool the next caller
    except FileNotFoundError:
        pass
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
