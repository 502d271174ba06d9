"""The README's quickstart, run as written against the real server (only the URL differs)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quickstart():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Play an episode", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_quickstart_plays_a_correct_episode(server_url, capsys):
    code = quickstart()
    assert "http://127.0.0.1:8000" in code
    scope = {}
    exec(compile(code.replace("http://127.0.0.1:8000", server_url), "README.md", "exec"), scope)
    r = scope["r"]
    assert r.done is True and r.reward >= 1.0, capsys.readouterr().out
