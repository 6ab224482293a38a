"""Problem details (RFC 9457): every error the API answers, as `application/problem+json`."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/problem+json"
DOCS = "/api/v1/docs"


class FieldError(BaseModel):
    """One reason a request was refused. The offending value is never echoed back."""

    location: list[str | int] = Field(description="where: body, query or path, then the field")
    message: str


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI reference naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str | None = None
    instance: str | None = Field(default=None, description="the request's path")
    errors: list[FieldError] | None = Field(default=None, description="for invalid requests")
    code: str | None = Field(default=None, description="for conflicts: which rule")
    user_id: int | None = Field(default=None, description="for user_exists: the existing user")


# status -> (slug, title). The slug names a section of the docs page.
KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Missing or unknown token"),
    403: ("forbidden", "The token lacks the scope"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Request too large"),
    422: ("invalid", "Invalid request"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal error"),
    503: ("unavailable", "Temporarily unavailable"),
}


class ProblemError(Exception):
    """Raised anywhere in a request: answered as a problem."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or KINDS.get(status, ("", ""))[1])
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int,
    detail: str | None,
    *,
    instance: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    slug, title = KINDS.get(status, ("error", "Error"))
    body = Problem(
        type=f"{DOCS}#problem-{slug}", title=title, status=status, detail=detail, instance=instance
    )
    text = body.model_copy(update=extra).model_dump_json(exclude_none=True)
    return web.Response(
        text=text, status=status, content_type=CONTENT_TYPE, headers=headers or None
    )
