#!/usr/bin/env python3
"""Runs the examples of the README and the docs as they are written, against a real server.

Which blocks run is marked in the Markdown itself, so that anyone adding an example decides
that it is tested by writing one word: a fenced block whose info string has the word `run`
(```` ```python run ```` or ```` ```bash run ````) is executed, Python with `--python` (a venv
with the clients), Bash with `set -euo pipefail`, both from the repository root. When the next
fenced block is marked `output` (```` ```text output ````), the example's stdout must match it
line by line; `...` in an expected line stands for any text (ids, timings), and a line that is
only `...` for any number of lines.

One server (`--bin`, started here on a free loopback port) serves every example; the address
the examples are written with, 127.0.0.1:8000 or localhost:8000, is pointed at it, so a server
the user runs on port 8000 elsewhere on the machine is neither needed nor disturbed.

    python3 scripts/doc-examples.py --bin target/debug/sqlenv --python target/py-venv/bin/python
    python3 scripts/doc-examples.py --list          # what would run, nothing started
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Markdown that is not documentation of this repository.
SKIPPED_DIRS = {".git", "target", "node_modules", "source", "__pycache__", ".venv"}
LANGUAGES = {"python": "python", "py": "python", "bash": "bash", "sh": "bash", "shell": "bash"}
WRITTEN_ADDRESS = re.compile(r"\b(127\.0\.0\.1|localhost):8000\b")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
TIMEOUT_SECS = 300


@dataclass
class Example:
    path: Path
    line: int
    language: str
    code: str
    expected: list[str] | None

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def fenced_blocks(text: str):
    """(first line number, info words, body) of every fenced block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3).strip()
        start = i + 1
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line)
            i += 1
        i += 1
        yield start, info.split(), "\n".join(body) + "\n"


def examples_in(path: Path) -> list[Example]:
    found: list[Example] = []
    blocks = list(fenced_blocks(path.read_text(encoding="utf-8")))
    for index, (line, words, body) in enumerate(blocks):
        if not words or "run" not in words[1:]:
            continue
        language = LANGUAGES.get(words[0])
        if language is None:
            raise SystemExit(f"{path.relative_to(ROOT)}:{line}: cannot run a `{words[0]}` block")
        expected = None
        if index + 1 < len(blocks) and "output" in blocks[index + 1][1]:
            expected = blocks[index + 1][2].splitlines()
        found.append(Example(path, line, language, body, expected))
    return found


def markdown_files() -> list[Path]:
    files = []
    for path in sorted(ROOT.rglob("*.md")):
        if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts[:-1]):
            files.append(path)
    return files


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; `...` inside a line is any text, a line that is only `...` any lines."""
    pattern = ""
    for want in expected:
        if want.strip() == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += ".*".join(re.escape(part) for part in want.rstrip().split("...")) + r"\n"
    text = "".join(line.rstrip() + "\n" for line in actual)
    return re.fullmatch(pattern, text, flags=re.DOTALL) is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary: str, port: int, log) -> subprocess.Popen:
    server = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if json.load(r).get("status") == "healthy":
                    return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not become healthy in 120 s")


def run(example: Example, python: str, port: int) -> tuple[bool, str]:
    code = WRITTEN_ADDRESS.sub(f"127.0.0.1:{port}", example.code)
    env = dict(os.environ, SQLENV_URL=f"http://127.0.0.1:{port}")
    if example.language == "python":
        command = [python, "-c", code]
    else:
        command = ["bash", "-c", "set -euo pipefail\n" + code]
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_SECS)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {TIMEOUT_SECS} s"
    report = f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
    if done.returncode != 0:
        return False, f"exit status {done.returncode}\n{report}"
    if example.expected is not None and not output_matches(example.expected, done.stdout.splitlines()):
        want = "\n".join(example.expected)
        return False, f"stdout does not match the output block:\n--- expected\n{want}\n{report}"
    return True, ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.environ.get("SQLENV_BIN", str(ROOT / "target/debug/sqlenv")))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--list", action="store_true", help="list the runnable examples and exit")
    args = parser.parse_args()

    examples = [e for path in markdown_files() for e in examples_in(path)]
    # The README's examples are the ones a newcomer runs first; losing their markers would
    # silently stop testing them.
    if not any(e.path == ROOT / "README.md" for e in examples):
        print("README.md has no runnable example (```python run)", file=sys.stderr)
        return 1
    if args.list:
        for e in examples:
            print(e.where(), e.language, "(output checked)" if e.expected is not None else "")
        return 0

    port = free_port()
    failed = 0
    with tempfile.TemporaryFile(mode="w+") as log:
        server = start_server(args.bin, port, log)
        try:
            for example in examples:
                ok, why = run(example, args.python, port)
                print(f"{example.where()} {example.language}: {'ok' if ok else 'FAILED'}", flush=True)
                if not ok:
                    failed += 1
                    print(why, file=sys.stderr)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if failed:
            log.seek(0)
            print("--- server log\n" + log.read(), file=sys.stderr)
    print(f"examples: {len(examples) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
