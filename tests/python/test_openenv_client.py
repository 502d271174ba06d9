"""The official OpenEnv client, unchanged, plays whole episodes against our server, and the
official conformance check passes."""

import json
import subprocess
import sys
from pathlib import Path

from openenv.core.generic_client import GenericEnvClient


def _served(questions):
    return [q for q in questions.values() if any(v is not None for row in q["gold_answer"] for v in row)]


def test_full_episode_with_generic_client(server_url, questions, answer_text):
    q = next(q for q in _served(questions) if q["db_id"] == "concert_singer" and q["difficulty"] == "medium")
    with GenericEnvClient(base_url=server_url).sync() as env:
        r = env.reset(question_id=q["id"], episode_id="py-1")
        assert r.done is False
        assert r.observation["question"] == q["question"]
        assert "singer" in r.observation["tables"]

        r = env.step({"action_type": "DESCRIBE", "argument": "singer"})
        assert "Singer_ID" in r.observation["result"]
        assert r.observation["error"] is None
        assert r.reward is not None

        r = env.step({"action_type": "SAMPLE", "argument": "concert"})
        assert r.observation["result"].startswith("Sample of concert")

        r = env.step({"action_type": "QUERY", "argument": q["gold_sql"]})
        assert r.observation["error"] is None
        # The default timing pays the whole return at the episode's last step.
        assert r.reward == 0.0 and r.observation["reward_components"]["progress"] == 0

        r = env.step({"action_type": "ANSWER", "argument": answer_text(q)})
        assert r.done is True
        # correct + efficiency * (15 - 4) / 14
        assert abs(r.reward - (1.0 + 0.1 * 11 / 14)) < 1e-9

        state = env.state()
        assert state["episode_id"] == "py-1"
        assert state["step_count"] == 4
        assert state["done"] is True
        assert state["question_id"] == q["id"]
        assert state["cumulative_reward"] > 1.0


def test_bad_actions_are_observations_not_exceptions(server_url):
    with GenericEnvClient(base_url=server_url).sync() as env:
        env.reset(seed=11, db_id="singer")
        r = env.step({"action_type": "DESCRIBE", "argument": "no_such_table"})
        assert "unknown table" in r.observation["error"]
        r = env.step({"action_type": "QUERY", "argument": "DELETE FROM singer"})
        assert "refused" in r.observation["error"]
        assert r.done is False
        r = env.step({"action_type": "QUERY", "argument": "SELECT count(*) FROM singer"})
        assert r.observation["error"] is None


def test_many_clients_at_once(server_url):
    clients = [GenericEnvClient(base_url=server_url).sync() for _ in range(20)]
    try:
        for i, env in enumerate(clients):
            env.connect()
            assert env.reset(seed=i).done is False
        for env in clients:
            assert env.step({"action_type": "QUERY", "argument": "SELECT 1"}).observation["error"] is None
    finally:
        for env in clients:
            env.close()


def test_openenv_validate_passes(server_url):
    cli = Path(sys.executable).with_name("openenv")
    out = subprocess.run(
        [str(cli), "validate", "--url", server_url, "--json"], capture_output=True, text=True, timeout=120
    )
    report = json.loads(out.stdout)
    assert report["passed"] is True, out.stdout
    if "standard_profile" in report:  # openenv 0.10 names the profile from /openapi.json
        assert report["standard_profile"] == "openenv-http/1.x", out.stdout
