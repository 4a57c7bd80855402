"""Authentication and routing errors: every one a JSON {"code","message"} body."""
import unittest

from bpg import ENV, Client, user_client


class AuthTest(unittest.TestCase):
    def assertJsonError(self, status, headers, body, code):
        self.assertEqual(status, code)
        self.assertTrue(headers["content-type"].startswith("application/json"), headers)
        self.assertEqual(body["code"], code)
        self.assertIsInstance(body["message"], str)
        self.assertTrue(body["message"])

    def test_no_credentials_401_json(self):
        status, headers, body = Client().json("GET", "/healthcheck/status")
        self.assertJsonError(status, headers, body, 401)
        self.assertEqual(headers["www-authenticate"], 'Basic realm="bpg"')

    def test_no_credentials_on_skatev2_401_json(self):
        status, headers, body = Client().json("GET", "/healthcheck/status", base="/skatev2")
        self.assertJsonError(status, headers, body, 401)

    def test_wrong_password_401_json(self):
        c = Client(ENV["BPG_USER"], ENV["BPG_PASSWORD"] + "x")
        status, headers, body = c.json("GET", "/healthcheck/status")
        self.assertJsonError(status, headers, body, 401)

    def test_unknown_user_401_json(self):
        status, headers, body = Client("nobody", "secret").json("GET", "/healthcheck/status")
        self.assertJsonError(status, headers, body, 401)

    def test_blocked_user_with_valid_password_401_from_worker(self):
        c = Client(ENV["BPG_BLOCKED_USER"], ENV["BPG_BLOCKED_PASSWORD"])
        status, headers, body = c.json("GET", "/healthcheck/status")
        self.assertJsonError(status, headers, body, 401)
        self.assertIn("blocked", body["message"])
        self.assertEqual(headers["www-authenticate"], 'Basic realm="bpg"')

    def test_user_account_header_is_not_trusted(self):
        # trust_user_header is false in the stack: the header must not authenticate anyone
        status, headers, body = Client().json("GET", "/healthcheck/status",
                                              headers={"User-Account": ENV["BPG_ADMIN_USER"]})
        self.assertJsonError(status, headers, body, 401)


class UiAuthTest(unittest.TestCase):
    """The web UI is behind the API's own authentication, config.json included."""

    PATHS = ("/ui/", "/ui/index.html", "/ui/config.json", "/ui/assets/none.js")

    def test_no_credentials_401(self):
        for path in self.PATHS:
            status, headers, body = Client().json("GET", path, base="")
            self.assertEqual((status, body["code"]), (401, 401), path)
            self.assertEqual(headers["www-authenticate"], 'Basic realm="bpg"', path)

    def test_blocked_user_gets_no_ui(self):
        c = Client(ENV["BPG_BLOCKED_USER"], ENV["BPG_BLOCKED_PASSWORD"])
        for path in self.PATHS:
            status, headers, body = c.json("GET", path, base="")
            self.assertEqual((status, body["code"]), (401, 401), path)

    def test_allowed_user_gets_the_config(self):
        status, headers, body = user_client().json("GET", "/ui/config.json", base="")
        self.assertEqual(status, 200)
        self.assertEqual(body, {"apiBase": "/apiv2"})


class RoutingTest(unittest.TestCase):
    def test_unknown_route_404_json(self):
        status, headers, body = user_client().json("GET", "/no/such/route")
        self.assertEqual((status, body["code"]), (404, 404))
        self.assertIn("/no/such/route", body["message"])

    def test_outside_the_api_404_json(self):
        status, headers, body = user_client().json("GET", "/index.html", base="")
        self.assertEqual((status, body["code"]), (404, 404))

    def test_wrong_method_405_json_with_allow(self):
        status, headers, body = user_client().json("POST", "/healthcheck/status", body=b"{}",
                                                   headers={"Content-Type": "application/json"})
        self.assertEqual((status, body["code"]), (405, 405))
        self.assertEqual(headers["allow"], "GET")

    def test_body_limits_per_route(self):
        c = user_client()
        big = b"x" * (3 << 20)
        status, _, body = c.json("POST", "/spark", body=big)
        self.assertEqual((status, body["code"]), (413, 413))      # small everywhere else
        status, _, body = c.json("POST", "/s3/file.jar", body=big,
                                 headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 200, body)                         # large for uploads
        self.assertTrue(body["url"].endswith("/file.jar"), body)

    def test_prefix_lookalike_is_not_the_api(self):
        status, _, body = user_client().json("GET", "/healthcheck/status", base="/apiv2x")
        self.assertEqual((status, body["code"]), (404, 404))

    def test_hostile_paths_get_json_errors(self):
        c = user_client()
        for path in ["/" + "a" * 3000, "/healthcheck/%00status", "/healthcheck/status%0d%0aX:%20y",
                     "/" + "b" * 20000,
                     "/../../etc/passwd", "/%ff%fe"]:
            status, headers, body = c.json("GET", path)
            self.assertIn(status, (400, 404, 414), path)
            self.assertEqual(body["code"], status, path)
        status, headers, body = c.json("POST", "/healthcheck/status", body=b"x" * (2 << 20))
        self.assertEqual((status, body["code"]), (413, 413))
        # the worker survived all of it
        self.assertEqual(c.request("GET", "/healthcheck/status")[0], 200)


if __name__ == "__main__":
    unittest.main()
