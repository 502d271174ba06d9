"""MCP episodes against the real server: OpenEnv's own MCPToolClient (an MCP session with a
WebSocket attached by `session_id`), and the MCP Python SDK's streamable HTTP client, as an IDE
or agent framework would connect. What a model reads carries no reward."""

import asyncio
import json

import pytest

pytest.importorskip("openenv.core.mcp_client", reason="MCPToolClient needs openenv >= 0.4")

from openenv.core.mcp_client import MCPToolClient  # noqa: E402


def _text(result):
    """The text a model reads from a tool result, whatever shape the client gives it in."""
    if isinstance(result, dict):
        return "\n".join(c["text"] for c in result["content"] if c["type"] == "text")
    return "\n".join(c.text for c in result.content if c.type == "text")


def test_openenv_mcp_tool_client_plays_an_episode(server_url, questions, answer_text):
    q = questions["spider-dev-0004"]
    with MCPToolClient(base_url=server_url).sync() as env:
        r = env.reset(question_id=q["id"], episode_id="mcp-1")
        assert r.observation.question == q["question"]
        names = {t.name for t in env.list_tools()}
        assert {"describe", "sample", "query", "answer", "question", "new_episode"} <= names

        asked = env.call_tool("question")
        assert q["question"] in _text(asked)
        described = env.call_tool("describe", table_name="singer")
        assert "Singer_ID" in _text(described)
        queried = env.call_tool("query", sql=q["gold_sql"])
        assert queried["isError"] is False
        answered = env.call_tool("answer", value=answer_text(q))
        assert _text(answered).startswith("Correct")
        assert "reward" not in json.dumps(answered)

        # The socket (reset, state) and the HTTP tools played one episode.
        state = env.state()
        assert (state.episode_id, state.step_count) == ("mcp-1", 3)


def test_mcp_sdk_plays_one_whole_episode_in_one_session(server_url, all_questions, answer_text):
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def play():
        seen = []
        async with streamable_http_client(f"{server_url}/mcp") as (read, write, session_id):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                assert "Question: " in init.instructions
                first = session_id()
                assert first

                asked = await session.call_tool("question", {})
                view = asked.structuredContent
                assert view["question"] in init.instructions
                q = all_questions[view["question_id"]]
                table = view["tables"][0]
                seen.append(asked)

                described = await session.call_tool("describe", {"table_name": table})
                assert described.isError is False, _text(described)
                queried = await session.call_tool("query", {"sql": q["gold_sql"]})
                assert queried.isError is False, _text(queried)
                assert queried.structuredContent["step_count"] == 2
                answered = await session.call_tool("answer", {"value": answer_text(q)})
                assert _text(answered).startswith("Correct"), _text(answered)
                assert answered.structuredContent["done"] is True
                seen += [described, queried, answered]

                again = await session.call_tool("new_episode", {"question_id": q["id"]})
                assert again.structuredContent["step_count"] == 0
                assert session_id() == first
        for result in seen:
            assert "reward" not in result.model_dump_json()

    asyncio.run(asyncio.wait_for(play(), timeout=60))


def test_mcp_tool_client_steps_with_openenvs_tool_actions(server_url, questions, answer_text):
    from openenv.core.env_server.mcp_types import CallToolAction, CallToolObservation, ListToolsAction

    q = questions["spider-dev-0000"]
    with MCPToolClient(base_url=server_url).sync() as env:
        env.reset(question_id=q["id"])
        listed = env.step(ListToolsAction())
        assert "describe" in {t.name for t in listed.observation.tools}
        r = env.step(CallToolAction(tool_name="query", arguments={"sql": q["gold_sql"]}))
        assert isinstance(r.observation, CallToolObservation) and r.observation.error is None
        assert r.reward is not None  # the trainer's channel; the tool result itself has none
        assert "reward" not in json.dumps(r.observation.result)
        r = env.step(CallToolAction(tool_name="answer", arguments={"value": answer_text(q)}))
        assert r.done is True and r.reward >= 1.0
        r = env.step(CallToolAction(tool_name="no_such_tool", arguments={}))
        assert r.observation.error.error_type.value == "tool_not_found"
        assert env.state().step_count == 2
