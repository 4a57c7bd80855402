"""GET /openapi.json: valid OpenAPI 3, served without auth, and exactly the implemented routes."""
import json
import os
import re
import unittest

import yaml
from openapi_spec_validator import validate_spec

from bpg import ROOT, Client, admin_client


def implemented():
    """(method, path) of every route in fcgi/routes.c."""
    with open(os.path.join(ROOT, "fcgi", "routes.c")) as f:
        text = f.read()
    return {(m.lower(), p) for m, p in re.findall(r'\{\s*"([A-Z]+)",\s*"([^"]+)"', text)}


class OpenApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        status, headers, body = Client().request("GET", "/openapi.json")
        cls.status, cls.headers = status, headers
        cls.doc = json.loads(body)

    def test_served_without_credentials(self):
        self.assertEqual(self.status, 200)
        self.assertEqual(self.headers["content-type"], "application/json")
        status, _, body = Client().request("GET", "/openapi.json", base="/skatev2")
        self.assertEqual(status, 200)

    def test_valid_openapi_3(self):
        validate_spec(self.doc)
        self.assertTrue(self.doc["openapi"].startswith("3."))
        self.assertEqual(self.doc["components"]["securitySchemes"]["basic"]["scheme"], "basic")

    def test_documented_equals_implemented(self):
        documented = {(m, p) for p, ops in self.doc["paths"].items() for m in ops
                      if m in ("get", "post", "put", "delete", "patch")}
        impl = {(m, p.replace("{id}", "{id}")) for m, p in implemented()}
        self.assertEqual(documented - impl, set(), "documented but not implemented")
        self.assertEqual(impl - documented, set(), "implemented but not documented")

    def test_every_documented_route_answers(self):
        c = admin_client()
        for path, ops in self.doc["paths"].items():
            # a path with its own servers (the Livy API) is served from there, not the base path
            base = ops.get("servers", [{"url": None}])[0]["url"]
            base = base.rstrip("/") if base is not None else None
            for method in [m for m in ops if m != "servers"]:
                url = path.replace("{id}", "1" if path.startswith("/livy/") else "c01-" + "0" * 32)
                status, _, _ = c.request(method.upper(), url, body=b"{}" if method == "post" else None,
                                         headers={"Content-Type": "application/json"}, base=base)
                self.assertNotIn(status, (405,), (method, path))
                if "{" not in path:
                    self.assertNotEqual(status, 404, (method, path))

    def test_errors_documented_as_the_error_body(self):
        for path, ops in self.doc["paths"].items():
            body = "LivyError" if path.startswith("/livy/") else "Error"   # Livy's {"msg"}
            for method, op in ops.items():
                if method == "servers":
                    continue
                for code, resp in op["responses"].items():
                    if code.startswith(("4", "5")):
                        schema = resp["content"]["application/json"]["schema"]
                        self.assertEqual(schema, {"$ref": "#/components/schemas/%s" % body}, (method, path, code))

    def test_nginx_errors_documented(self):
        # nginx answers 414 on every path and 413 on every body; both in the path's shape
        for path, ops in self.doc["paths"].items():
            for method, op in ops.items():
                if method == "servers":
                    continue
                self.assertIn("414", op["responses"], (method, path))
                if "requestBody" in op:
                    self.assertIn("413", op["responses"], (method, path))

    def test_skatev2_serves_its_own_document(self):
        status, headers, body = Client().request("GET", "/openapi.json", base="/skatev2")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        skate = json.loads(body)
        validate_spec(skate)
        self.assertEqual(skate["servers"], [{"url": "/skatev2"}])
        self.assertEqual(self.doc["servers"], [{"url": "/apiv2"}])
        self.assertNotEqual(skate["info"]["description"], self.doc["info"]["description"])
        self.assertIn("Java gateway", skate["info"]["description"])
        # one source: the operations are the same
        self.assertEqual(skate["paths"], self.doc["paths"])
        status, headers, body = Client().request("GET", "/openapi.yaml", base="/skatev2")
        self.assertEqual(status, 200)
        self.assertEqual(yaml.safe_load(body), skate)
        status, _, body = Client().request("GET", "/openapi.yaml")
        self.assertEqual(yaml.safe_load(body), self.doc)


if __name__ == "__main__":
    unittest.main()
