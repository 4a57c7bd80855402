#!/usr/bin/env python3
"""kubesim: a Kubernetes API server simulator with a Spark operator inside, for bpg's tests.

usage: kubesim.py --dir DIR --cluster ID:PORT:NS1[,NS2...] [--cluster ...] [--speed F]
                  [--crd-dir PATH] [--host 127.0.0.1]

Each cluster listens on its own port with its own CA-signed TLS certificate and bearer token
(DIR/ID/ca.crt, tls.crt, tls.key, token), serves what bpg and kubectl need of the API
(discovery, SparkApplications, pods and their logs, events), and runs a simulated Spark
operator that moves applications through the operator's states on a clock that runs
--speed simulated seconds per real second. DIR/kubeconfig has one context per cluster;
DIR/ready appears when every listener is up. A control API under /_sim/ (no token) injects
faults, bulk-creates objects and drives the clock. See t/kubesim/README.md.
"""
import argparse
import base64
import copy
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

GROUP, VERSION, PLURAL, KIND = "sparkoperator.k8s.io", "v1beta2", "sparkapplications", "SparkApplication"
API = "/apis/%s/%s" % (GROUP, VERSION)
ANN = "kubesim.bpg.dev/"
TERMINAL = ("COMPLETED", "FAILED", "SUBMISSION_FAILED")
LINE_LEN = 100          # every generated log line is exactly this long, newline included
DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class ApiError(Exception):
    """An error answered as a metav1.Status."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details
        self.headers = headers or {}

    def status(self):
        s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            s["details"] = self.details
        return s


def not_found(resource, name, group=GROUP):
    kind = resource
    full = "%s.%s" % (resource, group) if group else resource
    return ApiError(404, "NotFound", '%s "%s" not found' % (full, name),
                    {"name": name, "group": group, "kind": kind} if group else {"name": name, "kind": kind})


# --- schema: validation and pruning --------------------------------------------------------

class Schema:
    """The operator's CRD schema when available; built-in checks of known fields otherwise."""

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
            print("kubesim: warning: %s not found: the full schema check is off; only the "
                  "fields kubesim knows are checked" % (path or "crd dir"), flush=True)

    def prune(self, obj, schema=None, top=True):
        """Drops fields the schema does not declare, as a structural-schema server does."""
        if self.full is None:
            return obj
        schema = self.full if schema is None else schema
        if isinstance(obj, dict):
            if schema.get("x-kubernetes-preserve-unknown-fields"):
                return obj
            props = schema.get("properties")
            addl = schema.get("additionalProperties")
            if props is not None:
                for k in list(obj):
                    if top and k in ("apiVersion", "kind", "metadata"):
                        continue
                    if k in props:
                        obj[k] = self.prune(obj[k], props[k], False)
                    else:
                        del obj[k]
            elif isinstance(addl, dict):
                for k in obj:
                    obj[k] = self.prune(obj[k], addl, False)
        elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
            return [self.prune(x, schema["items"], False) for x in obj]
        return obj

    def unknown_fields(self, obj, schema=None, path="", top=True):
        out = []
        if self.full is None:
            return out
        schema = self.full if schema is None else schema
        if isinstance(obj, dict) and not schema.get("x-kubernetes-preserve-unknown-fields"):
            props = schema.get("properties")
            if props is not None:
                for k, v in obj.items():
                    if top and k in ("apiVersion", "kind", "metadata"):
                        continue
                    p = (path + "." + k) if path else k
                    if k not in props:
                        out.append(p)
                    else:
                        out += self.unknown_fields(v, props[k], p, False)
            elif isinstance(schema.get("additionalProperties"), dict):
                for k, v in obj.items():
                    out += self.unknown_fields(v, schema["additionalProperties"], path + "." + k, False)
        elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
            for i, v in enumerate(obj):
                out += self.unknown_fields(v, schema["items"], "%s[%d]" % (path, i), False)
        return out

    def causes(self, obj):
        """Invalid-value causes: [(field, message)]."""
        out = []
        if self.full is not None:
            for e in self.validator.iter_errors(obj):
                field = ".".join(str(p) if not isinstance(p, int) else "[%d]" % p for p in e.absolute_path)
                field = field.replace(".[", "[")
                out.append((field or "<root>", "Invalid value: %s: %s" % (json.dumps(e.instance)[:80], e.message[:200])))
            return out
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [("spec", "Required value")]
        for k in ("type", "sparkVersion"):
            if not isinstance(spec.get(k), str):
                out.append(("spec." + k, "Required value: must be a string"))
        if spec.get("type") not in ("Java", "Scala", "Python", "R"):
            out.append(("spec.type", 'Unsupported value: %s: supported values: "Java", "Python", "R", "Scala"'
                        % json.dumps(spec.get("type"))))
        for pod in ("driver", "executor"):
            p = spec.get(pod, {})
            if not isinstance(p, dict):
                out.append(("spec." + pod, "Invalid value: must be an object"))
                continue
            for k in ("cores", "instances"):
                if k in p and not isinstance(p[k], int):
                    out.append(("spec.%s.%s" % (pod, k), "Invalid value: %s: spec.%s.%s in body must be of type integer"
                                % (json.dumps(p[k]), pod, k)))
            for k in ("memory", "coreLimit", "coreRequest", "serviceAccount"):
                if k in p and not isinstance(p[k], str):
                    out.append(("spec.%s.%s" % (pod, k), "Invalid value: must be of type string"))
        if "timeToLiveSeconds" in spec and not isinstance(spec["timeToLiveSeconds"], int):
            out.append(("spec.timeToLiveSeconds", "Invalid value: must be of type integer"))
        return out


def metadata_causes(md, name_required=True):
    out = []
    name = md.get("name")
    if not isinstance(name, str) or not name:
        if name_required:
            out.append(("metadata.name", "Required value: name or generateName is required"))
    elif len(name) > 253 or not DNS1123_SUB.match(name):
        out.append(("metadata.name", 'Invalid value: "%s": a lowercase RFC 1123 subdomain must consist of lower case '
                    "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character" % name))
    for k, v in (md.get("labels") or {}).items():
        prefix, _, nm = k.rpartition("/")
        if (prefix and (len(prefix) > 253 or not DNS1123_SUB.match(prefix))) or len(nm) > 63 or not LABEL_NAME.match(nm):
            out.append(("metadata.labels", 'Invalid value: "%s": name part must consist of alphanumeric characters, '
                        "'-', '_' or '.'" % k))
        if not isinstance(v, str) or len(v) > 63 or not LABEL_VALUE.match(v):
            out.append(("metadata.labels", 'Invalid value: "%s": a valid label must be an empty string or consist of '
                        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                        "(max 63)" % v))
    for k, v in (md.get("annotations") or {}).items():
        if not isinstance(v, str):
            out.append(("metadata.annotations", "Invalid value: annotation values must be strings"))
    return out


# --- selectors -----------------------------------------------------------------------------

def parse_label_selector(s):
    """Returns a predicate over a labels dict; raises ApiError 400 on syntax errors."""
    if not s:
        return lambda labels: True
    reqs = []
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
    for p in parts:
        p = p.strip()
        m = re.match(r"^([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)$", p)
        if m:
            vals = {v.strip() for v in m.group(3).split(",")}
            key, op = m.group(1), m.group(2)
            reqs.append((lambda k, vs, o: (lambda l: (l.get(k) in vs) if o == "in" else (l.get(k) not in vs)))(key, vals, op))
            continue
        m = re.match(r"^([A-Za-z0-9./_-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$", p)
        if m:
            key, op, val = m.groups()
            reqs.append((lambda k, v, o: (lambda l: l.get(k) == v) if o != "!=" else (lambda l: l.get(k) != v))(key, val, op))
            continue
        m = re.match(r"^!\s*([A-Za-z0-9./_-]+)$", p)
        if m:
            reqs.append((lambda k: lambda l: k not in l)(m.group(1)))
            continue
        m = re.match(r"^([A-Za-z0-9./_-]+)$", p)
        if m:
            reqs.append((lambda k: lambda l: k in l)(m.group(1)))
            continue
        raise ApiError(400, "BadRequest", "unable to parse requirement: %s" % p)
    return lambda labels: all(r(labels) for r in reqs)


def parse_field_selector(s, allowed):
    if not s:
        return lambda get: True
    reqs = []
    for p in s.split(","):
        m = re.match(r"^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$", p.strip())
        if not m or m.group(1) not in allowed:
            raise ApiError(400, "BadRequest", 'field label not supported: %s' % (m.group(1) if m else p))
        key, op, val = m.groups()
        reqs.append((key, op, val))
    return lambda get: all((get(k) == v) != (o == "!=") for k, o, v in reqs)


# --- one simulated cluster ---------------------------------------------------------------------

class Cluster:
    def __init__(self, cid, port, namespaces, speed, schema):
        self.id, self.port, self.namespaces = cid, port, namespaces
        self.schema = schema
        self.lock = threading.RLock()
        self.apps = {}          # (ns, name) -> object (replaced, never mutated, once stored)
        self.sim = {}           # (ns, name) -> simulation state
        self.pods = {}          # (ns, name) -> pod object
        self.events = []
        self.rv = 1000
        self.snapshots = {}     # continue token id -> (created, [keys], {key: obj})
        self.faults = []
        self.speed = speed
        self.clock_real, self.clock_sim = time.time(), time.time()
        self.token = None

    # clock
    def now(self):
        with self.lock:
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

    # events
    def event(self, obj_kind, ns, name, uid, reason, message, etype="Normal"):
        t = rfc3339(time.time())
        self.events.append({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "%s.%x" % (name, len(self.events) + 1), "namespace": ns,
                         "uid": str(uuid.uuid4()), "resourceVersion": self.next_rv(), "creationTimestamp": t},
            "involvedObject": {"kind": obj_kind, "namespace": ns, "name": name, "uid": uid,
                               "apiVersion": "%s/%s" % (GROUP, VERSION) if obj_kind == KIND else "v1"},
            "reason": reason, "message": message, "type": etype, "count": 1,
            "firstTimestamp": t, "lastTimestamp": t, "source": {"component": "spark-operator"}})
        if len(self.events) > 200000:
            del self.events[:100000]

    def check_ns(self, ns):
        if ns not in self.namespaces:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})

    # SparkApplications
    def create(self, ns, body, strict=False, validate=True, state=None):
        self.check_ns(ns)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format")
        md = body.setdefault("metadata", {})
        if not isinstance(md, dict):
            raise ApiError(400, "BadRequest", "metadata must be an object")
        if md.get("namespace") not in (None, ns):
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                                              "sent on the request")
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
        name = md.get("name", "")
        if body.get("kind") not in (None, KIND) or body.get("apiVersion") not in (None, "%s/%s" % (GROUP, VERSION)):
            raise ApiError(400, "BadRequest", "the API version in the data (%s) does not match the expected API "
                                              "version (%s/%s)" % (body.get("apiVersion"), GROUP, VERSION))
        if validate:
            causes = metadata_causes(md)
            if strict:
                causes += [(f, 'unknown field "%s"' % f) for f in self.schema.unknown_fields(body)]
            body.pop("status", None)
            causes += self.schema.causes(body)
            if causes:
                raise ApiError(422, "Invalid", '%s.%s "%s" is invalid: %s' % (
                    KIND, GROUP, name, "; ".join("%s: %s" % c for c in causes[:10])),
                    {"name": name, "group": GROUP, "kind": KIND,
                     "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes]})
            body = self.schema.prune(body)
        with self.lock:
            key = (ns, name)
            if key in self.apps:
                raise ApiError(409, "AlreadyExists", '%s.%s "%s" already exists' % (PLURAL, GROUP, name),
                               {"name": name, "group": GROUP, "kind": PLURAL})
            now = self.now()
            md.update({"namespace": ns, "uid": str(uuid.uuid4()), "resourceVersion": self.next_rv(),
                       "creationTimestamp": rfc3339(time.time()), "generation": 1})
            body["apiVersion"], body["kind"] = "%s/%s" % (GROUP, VERSION), KIND
            self.apps[key] = body
            ann = md.get("annotations") or {}
            self.sim[key] = {"created": now, "outcome": ann.get(ANN + "outcome", "success"),
                             "run": float(ann.get(ANN + "run-seconds", 5)),
                             "log_bytes": int(ann.get(ANN + "log-bytes", 20000)),
                             "phase": None, "t": now, "app_id": "spark-" + uuid.uuid4().hex}
            if state is None:
                self.event(KIND, ns, name, md["uid"], "SparkApplicationAdded",
                           "SparkApplication %s was added, enqueuing it for submission" % name)
            else:
                self._jump(key, state)
            return body

    def get(self, ns, name):
        self.check_ns(ns)
        with self.lock:
            obj = self.apps.get((ns, name))
            if obj is None:
                raise not_found(PLURAL, name)
            return obj

    def delete(self, ns, name):
        self.check_ns(ns)
        with self.lock:
            obj = self.apps.pop((ns, name), None)
            if obj is None:
                raise not_found(PLURAL, name)
            self.sim.pop((ns, name), None)
            for k in [k for k, p in self.pods.items() if k[0] == ns and
                      p["metadata"]["labels"].get("sparkoperator.k8s.io/app-name") == name]:
                del self.pods[k]
            self.next_rv()
            return obj

    def patch(self, ns, name, patch):
        def merge(target, p):
            if not isinstance(p, dict):
                return p
            if not isinstance(target, dict):
                target = {}
            for k, v in p.items():
                if v is None:
                    target.pop(k, None)
                else:
                    target[k] = merge(target.get(k), v)
            return target
        with self.lock:
            obj = copy.deepcopy(self.get(ns, name))
            if not isinstance(patch, dict):
                raise ApiError(400, "BadRequest", "the patch must be a JSON object")
            for k in ("name", "namespace", "uid", "creationTimestamp"):
                if k in (patch.get("metadata") or {}):
                    raise ApiError(422, "Invalid", "metadata.%s is immutable" % k,
                                   {"causes": [{"field": "metadata." + k, "message": "field is immutable"}]})
            obj = merge(obj, patch)
            causes = metadata_causes(obj["metadata"]) + self.schema.causes({k: v for k, v in obj.items() if k != "status"})
            if causes:
                raise ApiError(422, "Invalid", '%s.%s "%s" is invalid' % (KIND, GROUP, name),
                               {"name": name, "group": GROUP, "kind": KIND,
                                "causes": [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes]})
            obj["metadata"]["resourceVersion"] = self.next_rv()
            obj["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
            self.apps[(ns, name)] = obj
            return obj

    def list(self, ns, label_sel, field_sel, limit, cont):
        with self.lock:
            if cont:
                try:
                    tid = json.loads(base64.urlsafe_b64decode(cont.encode() + b"==").decode())["id"]
                    created, keys, objs, start, rv = self.snapshots[tid]
                except Exception:
                    raise ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent "
                                                   "list result. You can start a new list without the continue "
                                                   "parameter, or use the continue token in this response to retrieve "
                                                   "the remainder of the results. Continuing with the provided token "
                                                   "results in an inconsistent list - objects that were created, "
                                                   "modified, or deleted between the time the first chunk was returned "
                                                   "and now may show up in the list.")
                if time.time() - created > 300:
                    raise ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent "
                                                   "list result.")
            else:
                sel = parse_label_selector(label_sel)
                fsel = parse_field_selector(field_sel, ("metadata.name", "metadata.namespace"))
                keys = sorted(k for k, o in self.apps.items()
                              if (ns is None or k[0] == ns) and sel(o["metadata"].get("labels") or {})
                              and fsel(lambda f, o=o: o["metadata"].get(f.split(".")[1])))
                objs = {k: self.apps[k] for k in keys}
                start, rv, created, tid = 0, str(self.rv), time.time(), None
            end = len(keys) if not limit else min(len(keys), start + limit)
            items = [objs[k] for k in keys[start:end]]
            md = {"resourceVersion": rv}
            if end < len(keys):
                tid = uuid.uuid4().hex
                self.snapshots[tid] = (created, keys, objs, end, rv)
                if len(self.snapshots) > 200:
                    for old in sorted(self.snapshots, key=lambda t: self.snapshots[t][0])[:100]:
                        del self.snapshots[old]
                md["continue"] = base64.urlsafe_b64encode(json.dumps({"id": tid, "rv": rv}).encode()).decode().rstrip("=")
                md["remainingItemCount"] = len(keys) - end
            return {"apiVersion": "%s/%s" % (GROUP, VERSION), "kind": KIND + "List", "metadata": md, "items": items}

    # the operator
    def _set_status(self, key, **st):
        obj = copy.deepcopy(self.apps[key])
        status = obj.setdefault("status", {})
        for k, v in st.items():
            if v is None:
                status.pop(k, None)
            else:
                status[k] = v
        obj["metadata"]["resourceVersion"] = self.next_rv()
        self.apps[key] = obj
        return obj

    def _pod(self, key, name, role, phase, sim, index=None):
        ns, app = key
        obj = self.apps[key]
        spec = obj.get("spec", {})
        labels = dict((spec.get(role, {}) or {}).get("labels") or {})
        labels.update({"spark-role": role, "sparkoperator.k8s.io/app-name": app,
                       "sparkoperator.k8s.io/launched-by-spark-operator": "true",
                       "spark-app-selector": sim["app_id"],
                       "sparkoperator.k8s.io/submission-id": sim.get("submission_id", "")})
        if role == "executor":
            labels["spark-exec-id"] = str(index)
        container = "spark-kubernetes-driver" if role == "driver" else "spark-kubernetes-executor"
        now = rfc3339(time.time())
        pod = self.pods.get((ns, name))
        if pod is None:
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": ns, "uid": str(uuid.uuid4()), "labels": labels,
                                "creationTimestamp": now, "resourceVersion": self.next_rv(),
                                "ownerReferences": [{"apiVersion": "%s/%s" % (GROUP, VERSION), "kind": KIND,
                                                     "name": app, "uid": obj["metadata"]["uid"], "controller": True}]},
                   "spec": {"containers": [{"name": container, "image": spec.get("image", "spark")}]
                            + ([{"name": "sidecar", "image": "busybox"}] if (obj["metadata"].get("annotations") or {}).get(ANN + "sidecar") and role == "driver" else []),
                            "serviceAccountName": (spec.get("driver") or {}).get("serviceAccount", "default")},
                   "status": {}}
            self.pods[(ns, name)] = pod
        pod["status"] = {"phase": phase, "startTime": pod["status"].get("startTime", now),
                         "containerStatuses": [{"name": c["name"], "ready": phase == "Running", "restartCount": 0,
                                                "state": {"running": {"startedAt": now}} if phase == "Running" else
                                                {"terminated": {"exitCode": 0 if phase == "Succeeded" else 1,
                                                                "reason": "Completed" if phase == "Succeeded" else "Error",
                                                                "finishedAt": now}}}
                                               for c in pod["spec"]["containers"]]}
        pod["metadata"]["resourceVersion"] = self.next_rv()
        self.sim[key].setdefault("pods", {})[name] = {"start": self.now() if "start" not in self.sim[key].get("pods", {}).get(name, {}) else self.sim[key]["pods"][name]["start"],
                                                    "end": None, "role": role}
        return pod

    def _pod_names(self, key):
        ns, name = key
        obj = self.apps[key]
        spec = obj.get("spec", {})
        driver = (spec.get("driver") or {}).get("podName") or name + "-driver"
        prefix = (spec.get("sparkConf") or {}).get("spark.kubernetes.executor.podNamePrefix") or name
        n = (spec.get("executor") or {}).get("instances", 1)
        n = n if isinstance(n, int) and 0 <= n <= 1000 else 1
        return driver, ["%s-exec-%d" % (prefix, i) for i in range(1, n + 1)]

    def _finish_pods(self, key, phase):
        for pname, info in (self.sim[key].get("pods") or {}).items():
            p = self.pods.get((key[0], pname))
            if p is not None and p["status"].get("phase") == "Running":
                self._pod(key, pname, info["role"], phase, self.sim[key])
                self.sim[key]["pods"][pname]["end"] = self.now()

    def _jump(self, key, state):
        """Puts a bulk-created object straight into state (no events, no pods)."""
        sim = self.sim[key]
        t = rfc3339(time.time())
        st = {"applicationState": {"state": state}, "sparkApplicationId": sim["app_id"],
              "submissionID": str(uuid.uuid4()), "lastSubmissionAttemptTime": t,
              "submissionAttempts": 1, "executionAttempts": 1}
        if state in TERMINAL:
            st["terminationTime"] = t
        self._set_status(key, **st)
        sim["phase"] = "done" if state in TERMINAL else "running" if state == "RUNNING" else "submitted"
        sim["t"] = self.now() if state != "RUNNING" else self.now()
        if state in TERMINAL:
            sim["ended"] = self.now()

    def step(self):
        """Moves every object along; called a few times a second."""
        with self.lock:
            now = self.now()
            for key in list(self.sim):
                if key not in self.apps:
                    continue
                sim = self.sim[key]
                obj = self.apps[key]
                ns, name = key
                uid = obj["metadata"]["uid"]
                ph = sim["phase"]
                if ph is None and now - sim["t"] >= 0.5:
                    if sim["outcome"] == "submission-fail":
                        self._set_status(key, applicationState={"state": "SUBMISSION_FAILED", "errorMessage":
                                         "failed to run spark-submit for SparkApplication %s/%s: simulated submission "
                                         "failure" % (ns, name)}, submissionAttempts=1, lastSubmissionAttemptTime=rfc3339(time.time()),
                                         terminationTime=rfc3339(time.time()))
                        self.event(KIND, ns, name, uid, "SparkApplicationSubmissionFailed",
                                   "failed to submit SparkApplication %s: simulated submission failure" % name, "Warning")
                        sim.update(phase="done", t=now, ended=now)
                        continue
                    sim["submission_id"] = str(uuid.uuid4())
                    driver, _ = self._pod_names(key)
                    self._set_status(key, applicationState={"state": "SUBMITTED"}, sparkApplicationId=sim["app_id"],
                                     submissionID=sim["submission_id"], lastSubmissionAttemptTime=rfc3339(time.time()),
                                     submissionAttempts=1, executionAttempts=1,
                                     driverInfo={"podName": driver, "webUIServiceName": name + "-ui-svc",
                                                 "webUIPort": 4040, "webUIAddress": "10.0.0.1:4040"})
                    self._pod(key, driver, "driver", "Pending", sim)
                    self.event(KIND, ns, name, uid, "SparkApplicationSubmitted",
                               "SparkApplication %s was submitted successfully" % name)
                    sim.update(phase="submitted", t=now)
                elif ph == "submitted" and now - sim["t"] >= 2:
                    driver, execs = self._pod_names(key)
                    self._pod(key, driver, "driver", "Running", sim)
                    for i, e in enumerate(execs, 1):
                        self._pod(key, e, "executor", "Running", sim, i)
                    self._set_status(key, applicationState={"state": "RUNNING"},
                                     executorState={e: "RUNNING" for e in execs})
                    self.event(KIND, ns, name, uid, "SparkDriverRunning", "Driver %s is running" % driver)
                    self.event("Pod", ns, driver, self.pods[(ns, driver)]["metadata"]["uid"], "Started",
                               "Started container spark-kubernetes-driver")
                    for e in execs:
                        self.event(KIND, ns, name, uid, "SparkExecutorRunning", "Executor %s is running" % e)
                    sim.update(phase="running", t=now, started=now)
                elif ph == "running" and sim["outcome"] != "hang" and now - sim["t"] >= sim["run"]:
                    failing = sim["outcome"] == "fail"
                    _, execs = self._pod_names(key)
                    self._set_status(key, applicationState={"state": "FAILING" if failing else "SUCCEEDING",
                                                            **({"errorMessage": "driver container failed with ExitCode: 1, "
                                                                "Reason: Error"} if failing else {})},
                                     executorState={e: "FAILED" if failing else "COMPLETED" for e in execs})
                    self._finish_pods(key, "Failed" if failing else "Succeeded")
                    sim.update(phase="ending", t=now)
                elif ph == "ending" and now - sim["t"] >= 1:
                    self._end(key, "FAILED" if sim["outcome"] == "fail" else "COMPLETED", now)
                elif ph == "killing" and now - sim["t"] >= 0.5:
                    self._end(key, "FAILED", now, sim.get("error"))
                elif ph == "done":
                    ttl = obj.get("spec", {}).get("timeToLiveSeconds")
                    if isinstance(ttl, int) and now - sim.get("ended", now) >= ttl:
                        self.delete(ns, name)

    def _end(self, key, state, now, error=None):
        ns, name = key
        obj = self.apps[key]
        uid = obj["metadata"]["uid"]
        st = {"state": state}
        if state == "FAILED":
            st["errorMessage"] = error or (obj.get("status", {}).get("applicationState", {}).get("errorMessage")
                                           or "driver container failed")
        self._set_status(key, applicationState=st, terminationTime=rfc3339(time.time()))
        driver, _ = self._pod_names(key)
        if state == "COMPLETED":
            self.event(KIND, ns, name, uid, "SparkDriverCompleted", "Driver %s completed" % driver)
            self.event(KIND, ns, name, uid, "SparkApplicationCompleted", "SparkApplication %s completed" % name)
        else:
            self.event(KIND, ns, name, uid, "SparkDriverFailed", "Driver %s failed" % driver, "Warning")
            self.event(KIND, ns, name, uid, "SparkApplicationFailed",
                       "SparkApplication %s failed: %s" % (name, st.get("errorMessage")), "Warning")
        self.sim[key].update(phase="done", t=now, ended=now)

    def delete_pod(self, ns, pname):
        self.check_ns(ns)
        with self.lock:
            pod = self.pods.pop((ns, pname), None)
            if pod is None:
                raise not_found("pods", pname, group="")
            app = pod["metadata"]["labels"].get("sparkoperator.k8s.io/app-name")
            key = (ns, app)
            sim = self.sim.get(key)
            if sim and pod["metadata"]["labels"].get("spark-role") == "driver" and sim["phase"] in ("submitted", "running"):
                msg = "driver pod %s was deleted" % pname
                self._set_status(key, applicationState={"state": "FAILING", "errorMessage": msg})
                self._finish_pods(key, "Failed")
                sim.update(phase="killing", t=self.now(), error=msg)
            pod = copy.deepcopy(pod)
            pod["metadata"]["deletionTimestamp"] = rfc3339(time.time())
            return pod

    # logs
    def log_info(self, ns, pname):
        """(total lines, visible lines, finished, pod name) of a pod's log."""
        pod = self.pods.get((ns, pname))
        if pod is None:
            raise not_found("pods", pname, group="")
        app = pod["metadata"]["labels"]["sparkoperator.k8s.io/app-name"]
        sim = self.sim.get((ns, app))
        total = max(1, (sim["log_bytes"] if sim else 20000) // LINE_LEN)
        info = (sim or {}).get("pods", {}).get(pname, {})
        running = pod["status"].get("phase") in ("Running", "Pending")
        if running and sim:
            start = info.get("start", self.now())
            frac = min(1.0, max(0.0, (self.now() - start) / max(sim["run"], 0.001))) if sim["outcome"] != "hang" else 0.5
            visible = max(0, min(total, int(total * frac)))
        else:
            visible = total
        return total, visible, not running, pod

    @staticmethod
    def log_line(pname, n, ts):
        head = "%s INFO %s line %09d " % ("2026-11-24T00:00:00Z" if not ts else ts, pname, n)
        pad = LINE_LEN - 1 - len(head)
        body = (("lorem ipsum dolor sit amet " * 5)[:pad]) if pad > 0 else ""
        return (head + body)[:LINE_LEN - 1] + "\n"


# --- HTTP --------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # headers and body go in separate writes
    server_version = "kubesim/1.0"

    def log_message(self, fmt, *args):
        if os.environ.get("KUBESIM_DEBUG"):
            sys.stderr.write("%s %s\n" % (self.server.cluster.id, fmt % args))

    @property
    def cluster(self):
        return self.server.cluster

    def send_json(self, code, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 8 << 20:
            raise ApiError(413, "RequestEntityTooLarge", "the request is too large")
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as e:
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format: %s" % e)

    def fault(self):
        """Applies a matching injected fault; True if the request was answered by it."""
        c = self.cluster
        path = urlsplit(self.path).path
        with c.lock:
            match = None
            for f in c.faults:
                if f.get("path_prefix") and not path.startswith(f["path_prefix"]):
                    continue
                if f.get("method") and f["method"] != self.command:
                    continue
                match = f
                break
            if match is None:
                return False
            if match.get("count") is not None:
                match["count"] -= 1
                if match["count"] <= 0:
                    c.faults.remove(match)
        mode = match.get("mode")
        if mode == "delay":
            time.sleep(match.get("delay_ms", 1000) / 1000.0)
            return False
        if mode == "refuse":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if mode == "429":
            e = ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                         {"retryAfterSeconds": match.get("retry_after", 1)},
                         {"Retry-After": str(match.get("retry_after", 1))})
        else:
            code = int(match.get("status", 500))
            e = ApiError(code, "InternalError" if code == 500 else "ServiceUnavailable",
                         "Internal error occurred: simulated fault" if code == 500 else "the server is currently unable "
                         "to handle the request (simulated)")
        self.send_json(e.code, e.status(), e.headers)
        return True

    def authorized(self):
        h = self.headers.get("Authorization", "")
        return h == "Bearer " + self.cluster.token

    def handle_any(self):
        try:
            u = urlsplit(self.path)
            q = {k: v[-1] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
            path = u.path
            if path.startswith("/_sim/"):
                return self.control(path, q)
            if self.fault():
                return
            if not self.authorized():
                raise ApiError(401, "Unauthorized", "Unauthorized")
            return self.route(path, q)
        except ApiError as e:
            self.send_json(e.code, e.status(), e.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # never crash the server on a request
            import traceback
            traceback.print_exc()
            self.send_json(500, ApiError(500, "InternalError", "Internal error occurred: %s" % e).status())

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = do_HEAD = handle_any

    def route(self, path, q):
        c = self.cluster
        m = self.command
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        if m == "GET" and self.discovery(path):
            return
        if len(parts) >= 4 and parts[:3] == ["apis", GROUP, VERSION]:
            if parts[3] == PLURAL and len(parts) == 4 and m == "GET":
                return self.list_apps(None, q)
            if parts[3] == "namespaces" and len(parts) >= 6 and parts[5] == PLURAL:
                ns = parts[4]
                if len(parts) == 6:
                    if m == "GET":
                        return self.list_apps(ns, q)
                    if m == "POST":
                        return self.send_json(201, c.create(ns, self.body(), strict=q.get("fieldValidation") == "Strict"))
                elif len(parts) == 7:
                    name = parts[6]
                    if m == "GET":
                        return self.send_json(200, c.get(ns, name))
                    if m == "DELETE":
                        self.body()
                        return self.send_json(200, c.delete(ns, name))
                    if m == "PATCH":
                        ct = self.headers.get("Content-Type", "")
                        if not ct.startswith("application/merge-patch+json"):
                            raise ApiError(415, "UnsupportedMediaType",
                                           "the body of the request was in an unknown format - accepted media types "
                                           "include: application/merge-patch+json")
                        return self.send_json(200, c.patch(ns, name, self.body()))
                elif len(parts) == 8 and parts[7] == "status" and m == "GET":
                    return self.send_json(200, c.get(ns, parts[6]))
        if len(parts) >= 4 and parts[:3] == ["api", "v1", "namespaces"]:
            ns = parts[3]
            c.check_ns(ns)
            if len(parts) == 5 and parts[4] == "pods" and m == "GET":
                return self.list_pods(ns, q)
            if len(parts) == 6 and parts[4] == "pods":
                if m == "GET":
                    with c.lock:
                        p = c.pods.get((ns, parts[5]))
                        if p is None:
                            raise not_found("pods", parts[5], group="")
                        return self.send_json(200, p)
                if m == "DELETE":
                    self.body()
                    return self.send_json(200, c.delete_pod(ns, parts[5]))
            if len(parts) == 7 and parts[4] == "pods" and parts[6] == "log" and m == "GET":
                return self.pod_log(ns, parts[5], q)
            if len(parts) == 5 and parts[4] == "events" and m == "GET":
                return self.list_events(ns, q)
        if parts == ["api", "v1", "namespaces", ] or (len(parts) == 4 and parts[:3] == ["api", "v1", "namespaces"]):
            pass
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def discovery(self, path):
        if path == "/version":
            self.send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-kubesim", "platform": "linux/amd64",
                                 "goVersion": "go1.22", "compiler": "gc"})
        elif path == "/api":
            self.send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                 "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
        elif path == "/api/v1":
            self.send_json(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "shortNames": ["po"],
                 "verbs": ["delete", "get", "list"], "categories": ["all"]},
                {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
                {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event", "shortNames": ["ev"],
                 "verbs": ["get", "list"]},
                {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
                 "verbs": ["get", "list"]}]})
        elif path == "/apis":
            gv = {"groupVersion": "%s/%s" % (GROUP, VERSION), "version": VERSION}
            self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": GROUP, "versions": [gv], "preferredVersion": gv}]})
        elif path == "/apis/" + GROUP:
            gv = {"groupVersion": "%s/%s" % (GROUP, VERSION), "version": VERSION}
            self.send_json(200, {"kind": "APIGroup", "apiVersion": "v1", "name": GROUP, "versions": [gv],
                                 "preferredVersion": gv})
        elif path == API:
            self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "%s/%s" % (GROUP, VERSION),
                                 "resources": [{"name": PLURAL, "singularName": "sparkapplication", "namespaced": True,
                                                "kind": KIND, "shortNames": ["sparkapp"],
                                                "verbs": ["create", "delete", "get", "list", "patch"]},
                                               {"name": PLURAL + "/status", "singularName": "", "namespaced": True,
                                                "kind": KIND, "verbs": ["get"]}]})
        elif path.startswith("/openapi/"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        else:
            return False
        return True

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    def table(self, items, columns):
        """A meta.k8s.io/v1 Table, as kubectl asks for."""
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": str(self.cluster.rv)},
                "columnDefinitions": [{"name": n, "type": "string", "format": "name" if n == "Name" else "",
                                       "description": n, "priority": 0} for n, _ in columns],
                "rows": [{"cells": [f(o) for _, f in columns],
                          "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                     "metadata": o["metadata"]}} for o in items]}

    def age(self, o):
        t = o["metadata"].get("creationTimestamp")
        try:
            s = int(time.time() - time.mktime(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ")) + time.mktime(time.gmtime(0)))
        except (TypeError, ValueError):
            return "<unknown>"
        return "%ds" % s if s < 120 else "%dm" % (s // 60) if s < 7200 else "%dh" % (s // 3600)

    def list_apps(self, ns, q):
        limit = q.get("limit")
        try:
            limit = int(limit) if limit else 0
        except ValueError:
            raise ApiError(400, "BadRequest", "limit: invalid value")
        res = self.cluster.list(ns, q.get("labelSelector"), q.get("fieldSelector"), limit, q.get("continue"))
        if q.get("watch") in ("true", "1"):
            raise ApiError(405, "MethodNotAllowed", "watch is not supported by kubesim")
        if self.wants_table():
            t = self.table(res["items"], [("Name", lambda o: o["metadata"]["name"]),
                                          ("Status", lambda o: o.get("status", {}).get("applicationState", {}).get("state", "")),
                                          ("Attempts", lambda o: str(o.get("status", {}).get("submissionAttempts", ""))),
                                          ("Age", self.age)])
            t["metadata"].update(res["metadata"])
            return self.send_json(200, t)
        self.send_json(200, res)

    def list_pods(self, ns, q):
        sel = parse_label_selector(q.get("labelSelector"))
        fsel = parse_field_selector(q.get("fieldSelector"), ("metadata.name", "metadata.namespace", "status.phase"))
        with self.cluster.lock:
            items = [p for k, p in sorted(self.cluster.pods.items()) if k[0] == ns and sel(p["metadata"]["labels"])
                     and fsel(lambda f, p=p: p["metadata"].get(f.split(".")[1]) if f.startswith("metadata.")
                              else p["status"].get("phase"))]
        if self.wants_table():
            return self.send_json(200, self.table(items, [
                ("Name", lambda o: o["metadata"]["name"]),
                ("Ready", lambda o: "%d/%d" % (sum(1 for s in o["status"].get("containerStatuses", []) if s["ready"]),
                                               len(o["spec"]["containers"]))),
                ("Status", lambda o: o["status"].get("phase", "")), ("Restarts", lambda o: "0"), ("Age", self.age)]))
        self.send_json(200, {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": str(self.cluster.rv)},
                             "items": items})

    def list_events(self, ns, q):
        fields = ("involvedObject.name", "involvedObject.kind", "involvedObject.namespace", "involvedObject.uid",
                  "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                  "metadata.name", "metadata.namespace", "type", "reason")
        fsel = parse_field_selector(q.get("fieldSelector"), fields)

        def getter(e):
            def g(f):
                a, b = f.split(".", 1) if "." in f else (f, None)
                if b is None:
                    return e.get(a)
                if b == "resourceVersion" or b == "fieldPath":
                    return ""
                return (e.get(a) or {}).get(b)
            return g
        with self.cluster.lock:
            items = [e for e in self.cluster.events if e["metadata"]["namespace"] == ns and fsel(getter(e))]
        self.send_json(200, {"apiVersion": "v1", "kind": "EventList", "metadata": {"resourceVersion": str(self.cluster.rv)},
                             "items": items})

    def pod_log(self, ns, pname, q):
        c = self.cluster
        with c.lock:
            total, visible, finished, pod = c.log_info(ns, pname)
            containers = [x["name"] for x in pod["spec"]["containers"]]
        cont = q.get("container")
        if cont is None and len(containers) > 1:
            raise ApiError(400, "BadRequest", "a container name must be specified for pod %s, choose one of: [%s]"
                           % (pname, " ".join(containers)))
        if cont is not None and cont not in containers:
            raise ApiError(400, "BadRequest", "container %s is not valid for pod %s" % (cont, pname))

        def num(name):
            v = q.get(name)
            if v is None:
                return None
            try:
                n = int(v)
                if n < 0:
                    raise ValueError
                return n
            except ValueError:
                raise ApiError(400, "BadRequest", "%s: Invalid value: %s" % (name, v))
        tail, limit = num("tailLines"), num("limitBytes")
        ts = q.get("timestamps") in ("true", "1")
        follow = q.get("follow") in ("true", "1")
        first = max(0, visible - tail) if tail is not None else 0
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = [0]

        def emit(lines):
            buf = "".join(lines).encode()
            if limit is not None:
                buf = buf[:max(0, limit - sent[0])]
            if buf:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(buf), buf))
                sent[0] += len(buf)
            return limit is None or sent[0] < limit

        def stamp(n):
            return rfc3339(time.time()) + " " if ts else ""
        n = first
        going = True
        while going and n < visible:
            end = min(visible, n + 2000)
            going = emit([stamp(i) + Cluster.log_line(pname, i + 1, None) for i in range(n, end)])
            n = end
        while going and follow and not finished:
            time.sleep(0.05)
            with c.lock:
                try:
                    total, visible, finished, _ = c.log_info(ns, pname)
                except ApiError:
                    break
            if n < visible:
                going = emit([stamp(i) + Cluster.log_line(pname, i + 1, None) for i in range(n, visible)])
                n = visible
        self.wfile.write(b"0\r\n\r\n")

    # control API
    def control(self, path, q):
        c = self.cluster
        body = self.body() if self.command in ("POST", "PUT") else None
        if path == "/_sim/faults":
            with c.lock:
                if self.command == "DELETE":
                    c.faults = []
                elif self.command == "POST":
                    if not isinstance(body, dict) or body.get("mode") not in ("refuse", "status", "delay", "429"):
                        raise ApiError(400, "BadRequest", "mode: one of refuse, status, delay, 429")
                    c.faults.append(body)
                return self.send_json(200, {"faults": c.faults})
        if path == "/_sim/clock":
            if self.command == "POST":
                if "speed" in (body or {}):
                    c.set_speed(float(body["speed"]))
                if "advance_seconds" in (body or {}):
                    c.advance(float(body["advance_seconds"]))
                c.step()
            return self.send_json(200, {"now": c.now(), "speed": c.speed})
        if path == "/_sim/bulk" and self.command == "POST":
            if not isinstance(body, dict) or not isinstance(body.get("template"), dict):
                raise ApiError(400, "BadRequest", "template: a SparkApplication")
            ns, count = body.get("namespace", c.namespaces[0]), int(body.get("count", 1))
            prefix = body.get("prefix", "bulk")
            state = body.get("state")
            tpl = body["template"]
            tpl.setdefault("metadata", {})
            c.create(ns, copy.deepcopy(dict(tpl, metadata=dict(tpl["metadata"], name=prefix + "-check"))), state=state)
            c.delete(ns, prefix + "-check")
            t0 = time.time()
            for i in range(count):
                o = {"apiVersion": tpl.get("apiVersion"), "kind": tpl.get("kind"), "spec": tpl.get("spec"),
                     "metadata": dict(tpl["metadata"], name="%s-%06d" % (prefix, i))}
                c.create(ns, o, validate=False, state=state)
            return self.send_json(200, {"created": count, "seconds": round(time.time() - t0, 3)})
        if path == "/_sim/reset" and self.command == "POST":
            with c.lock:
                c.apps.clear()
                c.sim.clear()
                c.pods.clear()
                c.events.clear()
                c.faults = []
                c.snapshots.clear()
            return self.send_json(200, {"reset": True})
        if path == "/_sim/state" and self.command == "GET":
            with c.lock:
                return self.send_json(200, {"apps": len(c.apps), "pods": len(c.pods), "events": len(c.events),
                                            "faults": c.faults, "now": c.now(), "speed": c.speed})
        raise ApiError(404, "NotFound", "unknown control endpoint %s %s" % (self.command, path))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def make_certs(d, cid):
    os.makedirs(d, exist_ok=True)
    ca, key = os.path.join(d, "ca.crt"), os.path.join(d, "ca.key")
    crt, tkey = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
    q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    if not (os.path.exists(crt) and os.path.exists(ca)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=kubesim %s CA" % cid, "-keyout", key, "-out", ca,
                        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **q)
        csr = os.path.join(d, "tls.csr")
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                        "-keyout", tkey, "-out", csr], **q)
        ext = os.path.join(d, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", key, "-CAcreateserial",
                        "-days", "825", "-extfile", ext, "-out", crt], **q)
    tok = os.path.join(d, "token")
    if not os.path.exists(tok):
        with open(tok, "w") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("="))
        os.chmod(tok, 0o600)
    with open(tok) as f:
        return f.read().strip()


def write_kubeconfig(path, clusters, host):
    lines = ["apiVersion: v1", "kind: Config", "preferences: {}", "current-context: %s" % clusters[0].id, "clusters:"]
    for c in clusters:
        with open(os.path.join(os.path.dirname(path), c.id, "ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        lines += ["- name: %s" % c.id, "  cluster:", "    server: https://%s:%d" % (host, c.port),
                  "    certificate-authority-data: %s" % ca]
    lines.append("users:")
    for c in clusters:
        lines += ["- name: %s" % c.id, "  user:", "    token: %s" % c.token]
    lines.append("contexts:")
    for c in clusters:
        lines += ["- name: %s" % c.id, "  context:", "    cluster: %s" % c.id, "    user: %s" % c.id,
                  "    namespace: %s" % c.namespaces[0]]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cluster", action="append", required=True, help="ID:PORT:NS1[,NS2...]")
    ap.add_argument("--speed", type=float, default=1.0)
    ap.add_argument("--crd-dir", default=os.path.join(here, "..", "..", "..", "shared", "crd"))
    ap.add_argument("--host", default="127.0.0.1")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    try:
        os.unlink(os.path.join(a.dir, "ready"))
    except FileNotFoundError:
        pass
    schema = Schema(os.path.abspath(a.crd_dir))
    clusters, servers = [], []
    for spec in a.cluster:
        cid, port, nss = spec.split(":", 2)
        c = Cluster(cid, int(port), [n for n in nss.split(",") if n], a.speed, schema)
        c.token = make_certs(os.path.join(a.dir, cid), cid)
        srv = Server((a.host, c.port), Handler)
        srv.cluster = c
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(a.dir, cid, "tls.crt"), os.path.join(a.dir, cid, "tls.key"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        clusters.append(c)
        servers.append(srv)
    write_kubeconfig(os.path.join(a.dir, "kubeconfig"), clusters, a.host)
    stop = threading.Event()

    def operator():
        while not stop.is_set():
            for c in clusters:
                try:
                    c.step()
                except Exception:
                    import traceback
                    traceback.print_exc()
            stop.wait(0.05)
    threading.Thread(target=operator, daemon=True).start()
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    with open(os.path.join(a.dir, "ready"), "w") as f:
        f.write("\n".join("%s https://%s:%d" % (c.id, a.host, c.port) for c in clusters) + "\n")
    for c in clusters:
        print("kubesim: cluster %s on https://%s:%d namespaces %s speed %g" % (c.id, a.host, c.port,
              ",".join(c.namespaces), c.speed), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(0.5)
    for srv in servers:
        srv.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
