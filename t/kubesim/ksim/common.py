"""kubesim's names, constants and small helpers: the API group, the operator's states, Status errors."""
import json
import os
import re
import sys
import time


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



def dig(o, *path):
    for p in path:
        if not isinstance(o, dict):
            return None
        o = o.get(p)
    return o
