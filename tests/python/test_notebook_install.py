"""The training notebook's first code cell installs the client the way it happens on Colab: a
fresh interpreter with no client, outside any checkout, so the cell clones the repository and
pip-installs into the running process, and the client must import in that same process without
a restart (an editable install would not: its .pth file is read only at start-up).

The training packages (PyTorch, TRL, ...) are not what this checks and are gigabytes, so empty
stand-ins on PYTHONPATH satisfy the cell's check for them; the client and its dependencies
(openenv-core, pydantic) really install from the package index into a fresh venv.
"""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "train_grpo.ipynb"
STAND_INS = ("trl", "transformers", "torch", "datasets", "matplotlib")
INSTALL_TIMEOUT_S = 600


def install_cell() -> str:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert "pip_install" in code[0], "the first code cell installs the client"
    return code[0]


def repository_url() -> str:
    for line in (ROOT / "Cargo.toml").read_text().splitlines():
        if line.startswith("repository = "):
            return line.split("=", 1)[1].strip().strip('"')
    raise AssertionError("Cargo.toml has no repository")


def test_notebook_names_the_repository_of_cargo_toml():
    url = repository_url()
    text = NOTEBOOK.read_text()
    assert f'REPOSITORY = "{url}"' in install_cell()
    badge_target = url.replace("https://github.com/", "https://colab.research.google.com/github/")
    assert f"{badge_target}/blob/main/notebooks/train_grpo.ipynb" in text
    assert "colab-badge.svg" in json.loads(text)["cells"][0]["source"][0]


def committed_checkout() -> bool:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode == 0


@pytest.mark.skipif(not committed_checkout(), reason="needs a git checkout to clone from")
def test_install_cell_clones_installs_and_imports_without_a_restart(tmp_path):
    env_dir = tmp_path / "colab-venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    stand_ins = tmp_path / "stand-ins"
    for name in STAND_INS:
        (stand_ins / name).mkdir(parents=True)
        (stand_ins / name / "__init__.py").write_text("")
    workdir = tmp_path / "content"  # Colab's working directory: no checkout above it
    workdir.mkdir()
    # Runs the cell, then what the next cells do first: import the client in the same process.
    script = install_cell() + (
        "\nfrom sqlenv_client import SQLAction, SQLEnvClient\nprint('imported', SQLAction.__name__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SQLENV_URL")}
    env.update(PYTHONPATH=str(stand_ins), SQLENV_REPO=f"file://{ROOT}", PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(
        [str(python), "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "installing the client" in done.stdout, done.stdout
    assert "imported SQLAction" in done.stdout, done.stdout
    assert (workdir / "sqlenv" / "clients" / "python" / "pyproject.toml").exists()
    # The import came from the fresh venv's site-packages, not from the clone's source tree.
    located = subprocess.run(
        [str(python), "-c", "import sqlenv_client; print(sqlenv_client.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert str(env_dir) in located, located
    assert sys.prefix not in located
