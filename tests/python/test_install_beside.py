"""The client installs beside OpenEnv's current package without touching it: dependencies are
consistent, every file `openenv` installed still has the hash its wheel recorded, the client's
own files are all its own, and openenv's modules still import."""

import base64
import hashlib
import importlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

try:
    OPENENV = metadata.distribution("openenv")
except metadata.PackageNotFoundError:
    pytest.skip("this venv pins openenv-core instead of openenv", allow_module_level=True)


# Packages scripts/test-all.sh leaves out on purpose (a CPU-only run never loads them); `pip check`
# reports their absence, and only their absence is forgiven.
EXCLUDED = {
    line.strip().lower()
    for line in (Path(__file__).parent / "excludes-cpu.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
}


def test_pip_check_is_clean():
    out = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    problems = [
        line
        for line in out.stdout.splitlines()
        if line.strip() and not line.startswith("No broken requirements")
        and not (line.endswith("which is not installed.")
                 and line.split(" requires ", 1)[-1].split(",", 1)[0].strip().lower() in EXCLUDED)
    ]
    assert not problems and not out.stderr.strip(), out.stdout + out.stderr


def test_openenv_files_are_untouched():
    checked = 0
    for file in OPENENV.files:
        if file.hash is None or file.hash.mode != "sha256":
            continue  # RECORD itself, and files pip writes (INSTALLER, REQUESTED)
        data = Path(OPENENV.locate_file(file)).read_bytes()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == file.hash.value, f"{file} changed since openenv installed it"
        checked += 1
    assert checked > 100


def test_the_client_ships_no_openenv_module():
    client = metadata.distribution("sqlenv-client")
    assert client.requires and any(r.startswith("openenv") and "core" not in r for r in client.requires)
    assert not any(str(f).startswith("openenv/") for f in client.files or [])
    top = {line.strip() for line in (client.read_text("top_level.txt") or "").splitlines()}
    assert "openenv" not in top


@pytest.mark.parametrize("module", [
    "openenv", "openenv.core.env_client", "openenv.core.generic_client", "openenv.core.mcp_client",
    "openenv.validation", "openenv.cli.commands.validate", "sqlenv_client",
])
def test_modules_import(module):
    importlib.import_module(module)
