"""A model's tool call, as JSON or as text, turned into an `SQLAction`.

Accepted shapes (the tool names are `describe`, `sample`, `query`, `answer`, any case; the
action names `DESCRIBE`, ... work too):

* `{"name": "query", "arguments": {"sql": "SELECT 1"}}` (`arguments` may be a JSON string);
* OpenAI style `{"type": "function", "function": {"name": ..., "arguments": "..."}}`;
* the server's own action `{"action_type": "QUERY", "argument": "SELECT 1"}`;
* text holding one of these, inside `<tool_call>...</tool_call>` tags (Qwen and Hermes
  templates), a fenced code block, or bare.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .models import ActionType, SQLAction

#: The argument names each tool takes; the first one is the documented name.
ARGUMENT_NAMES: dict[ActionType, tuple[str, ...]] = {
    ActionType.DESCRIBE: ("table_name", "table", "name", "argument"),
    ActionType.SAMPLE: ("table_name", "table", "name", "argument"),
    ActionType.QUERY: ("sql", "query", "statement", "argument"),
    ActionType.ANSWER: ("value", "answer", "argument"),
}

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCED = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


class ToolCallError(ValueError):
    """The model's output is not one valid SQLEnv tool call; the message says why."""


def _action_type(name: Any) -> ActionType:
    if not isinstance(name, str) or not name.strip():
        raise ToolCallError(f"tool call has no tool name (got {name!r})")
    try:
        return ActionType(name.strip().upper())
    except ValueError:
        known = ", ".join(t.value.lower() for t in ActionType)
        raise ToolCallError(f"unknown tool {name!r}; the tools are {known}") from None


def _arguments(raw: Any, tool: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as err:
            raise ToolCallError(f"arguments of {tool!r} are not valid JSON: {err}") from None
    if not isinstance(raw, Mapping):
        raise ToolCallError(f"arguments of {tool!r} must be an object, got {type(raw).__name__}")
    return raw


def _argument_value(kind: ActionType, arguments: Mapping[str, Any]) -> str:
    names = ARGUMENT_NAMES[kind]
    for name in names:
        if name in arguments:
            value = arguments[name]
            break
    else:
        if len(arguments) == 1:
            value = next(iter(arguments.values()))
        else:
            raise ToolCallError(
                f"{kind.value.lower()} needs the argument {names[0]!r}; got {sorted(arguments) or 'none'}"
            )
    if value is None:
        raise ToolCallError(f"the argument of {kind.value.lower()} is null")
    if isinstance(value, (list, dict)):
        if kind is not ActionType.ANSWER:
            raise ToolCallError(f"the argument of {kind.value.lower()} must be a string")
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if kind is not ActionType.ANSWER and not text.strip():
        raise ToolCallError(f"the argument of {kind.value.lower()} is empty")
    return text


def action_from_call(call: Mapping[str, Any]) -> SQLAction:
    """An `SQLAction` from one tool call already parsed from JSON (see the module docstring)."""
    if not isinstance(call, Mapping):
        raise ToolCallError(f"a tool call must be a JSON object, got {type(call).__name__}")
    if "action_type" in call:
        kind = _action_type(call["action_type"])
        return SQLAction(action_type=kind, argument=_argument_value(kind, {"argument": call.get("argument")}))
    if isinstance(call.get("function"), Mapping):
        call = call["function"]
    kind = _action_type(call.get("name"))
    arguments = _arguments(call.get("arguments", call.get("parameters")), kind.value.lower())
    return SQLAction(action_type=kind, argument=_argument_value(kind, arguments))


def _candidates(text: str) -> list[str]:
    tagged = [m.group(1) for m in _TAGGED.finditer(text) if m.group(1).strip()]
    if tagged:
        return tagged
    fenced = [m.group(1) for m in _FENCED.finditer(text) if m.group(1).strip()]
    if fenced:
        return fenced
    start, end = text.find("{"), text.rfind("}")
    return [text[start : end + 1]] if 0 <= start < end else []


def parse_tool_call(output: str | Mapping[str, Any] | list[Any]) -> SQLAction:
    """The one tool call in a model's output, as an `SQLAction`.

    `output` is the model's text, a parsed tool call, or a list holding exactly one tool call.
    Raises `ToolCallError` with a short reason (no call, several calls, unknown tool, missing
    argument, bad JSON) that can be shown to the model.
    """
    if isinstance(output, list):
        if len(output) != 1:
            raise ToolCallError(f"expected exactly one tool call, got {len(output)}")
        return parse_tool_call(output[0])
    if isinstance(output, Mapping):
        return action_from_call(output)
    if not isinstance(output, str):
        raise ToolCallError(f"cannot read a tool call from {type(output).__name__}")
    candidates = _candidates(output)
    if not candidates:
        raise ToolCallError("no tool call found; call one of describe, sample, query, answer")
    if len(candidates) > 1:
        raise ToolCallError(f"expected exactly one tool call per turn, got {len(candidates)}")
    try:
        call = json.loads(candidates[0])
    except json.JSONDecodeError as err:
        raise ToolCallError(f"the tool call is not valid JSON: {err}") from None
    return parse_tool_call(call)


def action_to_tool_call(action: SQLAction) -> dict[str, Any]:
    """The tool call (chat-template form) that `parse_tool_call` reads back as `action`.

    Use it to put the model's turn into the conversation as a structured assistant message:
    `{"role": "assistant", "content": "", "tool_calls": [action_to_tool_call(action)]}`.
    """
    name = action.action_type.value.lower()
    arguments = {ARGUMENT_NAMES[action.action_type][0]: action.argument}
    return {"type": "function", "function": {"name": name, "arguments": arguments}}
