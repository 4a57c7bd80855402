"""bpgtest: the Python helpers shared by t/ and bench/: a stack's settings, an HTTPS client for
nginx, the stack's database, its simulated clusters, its S3, and a private stack a script brings up.

t/pyrun.py puts t/lib on sys.path; a bench script does it itself (sys.path.insert of ROOT/t/lib).
"""
from .client import Client, basic_auth
from .stack import (ROOT, Stack, free_port, load_env, mariadb, poll, read_ini, rss_kib, s3_client, sim_request,
                    worker_pids)

__all__ = ["Client", "ROOT", "Stack", "basic_auth", "free_port", "load_env", "mariadb", "poll", "read_ini", "rss_kib",
           "s3_client", "sim_request", "worker_pids"]
