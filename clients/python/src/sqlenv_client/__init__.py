"""Typed Python client for SQLEnv, with chat rendering, tool-call parsing and a TRL adapter."""

from .chat import SYSTEM_PROMPT, initial_messages, observation_message, render_observation
from .client import SQLEnvClient, as_action, parse_step_result
from .models import ActionType, RewardComponents, SQLAction, SQLObservation, SQLState
from .tool_calls import ToolCallError, action_from_call, action_to_tool_call, parse_tool_call
from .trl_env import EpisodeOverError, SQLEnvToolEnv, close_environment

__all__ = [
    "SYSTEM_PROMPT",
    "ActionType",
    "EpisodeOverError",
    "RewardComponents",
    "SQLAction",
    "SQLEnvClient",
    "SQLEnvToolEnv",
    "SQLObservation",
    "SQLState",
    "ToolCallError",
    "action_from_call",
    "action_to_tool_call",
    "as_action",
    "close_environment",
    "initial_messages",
    "observation_message",
    "parse_step_result",
    "parse_tool_call",
    "render_observation",
]

__version__ = "0.1.0"
