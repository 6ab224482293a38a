"""The API's machinery: operations declared by resource modules, and one dispatcher that
authenticates, rate-limits, validates with the operation's pydantic models, runs the handler in
one transaction and answers JSON or a problem.

A resource module makes a `Resource` and declares its operations with it:

    resource = Resource("deals", "A client's deals and invoices.")

    @resource.operation("GET", "/clients/{client_id}/deals", scope="deals:read", summary=...)
    async def list_deals(call: Call, path: ClientPath) -> DealList: ...

The handler's annotations are the contract: `path`, `query` and `body` name the models that
validate the request, the return annotation the model of the answer (None: 204). The OpenAPI
document is generated from the same declarations (api/openapi.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, ClassVar, TypeVar, get_type_hints

from aiohttp import web
from pydantic import BaseModel, ValidationError

from api.batch import Overloaded, Work
from api.context import ApiContext, ApiFiles
from api.problems import FieldError, ProblemError
from portal import api_tokens, idempotency
from portal.documents import MIB
from portal.model import ApiTokenRecord, Conflict, Invalid, NotFound, Refusal, StoredAnswer
from portal.ports import Notifier, UnitOfWork


class FileAnswer(BaseModel):
    """An answer that is a file, not JSON (an application's PDF): sent as its bytes, described
    in OpenAPI as a binary string of `media_type`."""

    media_type: ClassVar[str] = "application/octet-stream"
    data: bytes
    filename: str


log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[BaseModel | None]]
# An operation's requests of one batch at once: the calls, then each input as a list; each
# answered with its model or the refusal its handler would raise.
Together = Callable[..., Awaitable[Sequence[BaseModel | Refusal]]]
T = TypeVar("T", bound=Together)


@dataclass
class Call:
    """One request as a handler sees it."""

    context: ApiContext
    token: ApiTokenRecord
    request: web.Request
    now: datetime
    status: int | None = None  # a handler may change the success status (201 Created)
    remembered_as: tuple[str, str] | None = None  # its idempotency key and fingerprint
    _uow: UnitOfWork | None = None
    _notifier: Notifier | None = None

    @property
    def uow(self) -> UnitOfWork:
        assert self._uow is not None, "a transactional operation"
        return self._uow

    @property
    def notifier(self) -> Notifier:
        assert self._notifier is not None, "a transactional operation"
        return self._notifier

    @property
    def actor(self) -> str:
        """Who wrote, in the client's activity log."""
        return f"api:{self.token.name}"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    scope: str
    summary: str
    description: str
    tag: str
    status: int
    also: tuple[int, ...]  # other success statuses (200 beside 201 of an upsert)
    errors: tuple[int, ...]
    path_model: type[BaseModel] | None
    query_model: type[BaseModel] | None
    body_model: type[BaseModel] | None
    response_model: type[BaseModel] | None
    transactional: bool
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: bool = False  # the body carries files (base64): see `_room_for_files`
    together: Together | None = None  # see `Resource.together`

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def statuses(self) -> tuple[int, ...]:
        return (self.status, *self.also)

    @property
    def remembers(self) -> bool:
        """Takes an `Idempotency-Key` (portal/idempotency.py): a POST that writes. PUT and
        PATCH are idempotent by themselves."""
        return self.method == "POST" and self.transactional


@dataclass(frozen=True)
class Replayed:
    """A retry's answer: the one its idempotency key's first request was given."""

    answer: StoredAnswer


class Resource:
    def __init__(self, tag: str, description: str) -> None:
        self.tag = tag
        self.description = description
        self.operations: list[Operation] = []

    def operation(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        summary: str,
        status: int = 200,
        also: tuple[int, ...] = (),
        errors: tuple[int, ...] = (),
        transactional: bool = True,
        links: dict[str, dict[str, Any]] | None = None,
        files: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            hints = get_type_hints(handler)
            response = hints.get("return")
            self.operations.append(
                Operation(
                    method=method,
                    path=path,
                    handler=handler,
                    scope=scope,
                    summary=summary,
                    description=(handler.__doc__ or "").strip(),
                    tag=self.tag,
                    status=status,
                    also=also,
                    errors=errors,
                    path_model=hints.get("path"),
                    query_model=hints.get("query"),
                    body_model=hints.get("body"),
                    response_model=None if response is type(None) else response,
                    transactional=transactional,
                    links=links or {},
                    files=files,
                )
            )
            return handler

        return register

    def together(self, handler: Handler) -> Callable[[T], T]:
        """Declares how the requests of `handler`'s operation that share a batch run as one
        call (api/batch.py): `(calls, path=[…], body=[…])` with the same inputs as the
        handler's, as lists, answering a list in their order. It must do what the handler
        does for each: a request refused (404, 409, 422) is answered with its `Refusal`
        when nothing of it was written, and the others commit; when it raises, the batch is
        rolled back and each request runs again alone. The handler is then typically
        `return only_result(await together([call], path=[path], body=[body]))`."""

        def register(together: T) -> T:
            for index, operation in enumerate(self.operations):
                if operation.handler is handler:
                    self.operations[index] = replace(operation, together=together)
                    return together
            raise LookupError(f"{handler.__name__} is not an operation of {self.tag}")

        return register


def error_statuses(operation: Operation) -> list[int]:
    """Every error status the operation may answer, for its OpenAPI description."""
    statuses = {401, 403, 429, 503, *operation.errors}
    if operation.path_model or operation.query_model or operation.body_model:
        statuses.add(422)
    if operation.remembers:
        statuses.add(422)  # an idempotency key malformed, or used for another request
    if operation.body_model:
        statuses.update((400, 413))
    return sorted(statuses)


def endpoint(
    operation: Operation, context: ApiContext
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        secret = _bearer(request)
        now = context.clock()
        if operation.files:
            request = await _room_for_files(context, operation, request, secret)
        # Read before the transaction: a slow client must not hold it (SQLite's writer).
        raw_body = await request.read() if operation.body_model is not None else b""
        admit = partial(_admit, context, operation, request, raw_body, now)
        if operation.transactional:
            try:
                result, status = await context.batches.run(
                    Work(
                        key=request.path,
                        secret=secret,
                        now=now,
                        admit=admit,
                        execute=partial(_execute, operation),
                        group=operation.operation_id if operation.together else "",
                        together=operation.together and partial(_execute_together, operation),
                    )
                )
            except Overloaded as exc:
                raise ProblemError(
                    503,
                    "too many requests are waiting; try again later",
                    headers={"Retry-After": str(exc.retry_after)},
                ) from None
        else:
            async with context.slots, context.transaction() as (uow, _):
                token = await api_tokens.authenticate(uow=uow, secret=secret)
            try:
                call, inputs = await admit(token)
            finally:
                if token is not None and api_tokens.use_is_stale(token, now):
                    async with context.transaction() as (uow, _):
                        await api_tokens.record_use(uow=uow, token=token, now=now)
            result = await _run(operation, call, inputs)
            status = call.status
        status = status or operation.status
        if isinstance(result, Replayed):
            headers = {"Idempotent-Replayed": "true"}
            if not result.answer.body:
                return web.Response(status=status, headers=headers)
            return web.Response(
                text=result.answer.body,
                status=status,
                content_type="application/json",
                headers=headers,
            )
        if result is None:
            return web.Response(status=204 if status == 200 else status)
        if isinstance(result, FileAnswer):
            return web.Response(
                body=result.data,
                status=status,
                content_type=result.media_type,
                headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
            )
        return web.Response(
            text=result.model_dump_json(), status=status, content_type="application/json"
        )

    return handle


def _bearer(request: web.Request) -> str:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ProblemError(
            401, "send Authorization: Bearer <token>", headers={"WWW-Authenticate": "Bearer"}
        )
    return secret.strip()


Admitted = tuple[Call, dict[str, BaseModel]]


def body_limit(files: ApiFiles | None) -> int | None:
    """What a body that carries files may weigh: one file at the store's limit, base64,
    and room for the rest of the JSON; None without a file store (the server's 1 MiB)."""
    if files is None:
        return None
    return 4 * -(-files.rules.max_bytes // 3) + MIB


async def _room_for_files(
    context: ApiContext, operation: Operation, request: web.Request, secret: str
) -> web.Request:
    """The request, allowed a body as large as `body_limit`. Its token is checked first, so
    that only a token with the operation's scope can make the bot hold that much."""
    limit = body_limit(context.files)
    if limit is None:
        return request
    async with context.slots, context.transaction() as (uow, _):
        token = await api_tokens.authenticate(uow=uow, secret=secret)
    _check_token(operation, token)
    return request.clone(client_max_size=limit)


def _check_token(operation: Operation, token: ApiTokenRecord | None) -> ApiTokenRecord:
    if token is None:
        raise ProblemError(
            401,
            "unknown or revoked token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if operation.scope not in token.scopes:
        raise ProblemError(403, f"this operation needs the scope {operation.scope}")
    return token


async def _admit(
    context: ApiContext,
    operation: Operation,
    request: web.Request,
    raw_body: bytes,
    now: datetime,
    token: ApiTokenRecord | None,
) -> Admitted:
    """Whether the request may run: its token, scope, rate and inputs (no database)."""
    token = _check_token(operation, token)
    wait = await context.limiter.take(token.name)
    if wait > 0:
        raise ProblemError(
            429,
            "this token's rate limit is reached",
            headers={"Retry-After": str(max(1, int(wait + 0.999)))},
        )
    inputs = _inputs(operation, request, raw_body)
    call = Call(context=context, token=token, request=request, now=now)
    key = request.headers.get(idempotency.HEADER) if operation.remembers else None
    if key is not None:
        try:
            idempotency.check_key(key)
        except Invalid as exc:
            raise _header_problem(exc) from None
        asked = {name: model.model_dump(mode="json") for name, model in inputs.items()}
        call.remembered_as = key, idempotency.fingerprint({operation.operation_id: asked})
    return call, inputs


async def _execute(
    operation: Operation, admitted: Admitted, uow: UnitOfWork, notifier: Notifier
) -> tuple[BaseModel | Replayed | None, int | None]:
    call, inputs = admitted
    call._uow, call._notifier = uow, notifier
    if call.remembered_as is None:
        return await _run(operation, call, inputs), call.status
    key, fingerprint = call.remembered_as
    try:
        stored = await idempotency.claim(
            uow=uow, token_id=call.token.id, key=key, fingerprint=fingerprint, now=call.now
        )
    except Invalid as exc:
        raise _header_problem(exc) from None
    if stored is not None:
        return Replayed(stored), stored.status
    result = await _run(operation, call, inputs)
    status = call.status or operation.status
    if result is None and status == 200:
        status = 204  # as `endpoint` answers it
    body = "" if result is None else result.model_dump_json()
    await idempotency.remember(uow=uow, token_id=call.token.id, key=key, status=status, body=body)
    return result, call.status


async def _execute_together(
    operation: Operation, admitted: list[Admitted], uow: UnitOfWork, notifier: Notifier
) -> list[tuple[BaseModel | None, int | None] | ProblemError]:
    """Several requests of the operation in one call: each its answer or its problem. An
    error raised is left to the batch, which runs each request again alone (`_execute`)."""
    assert operation.together is not None
    calls = [call for call, _ in admitted]
    for call in calls:
        call._uow, call._notifier = uow, notifier
    inputs = {name: [each[name] for _, each in admitted] for name in admitted[0][1]}
    results = await operation.together(calls, **inputs)
    return [
        _problem(operation, result) if isinstance(result, Refusal) else (result, call.status)
        for result, call in zip(results, calls, strict=True)
    ]


def _inputs(operation: Operation, request: web.Request, raw_body: bytes) -> dict[str, BaseModel]:
    """The request validated by the operation's models: 422 with every reason otherwise."""
    inputs: dict[str, BaseModel] = {}
    errors: list[FieldError] = []
    sources: list[tuple[str, type[BaseModel] | None, Any]] = [
        ("path", operation.path_model, dict(request.match_info)),
        ("query", operation.query_model, {k: request.query.getone(k) for k in request.query}),
    ]
    for name, model, raw in sources:
        if model is None:
            continue
        try:
            inputs[name] = model.model_validate(raw)
        except ValidationError as exc:
            errors += _field_errors(name, exc)
    if operation.body_model is not None:
        try:
            inputs["body"] = operation.body_model.model_validate_json(raw_body or b"null")
        except ValidationError as exc:
            if any(e["type"] == "json_invalid" for e in exc.errors()):
                raise ProblemError(400, "the body is not JSON") from None
            errors += _field_errors("body", exc)
    if errors:
        raise ProblemError(422, "the request does not match the schema", errors=errors)
    return inputs


def _field_errors(source: str, exc: ValidationError) -> list[FieldError]:
    # `input` is left out: it may be a personal code.
    return [
        FieldError(location=[source, *error["loc"]], message=error["msg"])
        for error in exc.errors(include_url=False, include_input=False)
    ]


async def _run(operation: Operation, call: Call, inputs: dict[str, BaseModel]) -> BaseModel | None:
    try:
        return await operation.handler(call, **inputs)
    except Refusal as exc:
        raise _problem(operation, exc) from None


def _problem(operation: Operation, exc: Refusal) -> ProblemError:
    if isinstance(exc, NotFound):
        return ProblemError(404, f"{exc.what} not found")
    if isinstance(exc, Invalid):
        where = next(
            (
                name
                for name, model in (
                    ("path", operation.path_model),
                    ("query", operation.query_model),
                )
                if model is not None and exc.field in model.model_fields
            ),
            "body",
        )
        return ProblemError(
            422,
            "the request breaks a rule",
            errors=[FieldError(location=[where, exc.field], message=exc.detail)],
        )
    assert isinstance(exc, Conflict), exc  # the three kinds of refusal
    return ProblemError(409, exc.detail, code=exc.code, **_conflict_extra(exc))


def _header_problem(exc: Invalid) -> ProblemError:
    return ProblemError(
        422,
        "the request breaks a rule",
        errors=[FieldError(location=["header", exc.field], message=exc.detail)],
    )


def _conflict_extra(exc: Conflict) -> dict[str, Any]:
    user_id = getattr(exc, "user_id", None)
    return {} if user_id is None else {"user_id": user_id}
