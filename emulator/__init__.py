"""A local Telegram Bot API server for demos, end-to-end tests and benchmarks.

It speaks plain HTTP, imports nothing from the rest of the project, and behaves like
api.telegram.org closely enough to catch the mistakes Telegram would reject.
"""

from __future__ import annotations

from .client import EmulatorClient, EmulatorError
from .server import EmulatorServer, create_app
from .state import EmulatorConfig

__all__ = ["EmulatorClient", "EmulatorConfig", "EmulatorError", "EmulatorServer", "create_app"]
