"""OpenEnv's session telemetry, as its validator reads it: `validation_open` with the run's token
before the first operation, the probe plan (validation/runtime.json), then `validation_read`.
The checks are those of its seed-control, trajectory-record and episode-determinism graders:
the seed is reported as forwarded (also for a changed seed), the server's record is exactly the
transcript the client saw, and fresh sessions and a fresh server process replay it identically.
(Those graders follow openenv 0.10 upstream; 0.10 itself grades the rest, see test_validate.py.)"""

import json
from pathlib import Path

from websockets.sync.client import connect

from conftest import running_server

ROOT = Path(__file__).resolve().parents[2]
PLAN = json.loads((ROOT / "validation" / "runtime.json").read_text())


def _ws_url(base_url):
    return base_url.replace("http://", "ws://") + "/ws"


def play(base_url, token, seed=None):
    """Plays the probe plan in one socket with telemetry open: the transcript and the snapshot."""
    reset = {**PLAN["reset"]["options"], "seed": PLAN["reset"]["seed"] if seed is None else seed,
             "episode_id": PLAN["reset"]["episode_id"]}
    with connect(_ws_url(base_url), open_timeout=10, close_timeout=2) as ws:
        def exchange(request):
            ws.send(json.dumps(request))
            return json.loads(ws.recv(timeout=30))

        opened = exchange({"type": "validation_open", "data": {"schema_version": 1, "token": token}})
        assert opened["type"] == "validation_open", opened
        capability = opened["data"]["capability"]
        transcript = []
        requests = [{"type": "reset", "data": reset}, {"type": "state"}]
        for action in PLAN["actions"]:
            requests += [{"type": "step", "data": action}, {"type": "state"}]
        for request in requests:
            response = exchange(request)
            assert response["type"] in ("observation", "state"), response
            transcript.append({"operation": request["type"], "request": request, "response": response})
        snapshot = exchange({"type": "validation_read", "data": {"schema_version": 1, "capability": capability}})
        assert snapshot["type"] == "validation", snapshot
        ws.send(json.dumps({"type": "close"}))
    return transcript, snapshot["data"]


def test_the_record_is_the_transcript_and_the_seed_is_forwarded(server_url, validation_token):
    transcript, snapshot = play(server_url, validation_token)
    trajectory = snapshot["trajectory"]
    assert (trajectory["schema_version"], trajectory["source"], trajectory["complete"]) == (
        1, "openenv-server", True)
    assert trajectory["records"] == transcript
    assert snapshot["seed"] == {"requested": True, "value": PLAN["reset"]["seed"], "accepted": True}
    changed = PLAN["reset"]["seed"] + 1
    _, snapshot = play(server_url, validation_token, seed=changed)
    assert snapshot["seed"] == {"requested": True, "value": changed, "accepted": True}
    assert validation_token not in json.dumps(snapshot)


def test_fresh_sessions_and_a_fresh_process_replay_the_episode_identically(server_url, validation_token):
    first, _ = play(server_url, validation_token)
    again, _ = play(server_url, validation_token)
    assert again == first
    with running_server({"OPENENV_VALIDATION_TOKEN": validation_token}) as other:
        fresh, _ = play(other, validation_token)
    assert fresh == first
