"""The back-office HTTP API under /api/v1: how ALTUM's own systems feed the bot and read what
clients do in it. It reaches storage and chat only through the `ApiContext` the runtime gives
it (bot/surfaces.py); resources live one per module in `api.resources`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from aiohttp import web

from api import docs, openapi
from api.context import ApiContext
from api.platform import Operation, endpoint
from api.problems import ProblemError, problem_response
from api.resources import RESOURCES

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
CONTEXT = web.AppKey("api_context", ApiContext)


def operations() -> list[Operation]:
    return [operation for resource in RESOURCES for operation in resource.operations]


def scopes() -> frozenset[str]:
    """Every scope an operation needs: what a token may be given."""
    return frozenset(operation.scope for operation in operations())


@cache
def spec() -> dict[str, Any]:
    return openapi.build(
        operations(), tags=[(resource.tag, resource.description) for resource in RESOURCES]
    )


def create_api(
    context: ApiContext, *, is_unavailable: Callable[[BaseException], bool]
) -> web.Application:
    """The API as an aiohttp sub-application, to mount at PREFIX."""
    app = web.Application(middlewares=[_problems(is_unavailable)])
    app[CONTEXT] = context
    for operation in operations():
        app.router.add_route(operation.method, operation.path, endpoint(operation, context))
    spec_text = json.dumps(spec(), ensure_ascii=False)
    page = docs.render(spec())

    async def openapi_json(_request: web.Request) -> web.Response:
        return web.Response(text=spec_text, content_type="application/json")

    async def docs_page(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", headers=docs.HEADERS)

    app.router.add_get("/openapi.json", openapi_json)
    app.router.add_get("/docs", docs_page)
    return app


def _problems(is_unavailable: Callable[[BaseException], bool]) -> Any:
    """Every error as problem details; nothing of a request (tokens, codes) is logged."""

    @web.middleware
    async def middleware(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        instance = request.path
        try:
            return await handler(request)
        except ProblemError as exc:
            return problem_response(
                exc.status, exc.detail, instance=instance, headers=exc.headers, **exc.extra
            )
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
            return problem_response(exc.status, exc.reason, instance=instance, headers=headers)
        except Exception as exc:
            if is_unavailable(exc):
                log.warning(
                    "api: database unavailable", extra={"fields": {"path": _route(request)}}
                )
                return problem_response(
                    503,
                    "the database is unavailable; try again",
                    instance=instance,
                    headers={"Retry-After": "1"},
                )
            log.exception("api: request failed", extra={"fields": {"path": _route(request)}})
            return problem_response(500, None, instance=instance)

    return middleware


def _route(request: web.Request) -> str:
    """The route's pattern, not the path: paths may hold numbers worth keeping out of logs."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "?"
