"""managedFields as kube-apiserver's field manager records them; merge and JSON patches."""
import copy
import json
import time

from .common import ApiError, bad_request, gotype, rfc3339, unprocessable


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
