#!/usr/bin/env python3
"""kubesim: a Kubernetes API server simulator with a Spark operator inside, for bpg's tests.

usage: kubesim.py --dir DIR --cluster ID:PORT:NS1[,NS2...] [--cluster ...] [--speed F]
                  [--crd-dir PATH] [--host 127.0.0.1]

Each cluster listens on its own port with its own CA-signed TLS certificate and bearer token
(DIR/ID/ca.crt, tls.crt, tls.key, token), serves what bpg and kubectl need of the API
(discovery, SparkApplications, pods and their logs, events), and runs a simulated Spark
operator that moves applications through the operator's states on a clock that runs
--speed simulated seconds per real second. DIR/kubeconfig has one context per cluster;
DIR/ready appears when every listener is up. A control API under /_sim/ (no token, loopback
clients only) injects faults, bulk-creates objects and drives the clock. See t/kubesim/README.md.

The code is the package ksim/ beside this file: common (names, Status errors), fields (managedFields,
patches), openapi, schema (validation, selectors), store (objects, resourceVersions, lists, the clock),
operator (the simulated Spark operator, pods), logs, control (faults, /_sim/), api (the HTTP handler),
server (listeners, certificates, kubeconfig, main).
"""
from ksim.server import main     # the folder of this script is on sys.path

if __name__ == "__main__":
    main(__doc__)
