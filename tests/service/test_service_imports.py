"""The service layer runs without the frameworks: the use cases and the fakes load no aiogram,
no SQLAlchemy, no database driver (a fresh interpreter, so nothing else loaded them first)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
CHECK = """
import sys
import fakes, portal.accounts, portal.clients, portal.linking, portal.registration, portal.uploads
import portal.api_tokens, portal.client_admin, portal.client_users, portal.deals, portal.feed
import portal.review
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'aiogram', 'sqlalchemy', 'asyncpg',
    'aiosqlite', 'aiohttp', 'pydantic'})
print(','.join(heavy))
"""


def test_use_cases_and_fakes_load_no_framework() -> None:
    found = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=TESTS.parent,
        env={"PYTHONPATH": f"{TESTS}:{TESTS.parent}"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == ""
