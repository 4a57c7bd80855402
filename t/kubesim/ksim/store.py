"""One simulated cluster's store: objects, resourceVersions, events, the clock, create/get/update/list."""
import base64
import copy
import heapq
import json
import os
import threading
import time
import uuid

from .common import (ANN, ApiError, CONFLICT_MSG, CONTINUE_TTL, DEFAULT_LOG_BYTES, EXPIRED_MSG, GROUP, GV, KIND, MANY,
                     OUTCOMES, PLURAL, T_ADD, T_RUN, VERSION, bad_request, dig, goval, invalid, new_uid, not_found,
                     rfc3339)
from .fields import changed_fields, managed, object_fields
from .schema import metadata_causes, parse_field_selector, parse_label_selector


class Store:
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

    def _encode_once(self, slot, value):
        """value's compact JSON; the object stored last in slot ((object, JSON)) is encoded once."""
        last = getattr(self, slot)
        if last is not None and last[0] is value:
            return last[1]
        b = json.dumps(value, separators=(",", ":"))
        setattr(self, slot, (value, b))
        return b

    def _unknown_fields(self, obj, strict):
        """Unknown fields: refused with fieldValidation=Strict, else pruned with a warning each."""
        if strict:
            unknown = self.schema.unknown_fields(obj)
            if unknown:
                raise bad_request("%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s"
                                  % (KIND, VERSION, KIND, ", ".join('unknown field "%s"' % f for f in unknown)))
        return ['unknown field "%s"' % f for f in self.schema.prune(obj)]

    def store(self, key, obj):
        """Stores an object and its JSON; a spec shared with the last stored object is encoded once."""
        sb = self._encode_once("last_spec", obj.get("spec"))
        md = obj.get("metadata")
        mf = md.get("managedFields") if isinstance(md, dict) else None
        if mf and len(md) > 1:
            # managedFields shared with the last stored object (bulk creation) are encoded once too
            mb = self._encode_once("last_mf", mf)
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
            warnings = self._unknown_fields(body, strict)
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
            warnings = self._unknown_fields(new, strict)
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
