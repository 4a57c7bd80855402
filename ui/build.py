#!/usr/bin/env python3
"""ui/build.py SRC OUT: copies the web UI to OUT with content-hashed asset names.

No network, no dependencies beyond Python 3. Every file under SRC/js and SRC/*.css gets
a name NAME.<12 hex of SHA-256>.EXT under OUT/assets/, and every reference to it (ES module
imports, index.html's <script>/<link>) is rewritten. Modules are hashed leaves first so a
change in any module changes the names of everything that imports it. Output bytes depend
only on the input bytes (reproducible); index.html keeps its name (served no-cache).
"""
import hashlib
import os
import re
import shutil
import sys

IMPORT_RE = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(['"])\./([A-Za-z0-9_./-]+\.js)\2""")
ASSET_RE = re.compile(r"""(\b(?:src|href)=")(?:\./)?((?:js/)?[A-Za-z0-9_.-]+\.(?:js|css|svg))(")""")


def hashed(name, data):
    base, ext = os.path.splitext(os.path.basename(name))
    return "%s.%s%s" % (base, hashlib.sha256(data).hexdigest()[:12], ext)


def main():
    src, out = sys.argv[1], sys.argv[2]
    files = {}
    for d, _, names in os.walk(src):
        for n in sorted(names):
            p = os.path.join(d, n)
            rel = os.path.relpath(p, src).replace(os.sep, "/")
            with open(p, "rb") as f:
                files[rel] = f.read()
    assets = sorted(r for r in files if r != "index.html")
    done = {}  # rel -> hashed file name

    def build(rel, stack=()):
        if rel in done:
            return done[rel]
        if rel in stack:
            sys.exit("ui/build.py: import cycle through %s" % rel)
        data = files[rel]
        if rel.endswith(".js"):
            here = os.path.dirname(rel)

            def sub(m):
                dep = os.path.normpath(os.path.join(here, m.group(3))).replace(os.sep, "/")
                if dep not in files:
                    sys.exit("ui/build.py: %s imports missing %s" % (rel, dep))
                return "%s%s./%s%s" % (m.group(1), m.group(2), build(dep, stack + (rel,)), m.group(2))

            data = IMPORT_RE.sub(sub, data.decode("utf-8")).encode("utf-8")
        name = hashed(rel, data)
        files[rel] = data
        done[rel] = name
        return name

    for rel in assets:
        build(rel)
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "assets"))
    for rel, name in sorted(done.items()):
        with open(os.path.join(out, "assets", name), "wb") as f:
            f.write(files[rel])

    def ref(m):
        if m.group(2) not in done:
            sys.exit("ui/build.py: index.html refers to missing %s" % m.group(2))
        return "%sassets/%s%s" % (m.group(1), done[m.group(2)], m.group(3))

    html = ASSET_RE.sub(ref, files["index.html"].decode("utf-8"))
    with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as f:
        f.write(html)


if __name__ == "__main__":
    main()
