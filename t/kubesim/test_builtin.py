"""kubesim without the CRD schema (--crd-dir pointing elsewhere): its own minimal checks of the fields it knows."""
import tempfile
import unittest

from simharness import APPS, NS, Sim, app, wait_state


class BuiltinChecksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.empty = tempfile.TemporaryDirectory()
        cls.sim = Sim(speed=50, crd_dir=cls.empty.name, clusters=[("c01", [NS])])

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.empty.cleanup()

    def test_says_the_schema_check_is_off(self):
        self.assertIn("the full schema check is off", self.sim.output())

    def test_known_fields_checked(self):
        cases = [("executor", "instances", "two", "spec.executor.instances", "FieldValueTypeInvalid"),
                 ("driver", "cores", "1", "spec.driver.cores", "FieldValueTypeInvalid"),
                 ("driver", "memory", 1, "spec.driver.memory", "FieldValueTypeInvalid")]
        for part, k, v, field, reason in cases:
            a = app()
            a["spec"][part][k] = v
            st, body = self.sim.req("POST", APPS, a)
            self.assertEqual((st, body["reason"]), (422, "Invalid"), field)
            self.assertEqual([(c["field"], c["reason"]) for c in body["details"]["causes"]], [(field, reason)])
        a = app()
        a["spec"]["type"] = "Cobol"
        del a["spec"]["sparkVersion"]
        st, body = self.sim.req("POST", APPS, a)
        self.assertEqual({c["field"] for c in body["details"]["causes"]}, {"spec.type", "spec.sparkVersion"})
        a = app()
        del a["spec"]
        self.assertEqual(self.sim.req("POST", APPS, a)[1]["details"]["causes"][0]["field"], "spec")
        self.assertEqual(self.sim.req("POST", APPS, app(name="Bad_Name"))[0], 422)

    def test_valid_app_runs(self):
        a = app(run=1)
        a["junk"] = 1                    # unknown top-level fields are still pruned
        obj = self.sim.create(a)
        self.assertNotIn("junk", obj)
        wait_state(self.sim, a["metadata"]["name"], ["COMPLETED"])


if __name__ == "__main__":
    unittest.main()
