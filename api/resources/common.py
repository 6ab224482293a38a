"""Models several resources share: ids in paths, the strictness of every request model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Ids are BIGINTs: larger values are refused before they reach the database.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
# Deal and invoice numbers as ALTUM writes them (no '/': they are path segments).
Number = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]


class Request(BaseModel):
    """Unknown fields are refused: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ClientPath(Request):
    client_id: Id
