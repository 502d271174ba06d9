"""The typed client (`sqlenv_client.SQLEnvClient`) plays whole episodes against the real server,
synchronously and asynchronously."""

import asyncio

import pytest
from sqlenv_client import ActionType, SQLAction, SQLEnvClient, SQLObservation, SQLState


def _a_question(questions, db_id="concert_singer"):
    return next(
        q
        for q in questions.values()
        if q["db_id"] == db_id and any(v is not None for row in q["gold_answer"] for v in row)
    )


def test_sync_episode_is_typed_end_to_end(server_url, questions, answer_text):
    q = _a_question(questions)
    with SQLEnvClient(base_url=server_url).sync() as env:
        r = env.reset(question_id=q["id"], episode_id="typed-1")
        assert isinstance(r.observation, SQLObservation)
        assert r.observation.question == q["question"]
        assert r.observation.step_count == 0 and not r.done
        assert "singer" in r.observation.tables

        r = env.step(SQLAction.describe("singer"))
        assert "Singer_ID" in r.observation.result
        assert r.observation.error is None
        assert r.reward == pytest.approx(r.observation.reward_components.total)
        assert r.observation.reward == r.reward and r.observation.done is False

        r = env.step({"action_type": "SAMPLE", "argument": "concert"})  # a mapping works too
        assert r.observation.result.startswith("Sample of concert")

        r = env.step(SQLAction.query(q["gold_sql"]))
        # The default timing pays the whole return at the episode's last step.
        assert r.reward == 0.0 and r.observation.reward_components.progress == 0
        assert r.observation.action_history[-1].startswith("QUERY")

        r = env.step(SQLAction.answer(answer_text(q)))
        # correct + efficiency * (15 - 4) / 14
        assert r.done and r.reward == pytest.approx(1.0 + 0.1 * 11 / 14)
        assert r.observation.reward_components.terminal == 1.0

        state = env.state()
        assert isinstance(state, SQLState)
        assert state.episode_id == "typed-1"
        assert state.question_id == q["id"]
        assert state.step_count == 4 and state.done
        assert state.cumulative_reward > 1.0
        assert state.reward_totals.terminal == 1.0


def test_bad_actions_are_typed_observations(server_url):
    with SQLEnvClient(base_url=server_url).sync() as env:
        env.reset(seed=3, db_id="singer")
        r = env.step(SQLAction.describe("no_such_table"))
        assert "unknown table" in r.observation.error
        r = env.step(SQLAction.query("DELETE FROM singer"))
        assert "refused" in r.observation.error and not r.done


def test_action_validation_happens_before_sending():
    with pytest.raises(ValueError):
        SQLAction.model_validate({"action_type": "DROP", "argument": "x"})
    with pytest.raises(ValueError):
        SQLAction.model_validate({"action_type": "QUERY", "argument": "SELECT 1", "extra": 1})
    assert SQLAction.query("SELECT 1").to_payload() == {"action_type": "QUERY", "argument": "SELECT 1"}
    assert SQLAction(action_type=ActionType.ANSWER, argument="7").action_type.value == "ANSWER"


def test_async_episodes_run_concurrently(server_url):
    async def play(seed):
        async with SQLEnvClient(base_url=server_url) as env:
            r = await env.reset(seed=seed, split="eval")
            table = r.observation.tables[0]
            r = await env.step(SQLAction.describe(table))
            assert r.observation.error is None
            r = await env.step(SQLAction.answer("0"))
            assert r.done
            state = await env.state()
            return state.step_count, state.done

    async def main():
        return await asyncio.gather(*(play(seed) for seed in range(5)))

    assert asyncio.run(main()) == [(2, True)] * 5


def test_budget_ends_the_episode(server_url):
    with SQLEnvClient(base_url=server_url).sync() as env:
        r = env.reset(seed=5)
        budget = r.observation.budget_remaining
        for i in range(budget):
            r = env.step(SQLAction.query(f"SELECT {i}"))
            if r.done:
                break
        assert r.done and r.observation.budget_remaining == 0
