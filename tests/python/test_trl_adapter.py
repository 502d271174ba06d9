"""The TRL `environment_factory` adapter (`SQLEnvToolEnv`) plays episodes against the real server,
called the way TRL's GRPOTrainer calls it (no TRL import needed)."""

import inspect
from functools import partial

import pytest
from sqlenv_client import EpisodeOverError, SQLEnvToolEnv, close_environment


def _tool_names(cls):
    # What TRL 1.16 exposes as tools: public functions of the class other than reset and get_reward.
    return sorted(
        name
        for name, _ in inspect.getmembers(cls, predicate=inspect.isfunction)
        if not name.startswith("_") and name not in ("reset", "get_reward")
    )


def test_exactly_the_four_tools_with_documented_arguments():
    assert _tool_names(SQLEnvToolEnv) == ["answer", "describe", "query", "sample"]
    for name, arg in (
        ("describe", "table_name"),
        ("sample", "table_name"),
        ("query", "sql"),
        ("answer", "value"),
    ):
        method = getattr(SQLEnvToolEnv, name)
        assert list(inspect.signature(method).parameters) == ["self", arg]
        assert f"{arg}:" in inspect.getdoc(method).split("Args:")[1]


def test_a_rollout_like_trl_plays_it(server_url, questions, answer_text):
    q = next(q for q in questions.values() if q["db_id"] == "singer" and q["difficulty"] == "easy")
    factory = partial(SQLEnvToolEnv, base_url=server_url)
    env = factory()
    try:
        # TRL passes the whole dataset row to reset; unknown columns are ignored.
        prompt = env.reset(prompt=[{"role": "user", "content": "Solve it."}], question_id=q["id"])
        assert prompt.startswith("\n\n") and q["question"] in prompt and "singer" in prompt
        assert env.get_reward() == 0.0 and not env.done

        assert "Singer_ID" in env.describe(table_name="singer")
        assert "Sample of singer" in env.sample(table_name="singer")
        assert "Error: unknown table" in env.describe(table_name="nope")
        result = env.query(sql=q["gold_sql"])
        # The model never reads a reward; the trainer gets it from get_reward().
        assert "Error" not in result and "Reward" not in result
        # The default timing pays nothing before the episode ends.
        assert env.get_reward() == 0.0

        env.answer(value="definitely not the answer")
        assert env.done and not env.correct
        # Partial credit for having seen the gold result, minus the step costs; at most 0.1.
        assert 0 < env.get_reward() <= 0.1
        with pytest.raises(EpisodeOverError):
            env.query(sql="SELECT 1")

        # The same instance is reused for the next rollout.
        env.reset(question_id=q["id"])
        assert env.get_reward() == 0.0 and not env.done
        rows = env.query(sql=q["gold_sql"])
        assert "Error" not in rows
        env.answer(value=answer_text(q))
        assert env.correct and env.get_reward() > 1.0
    finally:
        close_environment(env)


def test_rollouts_are_isolated(server_url):
    envs = [SQLEnvToolEnv(base_url=server_url, split="eval") for _ in range(4)]
    try:
        for seed, env in enumerate(envs):
            env.reset(seed=seed)
        for env in envs:
            env.describe(table_name=env.observation.tables[0])
        assert all(env.observation.step_count == 1 for env in envs)
        envs[0].answer(value="0")
        assert envs[0].done and not any(env.done for env in envs[1:])
    finally:
        for env in envs:
            close_environment(env)


def test_tool_before_reset_is_an_error():
    with pytest.raises(EpisodeOverError, match="reset first"):
        SQLEnvToolEnv(base_url="http://127.0.0.1:9").describe(table_name="x")
