"""The route table and the OpenAPI 3.1 document generated from it (D23: ``GET /docs/doc.json``).

Every route the sandbox serves is an :class:`Operation`: method, path, handler, parameters, body
and answer models (:mod:`.models`) and the error statuses it can give. :func:`starlette_routes`
turns the table into the app's routes and :func:`document` into the document, so the two cannot
disagree about what exists.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.models import JSON, NOTE, SCHEMAS, ref

Handler = Callable[[Request], Awaitable[Response]]

TITLE = "terralayr API (reconciler sandbox)"
VERSION = "1.11.3"  # the platform API version the sandbox emulates (API.md header)

ERROR_TEXT = {
    400: "invalid operation: a malformed request or a broken platform rule",
    401: "auth: missing, unknown or expired access token, or wrong credentials",
    404: "not found: no such object for this organisation (another organisation's objects are 404 too)",
    413: "invalid operation: the request body is larger than 1 MiB",
}
PLATFORM_FAULT = "error on the platform: only when a fault plan injects it (POST /_sandbox/faults)"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" | "query"
    schema: JSON
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    answer: JSON  # the 200 body
    params: tuple[Param, ...] = ()
    body: JSON | None = None
    errors: tuple[int, ...] = (400, 401, 404)
    secured: bool = True  # needs a Bearer token
    faults: bool = True  # the fault plan may answer it instead (platform routes, not admin ones)


def path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def starlette_routes(operations: Sequence[Operation]) -> list[Route]:
    """One route per path, dispatching on the method (HEAD is answered like GET)."""
    by_path: dict[str, dict[str, Handler]] = {}
    for op in operations:
        by_path.setdefault(op.path, {})[op.method] = op.handler
    routes = []
    for path, handlers in by_path.items():

        async def endpoint(request: Request, handlers: dict[str, Handler] = handlers) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            return await handlers[method](request)

        routes.append(Route(path, endpoint, methods=list(handlers)))
    return routes


def _responses(op: Operation) -> dict[str, Any]:
    error = {"application/json": {"schema": ref("Error")}}
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": op.answer}}}
    }
    for status in sorted({*op.errors, *((413,) if op.body is not None else ())}):
        responses[str(status)] = {"description": ERROR_TEXT[status], "content": error}
    if op.faults:
        responses["5XX"] = {"description": PLATFORM_FAULT, "content": error}
    return responses


def _operation(op: Operation) -> dict[str, Any]:
    described = {p.name for p in op.params}
    params = [p for p in op.params] + [
        Param(name, "path", {"type": "string"}, True)
        for name in path_params(op.path)
        if name not in described
    ]
    spec: dict[str, Any] = {
        "operationId": f"{op.method.lower()}{re.sub(r'[^A-Za-z0-9]+', '_', op.path)}",
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "schema": p.schema,
                **({"description": p.description} if p.description else {}),
            }
            for p in params
        ],
        "responses": _responses(op),
    }
    if op.body is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    if not op.secured:
        spec["security"] = []
    return spec


def document(operations: Sequence[Operation]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations``."""
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "The local LAYR platform sandbox of reconciler: API.md and DECISIONS.md D1–D23. "
            + NOTE
            + ".",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
