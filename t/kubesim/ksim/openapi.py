"""The OpenAPI documents kubectl reads to validate, explain and choose a patch type."""

from .common import GROUP, GV, KIND, PATCH_TYPES, PLURAL, VERSION


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
