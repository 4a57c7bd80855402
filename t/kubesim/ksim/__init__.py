"""kubesim as a package; kubesim.py is its command line (see t/kubesim/README.md)."""
