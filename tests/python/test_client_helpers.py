"""The chat rendering and tool-call parsing helpers of `sqlenv_client`."""

import pytest
from sqlenv_client import (
    ActionType,
    SQLAction,
    SQLEnvClient,
    SQLObservation,
    ToolCallError,
    action_to_tool_call,
    initial_messages,
    observation_message,
    parse_tool_call,
    render_observation,
)


def test_tool_calls_in_every_accepted_shape():
    cases = [
        ({"name": "query", "arguments": {"sql": "SELECT 1"}}, ActionType.QUERY, "SELECT 1"),
        ({"name": "describe", "arguments": '{"table_name": "singer"}'}, ActionType.DESCRIBE, "singer"),
        (
            {"type": "function", "function": {"name": "Sample", "arguments": '{"table": "t"}'}},
            ActionType.SAMPLE,
            "t",
        ),
        ({"action_type": "ANSWER", "argument": "6"}, ActionType.ANSWER, "6"),
        ('<tool_call>\n{"name": "answer", "arguments": {"value": 6}}\n</tool_call>', ActionType.ANSWER, "6"),
        (
            'I will look.\n<tool_call>{"name": "describe", "arguments": {"table_name": "a"}}',
            ActionType.DESCRIBE,
            "a",
        ),
        ('```json\n{"name": "query", "arguments": {"query": "SELECT 2"}}\n```', ActionType.QUERY, "SELECT 2"),
        ('{"name": "answer", "arguments": {"value": ["a", "b"]}}', ActionType.ANSWER, '["a", "b"]'),
        ([{"name": "query", "arguments": {"sql": "SELECT 3"}}], ActionType.QUERY, "SELECT 3"),
    ]
    for output, kind, argument in cases:
        action = parse_tool_call(output)
        assert (action.action_type, action.argument) == (kind, argument), output


def test_actions_round_trip_through_tool_calls():
    for action in (
        SQLAction.describe("a"),
        SQLAction.sample("b"),
        SQLAction.query("SELECT 1"),
        SQLAction.answer("x"),
    ):
        call = action_to_tool_call(action)
        assert call["type"] == "function" and call["function"]["name"] == action.action_type.value.lower()
        assert parse_tool_call(call) == action


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("I think the answer is 6", "no tool call"),
        ('<tool_call>{"name": "drop", "arguments": {}}</tool_call>', "unknown tool 'drop'"),
        ('<tool_call>{"name": "query", "arguments": {}}</tool_call>', "needs the argument 'sql'"),
        ('<tool_call>{"name": "query", "arguments": {"sql": "  "}}</tool_call>', "is empty"),
        ('<tool_call>{"name": "query", "arguments": {"sql": "SELECT 1"</tool_call>', "not valid JSON"),
        (
            '<tool_call>{"name": "describe", "arguments": {"table_name": "a"}}</tool_call>' * 2,
            "exactly one tool call",
        ),
        ({"name": "query", "arguments": "[1]"}, "must be an object"),
        ([], "exactly one tool call, got 0"),
    ],
)
def test_bad_tool_calls_say_why(output, reason):
    with pytest.raises(ToolCallError, match=reason):
        parse_tool_call(output)


def test_observations_render_as_chat_messages(server_url):
    with SQLEnvClient(base_url=server_url).sync() as env:
        first = env.reset(seed=2, db_id="concert_singer").observation
        text = render_observation(first)
        assert text.startswith(f"Question: {first.question}")
        assert "Tables: " in text and "concert" in text and "Steps left: 15" in text

        messages = initial_messages(first)
        assert [m["role"] for m in messages] == ["system", "user"]
        assert "answer(value)" in messages[0]["content"]

        action = parse_tool_call(
            '<tool_call>{"name": "describe", "arguments": {"table_name": "nope"}}</tool_call>'
        )
        obs = env.step(action).observation
        message = observation_message(obs, role="tool", name="describe")
        assert message["role"] == "tool" and message["name"] == "describe"
        assert "Error: unknown table" in message["content"]
        assert "Question:" not in message["content"]
        assert "Reward" not in message["content"] and "Steps left: 14" in message["content"]
        # Nothing is paid before the episode ends (the default reward timing).
        assert "Reward: +0.000" in render_observation(obs, show_reward=True)

        obs = env.step(parse_tool_call({"name": "answer", "arguments": {"value": "0"}})).observation
        assert render_observation(obs).endswith("The episode is over.")


def test_render_without_a_server():
    obs = SQLObservation(question="How many?", db_id="d", tables=["a", "b"], budget_remaining=15)
    assert render_observation(obs) == "Question: How many?\nDatabase: d\nTables: a, b\nSteps left: 15"
