"""Starting the app (every server process, every CLI call) does not pay for the file-reading stack:
geopandas, pyogrio, pandas and fiona load only when a grid file is read or written."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support.server import ROOT

HEAVY = ("geopandas", "pyogrio", "pandas", "fiona")


def test_importing_the_app_loads_no_file_reading_stack():
    probe = f"import json, sys, web.app; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
