"""kubesim's injected faults leave a keep-alive connection usable: a faulted request's body is
read before the answer, as a real API server does (issue 33: else the next request on the
connection is parsed from that body, 501, and hits whatever the gateway sends next)."""
import unittest

from simharness import APPS, SimTest, app


class FaultKeepAliveTest(SimTest):

    def tearDown(self):
        self.assertEqual(self.sim.control("DELETE", "faults")[1], {"faults": []})

    def test_the_next_request_on_the_connection_is_answered(self):
        for fault in ({"mode": "status", "status": 410}, {"mode": "503"}, {"mode": "429"}):
            self.sim.control("POST", "faults", dict(fault, method="POST", path_prefix="/apis/"))
            c = self.sim.conn()
            try:
                self.assertIn(self.sim.req("POST", APPS, app(), conn=c)[0], (410, 503, 429))
                st, _, data = self.sim.req("GET", APPS, conn=c, raw=True)
                self.assertEqual(st, 200, (fault, data[:120]))
            finally:
                c.close()
            self.sim.control("DELETE", "faults")


if __name__ == "__main__":
    unittest.main()
