"""The notebooks' code runs against the real server (their code cells, in order, in one namespace)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_play_an_episode_notebook(server_url, monkeypatch, capsys):
    notebook = json.loads((ROOT / "notebooks" / "play_an_episode.ipynb").read_text())
    assert all(not c.get("outputs") for c in notebook["cells"] if c["cell_type"] == "code"), "outputs committed"
    monkeypatch.setenv("SQLENV_URL", server_url)
    namespace = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "notebook", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "refused" in printed
    assert "done: True" in printed
