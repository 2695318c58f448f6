"""Unmodified Zenodo clients from PyPI, each in its own pinned virtualenv, run as subprocesses.

The virtualenvs are built once per pinned version under ``var/.zenodo-clients`` (or
``ZENODO_CLIENTS_DIR``) and reused; a half-built one (no ``.installed`` marker) is built again.
Each client script (``client_scripts/``) talks to the live test server through the client's own
base-URL attribute or argument and prints one JSON line that the test reads.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "client_scripts"

# The pinned clients (package == version); each gets its own virtualenv.
PINS = {
    "zenodo-client": "0.4.2",
    "pyzenodo3": "1.0.2",
    "zenodo-get": "3.1.0",
    "openscm-zenodo": "0.5.0",
}
INSTALL_TIMEOUT = 300  # seconds for one client's pip install on a fresh machine
RUN_TIMEOUT = 120  # seconds for one client script


def cache_dir() -> Path:
    return Path(os.environ.get("ZENODO_CLIENTS_DIR") or ROOT / "var" / ".zenodo-clients")


def client_python(package: str) -> Path:
    """The Python of ``package``'s own virtualenv, created and installed on first use."""
    version = PINS[package]
    venv = cache_dir() / f"{package}-{version}"
    python = venv / "bin" / "python"
    if (venv / ".installed").exists() and python.exists():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=INSTALL_TIMEOUT)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{package}=={version}"],
        check=True,
        timeout=INSTALL_TIMEOUT,
        capture_output=True,
    )
    (venv / ".installed").write_text(f"{package}=={version}\n")
    return python


def install_all() -> dict[str, Path]:
    """Every pinned client's Python, the missing virtualenvs built side by side (pip waits on the network)."""
    with ThreadPoolExecutor(max_workers=len(PINS)) as pool:
        return dict(zip(PINS, pool.map(client_python, PINS), strict=True))


def run(
    package: str, script: str, *args: str, cwd: Path, env: dict[str, str] | None = None, output: str = "json"
) -> dict:
    """Run ``client_scripts/<script>`` with the client's Python; its last stdout line is JSON
    (``output="text"``: ``{"stdout": …}``, for a client's own command-line tool)."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "PYSTOW_HOME": str(cwd / "pystow"),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "PYTHONIOENCODING": "utf-8",
        **(env or {}),
    }
    result = subprocess.run(
        [str(client_python(package)), str(SCRIPTS / script), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    if output == "text":
        return {"stdout": result.stdout, "stderr": result.stderr}
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else {}
