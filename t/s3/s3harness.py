"""Set-up shared by the S3 client tests: where the s3tool binary is, built on first use."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.environ.get("S3TOOL", os.path.join(ROOT, "build", "t", "s3tool"))


def need_tool():
    """Builds build/t/s3tool when it is missing (S3TOOL names another)."""
    if not os.path.exists(TOOL):
        subprocess.run(["make", "-C", ROOT, "build/t/s3tool"], check=True, stdout=subprocess.DEVNULL)
