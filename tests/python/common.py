"""Shared helpers of the Python tests (run by CTest with /usr/bin/python3, see tests/CMakeLists.txt)."""

import os
import subprocess
import sys
import tempfile

SKIP = 77  # CTest SKIP_RETURN_CODE of these tests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))


def need_torch():
    try:
        import torch  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"SKIPPED: PyTorch/numpy not installed ({e}); setup.sh installs python3-torch python3-numpy")
        sys.exit(SKIP)


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def tmpdir(name):
    """GSN_TEST_TMP/<name> (CTest sets it; else the system temp folder's gsn_test_tmp), created."""
    base = os.environ.get("GSN_TEST_TMP") or os.path.join(tempfile.gettempdir(), "gsn_test_tmp")
    d = os.path.join(base, name)
    os.makedirs(d, exist_ok=True)
    return d
