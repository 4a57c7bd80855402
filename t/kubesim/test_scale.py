"""kubesim at scale: 100,000 SparkApplications bulk-created, then listed in pages of 500 within seconds."""
import json
import time
import unittest

from simharness import APPS, NS, Sim, app


class ScaleTest(unittest.TestCase):
    def test_100k_objects_listed_in_pages_of_500(self):
        sim = Sim(speed=1, clusters=[("c01", [NS])])
        try:
            tpl = app(labels={"app.kubernetes.io/managed-by": "bpg", "proxyUser": "bulk"})
            del tpl["metadata"]["name"]
            st, res = sim.control("POST", "bulk", {"count": 100000, "template": tpl, "state": "COMPLETED",
                                                   "prefix": "c01-bulk"})
            self.assertEqual((st, res["created"]), (200, 100000))
            t = time.time()
            names, cont, pages, rvs = [], None, 0, set()
            c = sim.conn()     # one kept-alive connection, as a real client pages
            while True:
                q = "?limit=500&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dbpg"
                st, h, data = sim.req("GET", APPS + q + ("&continue=" + cont if cont else ""), raw=True, conn=c)
                self.assertEqual(st, 200, data[:300])
                page = json.loads(data)
                self.assertLessEqual(len(page["items"]), 500)
                names += [i["metadata"]["name"] for i in page["items"]]
                rvs.add(page["metadata"]["resourceVersion"])
                pages += 1
                cont = page["metadata"].get("continue")
                if pages == 100:      # changes half-way do not disturb the pages already promised
                    sim.req("DELETE", APPS + "/c01-bulk-099999")
                    sim.create(app(name="c01-bulk-0500000", labels={"app.kubernetes.io/managed-by": "bpg"}))
                if not cont:
                    break
            elapsed = time.time() - t
            c.close()
            print("\n  listed %d objects in %d pages in %.1f s" % (len(names), pages, elapsed))
            self.assertEqual(pages, 200)
            self.assertEqual(names, ["c01-bulk-%06d" % i for i in range(100000)])
            self.assertEqual(len(rvs), 1)
            self.assertLess(elapsed, 30)     # 4 s on an idle machine; a page costs O(page), not O(all)
            st, body = sim.req("GET", APPS + "?limit=1")
            self.assertEqual(body["metadata"]["remainingItemCount"], 100000 - 1)   # -1 deleted, +1 created, -1 shown
        finally:
            sim.stop()


if __name__ == "__main__":
    unittest.main()
