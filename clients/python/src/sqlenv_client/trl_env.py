"""An SQLEnv episode as a tool-using environment for TRL's `GRPOTrainer(environment_factory=...)`.

Targets TRL 1.16 (`environment_factory`, experimental there). TRL builds one instance per
rollout with the factory (no arguments; bind the server URL with `functools.partial` or
`SQLENV_URL`), calls `reset(**row)` with the dataset row before each rollout and appends the text
it returns to the last user message, exposes every public method except `reset` and
`get_reward` as a tool (schema from the signature and the docstring's Args section), and calls
`get_reward()` once the rollout is over. So this class has exactly four public tool methods:
`describe`, `sample`, `query`, `answer`, one per SQLEnv action.

    from functools import partial
    trainer = GRPOTrainer(model=..., train_dataset=rows, args=config,
                          environment_factory=partial(SQLEnvToolEnv, base_url=URL))

A dataset row may carry the server's reset arguments as columns (`question_id`, `seed`,
`db_id`, `difficulty`, `split`); the others (`prompt`, ...) are ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from openenv.core.sync_client import SyncEnvClient

from .chat import render_observation
from .client import SQLEnvClient
from .models import SQLAction, SQLObservation

#: Dataset columns passed on to the server's reset.
RESET_KEYS = ("question_id", "seed", "episode_id", "db_id", "difficulty", "split")

DEFAULT_URL = "http://127.0.0.1:8000"


def close_environment(env: SQLEnvToolEnv) -> None:
    """Closes the session of an environment (a function, not a method: every public method is a tool)."""
    env._close()


class EpisodeOverError(RuntimeError):
    """A tool was called after the episode ended (TRL shows the model this message as an error)."""


class SQLEnvToolEnv:
    """One SQLEnv session driven through tool calls; TRL makes one per rollout and reuses it.

    The reward of a rollout (`get_reward`) is the episode's return: the sum of the rewards of
    every step taken (exploration shaping plus +1.0 for a correct answer). A tool called after
    the episode ended is not sent to the server; it raises `EpisodeOverError` instead, so the
    return stays the episode's own.
    """

    def __init__(self, base_url: str | None = None, **reset_defaults: Any) -> None:
        self._base_url = base_url or os.environ.get("SQLENV_URL", DEFAULT_URL)
        self._reset_defaults = dict(reset_defaults)
        self._client: SyncEnvClient | None = None
        self._observation: SQLObservation | None = None
        self._return = 0.0
        self._done = False

    # -- lifecycle ---------------------------------------------------------------------------

    def reset(self, **kwargs: Any) -> str:
        """Starts an episode (reset arguments from the dataset row) and returns its first prompt text."""
        params = {**self._reset_defaults, **{k: kwargs[k] for k in RESET_KEYS if kwargs.get(k) is not None}}
        result = self._session().reset(**params)
        self._observation = result.observation
        self._return = 0.0
        self._done = bool(result.done)
        return "\n\n" + render_observation(result.observation)

    def get_reward(self) -> float:
        """The episode's return so far: the sum of its step rewards."""
        return self._return

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # best effort, e.g. at interpreter exit
            self._close()

    # -- read-only views (properties are not tools) ------------------------------------------

    @property
    def observation(self) -> SQLObservation | None:
        """The last observation."""
        return self._observation

    @property
    def done(self) -> bool:
        """Whether the episode has ended (answered, or out of steps)."""
        return self._done

    @property
    def correct(self) -> bool:
        """Whether the episode ended with a correct answer."""
        obs = self._observation
        return bool(self._done and obs is not None and obs.reward_components.terminal > 0)

    # -- tools -------------------------------------------------------------------------------

    def describe(self, table_name: str) -> str:
        """
        Show the columns (with types), the primary and foreign keys and the row count of a table.

        Args:
            table_name: The name of a table of the database.

        Returns:
            The table's description, or an error message.
        """
        return self._act(SQLAction.describe(str(table_name)))

    def sample(self, table_name: str) -> str:
        """
        Show the first rows of a table.

        Args:
            table_name: The name of a table of the database.

        Returns:
            The rows as a text table, or an error message.
        """
        return self._act(SQLAction.sample(str(table_name)))

    def query(self, sql: str) -> str:
        """
        Run one read-only SQL statement (SQLite dialect) and show its result.

        Args:
            sql: One SELECT statement.

        Returns:
            The result as a text table (at most 20 rows shown), or an error message.
        """
        return self._act(SQLAction.query(str(sql)))

    def answer(self, value: str) -> str:
        """
        Give the final answer to the question; this ends the episode.

        Args:
            value: The answer: one value, several values one per line, or rows as `a | b` lines.

        Returns:
            Whether the answer was correct.
        """
        if not isinstance(value, str):
            value = json.dumps(value)
        return self._act(SQLAction.answer(value))

    # -- internals ---------------------------------------------------------------------------

    def _session(self) -> SyncEnvClient:
        if self._client is None:
            self._client = SQLEnvClient(base_url=self._base_url).sync()
            self._client.connect()
        return self._client

    def _act(self, action: SQLAction) -> str:
        if self._observation is None:
            raise EpisodeOverError("no episode: reset first")
        if self._done:
            raise EpisodeOverError("the episode is over; no more tool calls")
        result = self._session().step(action)
        self._observation = result.observation
        self._return += float(result.reward or 0.0)
        self._done = bool(result.done)
        return render_observation(result.observation, include_question=False)
