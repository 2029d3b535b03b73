"""One JSON envelope for every error: `{"error": {"code": "...", "message": "...", "param": ...}}`.

`param` names the request parameter at fault (422) and is null otherwise. Domain errors from the
services map to statuses here; nothing else decides a status code. A 5xx never carries exception text.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from orgonaut.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited, ReadOnlyScope, ValidationFailed
from orgonaut.tenancy.tokens import TokenRejected

log = logging.getLogger(__name__)

REALM = 'Bearer realm="orgonaut"'


class ErrorDetail(BaseModel):
    code: str
    message: str
    param: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An error the API answers with as it is: status, code, message and the parameter at fault."""

    def __init__(
        self, status: int, code: str, message: str, *, param: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers


def bad_param(param: str, message: str) -> ApiError:
    return ApiError(422, "invalid_parameter", message, param=param)


def unauthorized(message: str, *, token_sent: bool) -> ApiError:
    # RFC 6750: a request without credentials gets the bare challenge; a bad token says invalid_token.
    challenge = f'{REALM}, error="invalid_token"' if token_sent else REALM
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def _domain_status(error: DomainError) -> int:
    if isinstance(error, TokenRejected):
        return 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, ValidationFailed):
        return 422
    if isinstance(error, (Conflict, ReadOnlyScope)):
        return 409
    if isinstance(error, RateLimited):
        return 429
    return 400


def envelope(status: int, code: str, message: str, *, param: str | None = None,
             headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, param=param))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _param_of(location: tuple[Any, ...]) -> str | None:
    # ("query", "limit") -> "limit"; ("path", "id") -> "id"; ("body", "amount_usd") -> "amount_usd".
    named = location and location[0] in {"query", "path", "header", "body"}
    parts = [str(part) for part in location[1:]] if named else []
    return ".".join(parts) or None


async def _api_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return envelope(error.status, error.code, error.message, param=error.param, headers=error.headers)


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = _domain_status(error)
    headers = {"WWW-Authenticate": f'{REALM}, error="invalid_token"'} if status == 401 else None
    return envelope(status, error.code, str(error), headers=headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "The request is not valid."}
    param = _param_of(tuple(first.get("loc", ())))
    message = str(first.get("msg", "The request is not valid."))
    if param:
        message = f"{param}: {message}"
    return envelope(422, "invalid_parameter", message, param=param)


BODY_NOT_JSON = "There was an error parsing the body"


def _allowed_methods(request: Request) -> str:
    """Every method the path answers: Starlette's own 405 names only the first route's (GET, where the same
    path also has PUT and DELETE routes). Asked of the router per method, as a request would be routed."""
    routes = request.app.router.routes
    allowed = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)]
    return ", ".join(allowed)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404:
        return envelope(404, "not_found", f"There is no endpoint {request.url.path}. The API is described at "
                                          "/api/v1/docs.")
    if error.status_code == 400 and error.detail == BODY_NOT_JSON:  # FastAPI's word for an unreadable body
        return envelope(422, "invalid_parameter", "body: the request body is not valid JSON.", param="body")
    if error.status_code == 405:
        allowed = _allowed_methods(request)
        return envelope(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}.",
                        headers={"Allow": allowed} if allowed else error.headers)
    detail = error.detail if isinstance(error.detail, str) else "The request could not be handled."
    return envelope(error.status_code, "http_error", detail, headers=error.headers)


async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error in the REST API", exc_info=error)
    return envelope(500, "internal_error", "Something went wrong on our side. Try again; if it keeps happening, "
                                           "tell your Orgonaut administrator.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


# The error responses every operation documents, so the OpenAPI document lists what can happen.
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "Missing, malformed, unknown, expired or revoked token, or a deactivated user.",
        403: "The token lacks the ability, the tenant's plan lacks the feature, or X-Tenant names another tenant.",
        404: "No such id in this tenant and scope.",
        422: "A parameter is not valid; `error.param` names it.",
        502: "The vendor's API did not answer as it should; `error.message` says how.",
    }
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorResponse, "description": descriptions[status]}
        if status == 401:
            entry["headers"] = {
                "WWW-Authenticate": {"description": "The Bearer challenge (RFC 6750).", "schema": {"type": "string"}}
            }
        responses[status] = entry
    return responses
