"""kubesim's pod logs: generated lines, tailLines, limitBytes, timestamps, follow, containers, huge logs."""
import re
import threading
import time
import unittest

from simharness import APPS, NS, SimTest, app, step_state, wait_for, wait_state

PODS = "/api/v1/namespaces/%s/pods" % NS
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (INFO |ERROR) (\S+) line (\d{9}) ")


class LogTest(SimTest):
    SPEED = 40

    def log(self, pod, query="", conn=None, timeout=30):
        c = conn or self.sim.conn(timeout=timeout)
        st, h, data = self.sim.req("GET", PODS + "/" + pod + "/log" + query, raw=True, conn=c)
        if conn is None:
            c.close()
        return st, h, data

    def finished_app(self, **kw):
        a = app(run=1, **kw)
        self.sim.create(a)
        wait_state(self.sim, a["metadata"]["name"], ["COMPLETED", "FAILED"])
        return a["metadata"]["name"]

    def test_whole_log_tail_limit_timestamps(self):
        name = self.finished_app(log_bytes=60000)
        pod = name + "-driver"
        st, h, data = self.log(pod)
        self.assertEqual((st, h["content-type"]), (200, "text/plain"))
        lines = data.decode().splitlines(True)
        width = len(lines[0])
        self.assertTrue(all(len(l) == width for l in lines))                   # fixed-width lines
        self.assertEqual(len(lines), 60000 // width)
        for i, l in enumerate(lines, 1):
            m = LINE.match(l)
            self.assertTrue(m, l)
            self.assertEqual((m.group(2), int(m.group(3))), (pod, i))
        self.assertEqual(self.log(pod)[2], data)                               # deterministic
        st, _, tail = self.log(pod, "?tailLines=7")
        self.assertEqual(tail.decode().splitlines(True), lines[-7:])
        self.assertEqual(self.log(pod, "?tailLines=0")[2], b"")
        st, _, lim = self.log(pod, "?limitBytes=1000")
        self.assertEqual(lim, data[:1000])
        st, _, both = self.log(pod, "?tailLines=5&limitBytes=150")
        self.assertEqual(both, "".join(lines[-5:]).encode()[:150])
        st, _, ts = self.log(pod, "?timestamps=true&tailLines=2")
        tl = ts.decode().splitlines(True)
        self.assertRegex(tl[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")
        self.assertEqual(tl[1].split(" ", 1)[1], lines[-1])
        st, _, ex = self.log(name + "-exec-1", "?tailLines=1")
        self.assertIn(" %s-exec-1 line " % name, ex.decode())
        st, _, c = self.log(pod, "?container=spark-kubernetes-driver&tailLines=1")
        self.assertEqual(c.decode(), lines[-1])
        for q, code in (("?tailLines=abc", 400), ("?limitBytes=0", 422), ("?tailLines=-1", 422),
                        ("?container=nope", 400), ("?previous=true", 400)):
            st, _, body = self.log(pod, q)
            self.assertEqual(st, code, q)
            self.assertIn(b'"kind":"Status"', body.replace(b" ", b""))
        self.assertEqual(self.log("no-such-pod")[0], 404)

    def test_failed_log_ends_with_error(self):
        a = app(run=1, outcome="fail")
        self.sim.create(a)
        wait_state(self.sim, a["metadata"]["name"], ["FAILED"])
        st, _, data = self.log(a["metadata"]["name"] + "-driver", "?tailLines=1")
        self.assertIn(" ERROR ", data.decode())

    def test_huge_log_tail_without_generating_it(self):
        name = self.finished_app(log_bytes=5 * 1024 ** 3)       # 5 GiB
        t = time.time()
        st, _, data = self.log(name + "-driver", "?tailLines=3")
        lines = data.decode().splitlines(True)
        self.assertEqual(len(lines), 3)
        width = len(lines[0])
        self.assertEqual(int(LINE.match(lines[-1]).group(3)), 5 * 1024 ** 3 // width)
        st, _, head = self.log(name + "-driver", "?limitBytes=1048576")
        self.assertEqual(len(head), 1048576)
        self.assertEqual(int(LINE.match(head.decode()).group(3)), 1)
        self.assertLess(time.time() - t, 20)    # not generated: 5 GiB of lines would take minutes

    def test_follow_streams_until_the_pod_ends(self):
        a = app(run=4, log_bytes=12000)
        name = a["metadata"]["name"]
        out = {}

        def follow():
            c = self.sim.conn(timeout=60)
            c.request("GET", PODS + "/" + name + "-driver/log?follow=true",
                      headers={"Authorization": "Bearer " + self.sim.token()})
            r = c.getresponse()
            out["status"] = r.status
            out["first"] = r.read1(65536)
            out["rest"] = r.read()                  # the stream ends when the pod terminates
            c.close()
        t = threading.Thread(target=follow, daemon=True)
        with self.sim.stopped_clock():              # the pod runs exactly as long as the test says
            self.sim.create(a)
            step_state(self.sim, name, ["RUNNING"])
            self.sim.advance(1)                     # a second of the pod's log
            st, _, early = self.log(name + "-driver")
            t.start()
            wait_for(lambda: "first" in out, what="the first lines of the followed log")
            t.join(0.5)
            self.assertTrue(t.is_alive(), "the followed log ended while the pod runs")
            self.sim.advance(10)                    # past run-seconds: the pod ends, and the stream
            t.join(30)
        self.assertFalse(t.is_alive(), "the followed log did not end with the pod")
        self.assertEqual(out["status"], 200)
        data = out["first"] + out["rest"]
        lines = data.decode().splitlines()
        st, _, whole = self.log(name + "-driver")
        self.assertEqual(data, whole)
        self.assertLess(len(early.decode().splitlines()), len(lines))   # the log grew with simulated time
        self.assertEqual([int(LINE.match(l).group(3)) for l in lines], list(range(1, len(lines) + 1)))

    def test_pending_pod_and_containers(self):
        self.sim.control("POST", "clock", {"speed": 0})
        try:
            a = app(run=5, sidecar=True)
            name = a["metadata"]["name"]
            self.sim.create(a)
            self.sim.control("POST", "clock", {"advance_seconds": 1})     # SUBMITTED: the driver pod is Pending
            st, _, body = self.log(name + "-driver", "?container=spark-kubernetes-driver")
            self.assertEqual(st, 400)
            self.assertIn(b"is waiting to start: ContainerCreating", body)
            self.sim.control("POST", "clock", {"advance_seconds": 2})
        finally:
            self.sim.control("POST", "clock", {"speed": 40})
        wait_state(self.sim, name, ["RUNNING", "SUCCEEDING", "COMPLETED"])
        st, _, body = self.log(name + "-driver")
        self.assertEqual(st, 400)
        self.assertIn(b'"message": "a container name must be specified for pod %s-driver, choose one of: '
                      b'[spark-kubernetes-driver sidecar]"' % name.encode(), body)
        self.assertIn(b'"reason": "BadRequest"', body)
        st, _, body = self.log(name + "-driver", "?container=sidecar&tailLines=1")
        self.assertEqual(st, 200)
        self.assertIn("%s-driver/sidecar line" % name, body.decode())
        self.sim.req("DELETE", APPS + "/" + name)

    def test_keepalive_after_chunked_log(self):
        name = self.finished_app()
        c = self.sim.conn()
        for q in ("?tailLines=2", "?limitBytes=10", ""):
            self.assertEqual(self.log(name + "-driver", q, conn=c)[0], 200)
        self.assertEqual(self.sim.req("GET", APPS + "/" + name, conn=c)[0], 200)
        c.close()


if __name__ == "__main__":
    unittest.main()
