"""notebooks/train_grpo.ipynb runs end to end, headless, in smoke mode (a tiny local model on CPU)
against the real server.

It needs the training requirements (notebooks/requirements-train.txt: PyTorch, TRL, nbclient, ...),
which scripts/test-all.sh installs; without them the test is skipped, and SQLENV_TRAIN_NOTEBOOK=0
skips it on purpose. By hand:

    target/py-venv/bin/pip install -r notebooks/requirements-train.txt
    SQLENV_BIN=$PWD/target/debug/sqlenv target/py-venv/bin/pytest -q tests/python/test_train_notebook.py
"""

import importlib.util
import itertools
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "train_grpo.ipynb"
CELL_TIMEOUT_S = 900


def test_notebook_is_clean():
    notebook = json.loads(NOTEBOOK.read_text())
    cells = notebook["cells"]
    assert all(
        not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code"
    )
    text = NOTEBOOK.read_text()
    for local in ("/work/", "/home/", "/Users/", "/tmp/", "/root/"):
        assert local not in text, f"absolute local path {local!r} in the notebook"
    # Every code cell is preceded by a markdown cell that says what and why.
    for before, cell in itertools.pairwise(cells):
        if cell["cell_type"] == "code":
            assert before["cell_type"] == "markdown"
            assert "**What:**" in "".join(before["source"]) and "**Why:**" in "".join(before["source"])


TRAINING_MODULES = ("torch", "trl", "transformers", "datasets", "matplotlib", "nbclient", "ipykernel")


@pytest.mark.skipif(os.environ.get("SQLENV_TRAIN_NOTEBOOK") == "0", reason="SQLENV_TRAIN_NOTEBOOK=0")
@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in TRAINING_MODULES),
    reason="training requirements not installed (pip install -r notebooks/requirements-train.txt)",
)
def test_train_notebook_smoke(server_url, tmp_path, monkeypatch):
    import nbclient
    import nbformat

    monkeypatch.setenv("SQLENV_SMOKE", "1")
    monkeypatch.setenv("SQLENV_URL", server_url)
    monkeypatch.setenv("SQLENV_BIN", os.environ.get("SQLENV_BIN", str(ROOT / "target" / "debug" / "sqlenv")))
    monkeypatch.setenv("SQLENV_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # The kernel is this interpreter (the test venv), whatever kernelspecs the machine has.
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    )
    client.execute()
    outputs = "".join(
        o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "episode return:" in outputs
    assert "trained 3 steps" in outputs
    assert "| trained model | 4 |" in outputs
    assert "| oracle | 4 | 100.0% | 1.093 |" in outputs
    for name in ("training.png", "evaluation.png", "evaluation.json"):
        assert (tmp_path / "out" / name).is_file()
