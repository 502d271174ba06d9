"""Starts the real sqlenv server (the binary cargo built) on a free loopback port for the tests."""

import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The server the tests share runs with OpenEnv's validation token, so the session-telemetry
# tests can open it; nothing else changes for a client that does not send the token.
VALIDATION_TOKEN = secrets.token_urlsafe(32)


@contextmanager
def running_server(env=None):
    """Starts the real server on a free loopback port; yields its base URL, stops it after."""
    binary = os.environ.get("SQLENV_BIN", str(ROOT / "target" / "debug" / "sqlenv"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(ROOT / "data")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as resp:
                    if json.load(resp).get("status") == "healthy":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become healthy in time")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def validation_token():
    return VALIDATION_TOKEN


@pytest.fixture(scope="session")
def server_url():
    with running_server({"OPENENV_VALIDATION_TOKEN": VALIDATION_TOKEN}) as url:
        yield url


@pytest.fixture(scope="session")
def questions():
    with open(ROOT / "data" / "questions" / "spider_dev.json") as f:
        return {q["id"]: q for q in json.load(f)}


@pytest.fixture(scope="session")
def all_questions():
    """Every question of every bundled question file, by id (a reset may draw any of them)."""
    found = {}
    for path in sorted((ROOT / "data" / "questions").glob("*.json")):
        if path.name in ("db_list.json", "exclusions.json"):
            continue
        with open(path) as f:
            found.update((q["id"], q) for q in json.load(f))
    return found


def _render_value(value):
    if value is None:
        return "NULL"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value)


@pytest.fixture(scope="session")
def answer_text():
    """Writes a question's gold answer out as an ANSWER argument (`a | b` rows, one per line)."""

    def write(question):
        return "\n".join(" | ".join(_render_value(v) for v in row) for row in question["gold_answer"])

    return write
