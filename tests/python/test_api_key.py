"""With `--api-key` set, the official OpenEnv client and the typed client pass the key as an
`Authorization: Bearer` header (WebSocket and MCP alike), and without it nothing but `/health`
answers."""

import json
import secrets
import urllib.error
import urllib.request

import pytest
from openenv.core.generic_client import GenericEnvClient
from openenv.core.mcp_client import MCPToolClient

from conftest import running_server
from sqlenv_client import SQLEnvClient

KEY = secrets.token_hex(24)


@pytest.fixture(scope="module")
def keyed_url():
    with running_server({"SQLENV_API_KEY": KEY}) as url:
        yield url


def _status(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_only_health_answers_without_the_key(keyed_url):
    assert _status(f"{keyed_url}/health")[0] == 200
    status, body = _status(f"{keyed_url}/metadata")
    assert status == 401 and body["code"] == "UNAUTHORIZED"
    assert _status(f"{keyed_url}/metadata", {"Authorization": f"Bearer {KEY}"})[0] == 200
    with pytest.raises(ConnectionError):
        with GenericEnvClient(base_url=keyed_url).sync() as env:
            env.reset(seed=1)


def test_the_official_client_sends_the_key_as_a_header(keyed_url):
    headers = {"Authorization": f"Bearer {KEY}"}
    with GenericEnvClient(base_url=keyed_url, headers=headers).sync() as env:
        r = env.reset(seed=3)
        assert r.done is False
        r = env.step({"action_type": "QUERY", "argument": "SELECT 1"})
        assert r.observation["error"] is None


def test_the_typed_client_takes_an_api_key(keyed_url):
    with SQLEnvClient(base_url=keyed_url, api_key=KEY).sync() as env:
        r = env.reset(seed=5)
        assert r.observation.question


def test_the_official_mcp_client_sends_the_key(keyed_url):
    with MCPToolClient(base_url=keyed_url, headers={"Authorization": f"Bearer {KEY}"}).sync() as env:
        env.reset()
        names = {t.name for t in env.list_tools()}
        assert "query" in names
