"""Typed action, observation and state of SQLEnv, on OpenEnv's pydantic base models.

The field names and meanings are those of the server's JSON (`GET /schema` has the schemas).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from openenv.core.env_server.types import Action, Observation, State
from pydantic import BaseModel, ConfigDict, Field


class ActionType(str, Enum):
    """The four things an agent can do in a step."""

    DESCRIBE = "DESCRIBE"
    SAMPLE = "SAMPLE"
    QUERY = "QUERY"
    ANSWER = "ANSWER"


class SQLAction(Action):
    """One step's action: `action_type` and its `argument`.

    The argument is a table name (DESCRIBE, SAMPLE), one read-only SQL statement (QUERY) or the
    answer text (ANSWER, which ends the episode).
    """

    action_type: ActionType
    argument: str

    @classmethod
    def describe(cls, table_name: str) -> SQLAction:
        """DESCRIBE a table: its columns, keys and row count."""
        return cls(action_type=ActionType.DESCRIBE, argument=table_name)

    @classmethod
    def sample(cls, table_name: str) -> SQLAction:
        """SAMPLE a table: its first few rows."""
        return cls(action_type=ActionType.SAMPLE, argument=table_name)

    @classmethod
    def query(cls, sql: str) -> SQLAction:
        """QUERY: run one read-only SQL statement."""
        return cls(action_type=ActionType.QUERY, argument=sql)

    @classmethod
    def answer(cls, value: str) -> SQLAction:
        """ANSWER: the final answer, which ends the episode."""
        return cls(action_type=ActionType.ANSWER, argument=value)

    def to_payload(self) -> dict[str, Any]:
        """The `data` of a step frame: exactly the fields the server accepts."""
        payload: dict[str, Any] = {"action_type": self.action_type.value, "argument": self.argument}
        if self.metadata:
            payload["metadata"] = dict(self.metadata)
        return payload


class RewardComponents(BaseModel):
    """A step's reward by layer; the step pays their sum."""

    model_config = ConfigDict(extra="ignore")

    operational: float = 0.0
    progress: float = 0.0
    terminal: float = 0.0

    @property
    def total(self) -> float:
        """What the step pays."""
        return self.operational + self.progress + self.terminal


class SQLObservation(Observation):
    """What the agent sees after a reset or a step.

    `done` and `reward` travel beside the observation on the wire; the client copies them in.
    """

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    question: str = ""
    schema_info: str = ""
    result: str = ""
    error: str | None = None
    step_count: int = 0
    budget_remaining: int = 0
    action_history: list[str] = Field(default_factory=list)
    db_id: str = ""
    tables: list[str] = Field(default_factory=list)
    question_id: str = ""
    difficulty: str = ""
    reward_components: RewardComponents = Field(default_factory=RewardComponents)


class SQLState(State):
    """The episode's state (`state` frame): identity, progress and reward so far."""

    question_id: str | None = None
    db_id: str | None = None
    difficulty: str | None = None
    done: bool = False
    budget_remaining: int = 0
    cumulative_reward: float = 0.0
    reward_totals: RewardComponents = Field(default_factory=RewardComponents)
