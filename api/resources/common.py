"""Models several resources share: ids in paths, the strictness of every request model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Ids are BIGINTs: larger values are refused before they reach the database.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
# Deal and invoice numbers as ALTUM writes them (no '/': they are path segments).
Number = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]


class Request(BaseModel):
    """Path and query parameters (strings, converted); unknown ones are refused."""

    model_config = ConfigDict(extra="forbid")


class Body(BaseModel):
    """A JSON body: unknown fields refused, and no coercion (`0` is not a date nor `false`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        """JSON may carry U+0000 in a string; PostgreSQL's text cannot hold it: refused here
        (422) rather than failing the write."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain the NUL character (U+0000)")
        return value


class ClientPath(Request):
    client_id: Id
