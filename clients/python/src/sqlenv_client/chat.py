"""Observations as chat messages, for a language model playing SQLEnv."""

from __future__ import annotations

from typing import Literal

from .models import SQLObservation

SYSTEM_PROMPT = """You answer a question about a SQLite database by exploring it step by step.
Call exactly one tool per turn:
- describe(table_name): the columns, keys and row count of a table
- sample(table_name): the first rows of a table
- query(sql): run one read-only SQL statement (SQLite) and see its result
- answer(value): give the final answer; this ends the episode
Answer with the values only: one value, values one per line, or rows as `a | b` lines."""

Role = Literal["user", "tool"]


def render_observation(
    obs: SQLObservation, *, include_question: bool | None = None, show_reward: bool = False
) -> str:
    """The observation as text a model reads.

    The question and the table names are included on the first observation of an episode
    (step 0) unless `include_question` says otherwise; later observations show the step's
    result (or error) and the steps left. The step's reward is left out unless `show_reward`:
    its progress part says how close a result is to the gold, so a policy that reads it could
    find the answer by scanning constants (`SELECT 0`, `SELECT 1`, ...) instead of the data.
    The trainer gets the rewards either way.
    """
    first = obs.step_count == 0
    show_question = first if include_question is None else include_question
    parts: list[str] = []
    if show_question:
        parts.append(f"Question: {obs.question}")
        parts.append(f"Database: {obs.db_id}")
        parts.append(f"Tables: {', '.join(obs.tables)}")
    if not first:
        if obs.error:
            parts.append(f"Error: {obs.error}")
        if obs.result:
            parts.append(obs.result)
        if show_reward and obs.reward is not None:
            parts.append(f"Reward: {obs.reward:+.3f}")
    if obs.done:
        parts.append("The episode is over.")
    else:
        parts.append(f"Steps left: {obs.budget_remaining}")
    return "\n".join(parts)


def observation_message(
    obs: SQLObservation, *, role: Role = "user", name: str | None = None
) -> dict[str, str]:
    """The observation as one chat message (`{"role", "content"}`).

    Use `role="tool"` (and the tool's `name`) to feed it back as the result of a tool call.
    """
    message = {"role": role, "content": render_observation(obs)}
    if role == "tool" and name is not None:
        message["name"] = name
    return message


def initial_messages(obs: SQLObservation, *, system_prompt: str = SYSTEM_PROMPT) -> list[dict[str, str]]:
    """The conversation an episode starts with: the system prompt and the first observation."""
    return [{"role": "system", "content": system_prompt}, observation_message(obs)]
