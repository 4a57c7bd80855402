"""GET /metrics: Prometheus text summed over every worker (separate processes)."""
import re
import threading
import unittest

from bpg import ENV, admin_client, user_client, worker_pids


def scrape():
    status, headers, body = admin_client().request("GET", "/metrics")
    assert status == 200, body
    assert headers["content-type"].startswith("text/plain")
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, value = line.rsplit(" ", 1)
        out[name] = float(value)
    return out


def get(m, name):
    return m.get(name, 0.0)


class MetricsTest(unittest.TestCase):
    def test_counts_add_up_across_workers(self):
        ok = 'bpg_http_requests_total{route="GET /healthcheck/status",status="200"}'
        nf = 'bpg_http_requests_total{route="none",status="404"}'
        hist = 'bpg_http_request_duration_seconds_count{route="GET /healthcheck/status"}'
        before = scrape()
        n_threads, per = 4, 100

        def run():
            c = user_client()
            for i in range(per):
                c.request("GET", "/healthcheck/status")
                if i % 10 == 0:
                    c.request("GET", "/no/such/route")
        ts = [threading.Thread(target=run) for _ in range(n_threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        after = scrape()
        self.assertEqual(get(after, ok) - get(before, ok), n_threads * per)
        self.assertEqual(get(after, nf) - get(before, nf), n_threads * per // 10)
        self.assertEqual(get(after, hist) - get(before, hist), n_threads * per)
        # more than one worker served them: each worker's own counters could not reach this
        self.assertGreater(len(worker_pids()), 1)
        # the database was called for each health check, by every worker, into one counter
        db = 'bpg_upstream_calls_total{upstream="mysql"}'
        self.assertGreaterEqual(get(after, db) - get(before, db), 0)
        le_inf = 'bpg_http_request_duration_seconds_bucket{route="GET /healthcheck/status",le="+Inf"}'
        self.assertEqual(get(after, le_inf), get(after, hist))

    def test_cluster_and_submission_series_exist(self):
        m = scrape()
        for c in ("c01", "c02"):
            self.assertIn('bpg_upstream_calls_total{upstream="kubernetes",cluster="%s"}' % c, m)
            self.assertIn('bpg_submissions_total{cluster="%s",queue="poc"}' % c, m)

    def test_admins_only(self):
        status, _, body = user_client().json("GET", "/metrics")
        self.assertEqual((status, body["code"]), (403, 403))


if __name__ == "__main__":
    unittest.main()
