"""`SQLEnvClient`: OpenEnv's WebSocket `EnvClient`, typed for SQLEnv.

Async by default; `.sync()` gives the blocking wrapper OpenEnv provides:

    async with SQLEnvClient(base_url="http://127.0.0.1:8000") as env:
        result = await env.reset(seed=7)
        result = await env.step(SQLAction.describe("singer"))

    with SQLEnvClient(base_url="http://127.0.0.1:8000").sync() as env:
        result = env.reset(seed=7)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient

from .models import SQLAction, SQLObservation, SQLState

ActionLike = SQLAction | Mapping[str, Any]


def as_action(action: ActionLike) -> SQLAction:
    """An `SQLAction` from an action or a `{"action_type", "argument"}` mapping (validated)."""
    if isinstance(action, SQLAction):
        return action
    return SQLAction.model_validate(dict(action))


def parse_step_result(payload: Mapping[str, Any]) -> StepResult[SQLObservation]:
    """The `data` of an observation frame as a typed `StepResult`."""
    reward = payload.get("reward")
    done = bool(payload.get("done", False))
    observation = SQLObservation.model_validate(
        {**dict(payload.get("observation") or {}), "reward": reward, "done": done}
    )
    return StepResult(observation=observation, reward=reward, done=done)


class SQLEnvClient(EnvClient[SQLAction, SQLObservation, SQLState]):
    """A session with an SQLEnv server over its `/ws` WebSocket (one episode at a time).

    `reset(**kwargs)` accepts the server's reset arguments: `seed`, `episode_id`, `question_id`,
    `db_id`, `difficulty` (easy, medium, hard, extra), `split` (train, eval) and, with a split,
    `index` (the Task API's task of that index).
    `step` accepts an `SQLAction` or an equivalent mapping.

    `api_key` is the server's `--api-key`, sent as `Authorization: Bearer <key>` when the
    socket opens (any other `EnvClient` argument, `headers` included, passes through).
    """

    def __init__(self, *args: Any, api_key: str | None = None, **kwargs: Any) -> None:
        if api_key is not None:
            headers = dict(kwargs.pop("headers", None) or {})
            headers["Authorization"] = f"Bearer {api_key}"
            kwargs["headers"] = headers
        super().__init__(*args, **kwargs)

    def _step_payload(self, action: ActionLike) -> dict[str, Any]:
        return as_action(action).to_payload()

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[SQLObservation]:
        return parse_step_result(payload)

    def _parse_state(self, payload: dict[str, Any]) -> SQLState:
        return SQLState.model_validate(payload)
