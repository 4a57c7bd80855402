"""Injected faults and the control API under /_sim/ (faults, the clock, bulk creation)."""
import copy
import socket
import struct
import time

from .common import ApiError, GV, KIND, PLURAL, STATES, bad_request, dig, invalid, not_found, rfc3339
from .fields import managed, manager_name, object_fields
from .schema import metadata_causes


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


class ControlMixin:
    """The Handler's fault injection and /_sim/ control endpoints."""

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
        try:
            self.body()         # keep the connection usable: read what the client sent
        except (ApiError, ValueError):
            self.close_connection = True
        self.send_json(e.code, e.status(), e.headers)
        return True

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
