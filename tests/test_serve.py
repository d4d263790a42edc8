"""`peerpath run` serves the tool with gunicorn after migrating the schema (no code change per DB)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from support import TEST_SECRET, free_port


def test_peerpath_run_migrates_and_serves_with_gunicorn(database_url, tmp_path: Path):
    port = free_port()
    env = {
        **os.environ,
        "PEERPATH_ENV": "development",
        "PEERPATH_DATABASE_URL": database_url,
        "PEERPATH_SECRET_KEY": TEST_SECRET,
        "PEERPATH_BASE_URL": f"http://127.0.0.1:{port}",
        "PEERPATH_INSTANCE_PATH": str(tmp_path),
    }
    peerpath = Path(sys.executable).with_name("peerpath")
    server = subprocess.Popen(
        [str(peerpath), "run", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/lti/jwks", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "peerpath run did not start within 30 s"
                time.sleep(0.2)
        keys = response.json()["keys"]
        assert len(keys) == 1
        assert keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig" and keys[0]["kid"]
        refused = requests.get(f"http://127.0.0.1:{port}/a/anything", timeout=5)
        assert refused.status_code == 401
        assert "must be opened from your course" in refused.text
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "Booting worker" in output
