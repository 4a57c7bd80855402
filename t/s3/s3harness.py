"""t/s3/s3harness.py: what the t/s3 tests share: where build/t/s3tool is, built when missing."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.environ.get("S3TOOL", os.path.join(ROOT, "build", "t", "s3tool"))


def ensure_tool():
    """Builds build/t/s3tool (lib/bpg_s3 behind a command line) unless it is there."""
    if not os.path.exists(TOOL):
        subprocess.run(["make", "-C", ROOT, "build/t/s3tool"], check=True,
                       stdout=subprocess.DEVNULL)
