"""The CRD schema: validation and pruning; metadata checks; label and field selectors."""
import json
import os
import re

from .common import (DNS1123_SUB, LABEL_NAME, LABEL_NAME_MSG, LABEL_VALUE, LABEL_VALUE_MSG, SUB_MSG, bad_request,
                     gotype, goval)


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
