"""One vendor's HTTP conversation, the same for every provider client: a request with bounded retries of
transient failures (429, 5xx, network, timeouts), `retry-after` honoured up to a cap, a deadline from
send to last byte, bounded reads, no redirects, and errors worded for people with the vendor's name.

A provider client gives its vendor's name, headers or auth, its 401/403 sentences and how to word a
malformed answer or a rejection; `VendorHttp.request` gives back the body of a 2xx answer or raises
`ProviderError` (`ProviderRetriableError` when a later attempt may succeed). The secret it sends is
in no message: vendor text that echoes it is redacted.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import httpx
import msgspec

from orgonaut.ai_tooling.providers.base import ErrorKind, ProviderError, ProviderRetriableError
from orgonaut.ai_tooling.providers.http import (
    RETRIABLE_STATUSES,
    ResponseTooLarge,
    RetryPolicy,
    parse_retry_after,
    read_limited,
    ssl_context,
    user_agent,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The longest one request may take from sending to the body's last byte (each read has its own 30 s).
REQUEST_DEADLINE_SECONDS = 120.0
MAX_ERROR_BODY_BYTES = 64 * 1024
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# Printable ASCII without spaces: anything else cannot travel in a header, and httpx's error for an
# illegal header value would quote the value.
HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


class Transient(ProviderRetriableError):
    """One attempt failed in a way another attempt may not; its text is the short detail ("HTTP 503")
    that the request loop words for people once the retries run out."""


@dataclasses.dataclass(frozen=True)
class VendorWording:
    """What a vendor's failures are called. `name` reads after "The" ("Anthropic API")."""

    name: str
    invalid_key: str  # the 401 sentence
    missing_permission: str  # the 403 sentence
    # (status, body) -> the sentence for another 4xx, from the vendor's error body
    rejection: Callable[[int, bytes], str]
    # (where, problem) -> the sentence for an answer without the documented shape
    malformed: Callable[[str | None, str], str]
    request_id_header: str = "request-id"
    # (status, body, headers) -> the error for a non-2xx answer the vendor words its own way (GitHub's
    # 403 is a missing permission, a disabled policy or a rate limit); None: the usual mapping. A
    # `Transient` it returns is retried like a 429.
    refusal: Callable[[int, bytes, httpx.Headers], ProviderError | None] | None = None


_T = TypeVar("_T")


def decode(body: bytes, shape: type[_T]) -> _T:
    """A vendor's JSON answer decoded strictly into `shape`; ValueError saying what is wrong (never the body)."""
    try:
        return msgspec.json.decode(body, type=shape)
    except msgspec.ValidationError as error:
        raise ValueError(str(error)) from None
    except msgspec.DecodeError:
        raise ValueError("the body is not JSON") from None
    except RecursionError:  # nested deeper than a decoder goes: no answer an API sends
        raise ValueError("the JSON is nested too deeply") from None


class Pacer(Protocol):
    """A rate limit shared by every worker calling one vendor account (`ratelimit.TokenBucket`)."""

    def take(self, max_wait: float = ...) -> float: ...


class VendorHttp:
    """A vendor's base URL, credentials and wording, and its request loop (see the module docstring)."""

    def __init__(
        self, *, api_base: str, wording: VendorWording, secret: str, headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None, timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None, request_deadline: float = REQUEST_DEADLINE_SECONDS,
        max_response_bytes: int = 16 * 1024 * 1024, sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random, pacer: Pacer | None = None,
    ):
        self.api_base = normalise_api_base(api_base)
        self.wording = wording
        self.__secret = secret
        self._headers = {"user-agent": user_agent(), "accept": "application/json", **(headers or {})}
        self._auth = auth
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry or RetryPolicy()
        self._request_deadline = request_deadline
        self._max_response_bytes = max_response_bytes
        self._sleep = sleep
        self._jitter = jitter
        self._pacer = pacer  # taken before every attempt, retries included: each is a request the vendor counts

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.api_base, headers=self._headers, auth=self._auth, timeout=self._timeout,
            follow_redirects=False,  # a redirect could carry the credentials to another host
            verify=ssl_context(),
        )

    def request(self, client: httpx.Client, method: str, path: str, *, params: Mapping[str, str] | None = None,
                json: Any = None, where: str | None = None) -> tuple[bytes, str | None]:
        """The body of a 2xx answer and its request id, after bounded retries of transient failures."""
        retry = 0
        while True:
            if self._pacer is not None:
                self._pacer.take()
            try:
                return self._attempt(client, method, path, params, json, where)
            except Transient as failure:
                wait = self._wait_before_retry(failure, retry)
                if isinstance(wait, ProviderRetriableError):
                    raise wait from None  # the chain would only repeat the message
                logger.warning("%s %s on %s; retry %d of %d in %.2f s", self.wording.name, str(failure), path,
                               retry + 1, self.retry.max_retries, wait)
                self._sleep(wait)
                retry += 1

    def malformed(self, where: str | None, problem: str, request_id: str | None) -> ProviderError:
        return ProviderError(ErrorKind.malformed, self.safe(self.wording.malformed(where, problem)),
                             request_id=request_id)

    def safe(self, text: str) -> str:
        """Vendor text may echo what we sent; the secret never leaves in a message."""
        return text.replace(self.__secret, "[redacted]")

    def _wait_before_retry(self, failure: Transient, retry: int) -> float | ProviderRetriableError:
        """Seconds to wait before the next attempt, or the error to raise when there is none."""
        name, attempts = self.wording.name, retry + 1
        if failure.retry_after is not None and failure.retry_after > self.retry.max_retry_after:
            return ProviderRetriableError(
                failure.kind,
                f"The {name} asked to wait {failure.retry_after:.0f} s before the next request "
                f"(HTTP {failure.status}): try again later.",
                status=failure.status, request_id=failure.request_id, retry_after=failure.retry_after,
            )
        if retry >= self.retry.max_retries:
            if failure.kind is ErrorKind.rate_limited:
                message = (f"The {name} is rate limiting requests ({str(failure)}, {attempts} attempts): "
                           "try again later.")
            else:
                message = f"Could not reach the {name} ({str(failure)}, {attempts} attempts): try again later."
            return ProviderRetriableError(failure.kind, message, status=failure.status,
                                          request_id=failure.request_id, retry_after=failure.retry_after)
        if failure.retry_after is not None:
            return failure.retry_after
        return self.retry.backoff(retry, self._jitter())

    def _attempt(self, client: httpx.Client, method: str, path: str, params: Mapping[str, str] | None, json: Any,
                 where: str | None) -> tuple[bytes, str | None]:
        deadline = time.monotonic() + self._request_deadline
        request_id: str | None = None
        try:
            with client.stream(method, path, params=params, json=json) as response:
                request_id = header(response, self.wording.request_id_header)
                status = response.status_code
                if 200 <= status < 300:
                    body = read_limited(response, self._max_response_bytes, deadline)
                else:
                    try:
                        body = read_limited(response, MAX_ERROR_BODY_BYTES, deadline)
                    except ResponseTooLarge:
                        body = b""
        except ResponseTooLarge:
            raise self.malformed(where, f"the response is larger than {self._max_response_bytes // 2**20} MiB",
                                 request_id) from None
        except httpx.TimeoutException:
            raise Transient(ErrorKind.unavailable, "timed out") from None
        except httpx.TransportError as error:
            raise Transient(ErrorKind.unavailable, f"connection failed: {type(error).__name__}") from None
        except httpx.DecodingError:
            raise self.malformed(where, "the body could not be decoded", request_id) from None

        if 200 <= status < 300:
            return body, request_id
        refused = self.wording.refusal(status, body, response.headers) if self.wording.refusal else None
        if refused is not None:
            raise type(refused)(refused.kind, self.safe(str(refused)), status=status, request_id=request_id,
                                retry_after=refused.retry_after)
        if status == 401:
            raise ProviderError(ErrorKind.invalid_key, self.wording.invalid_key, status=status, request_id=request_id)
        if status == 403:
            raise ProviderError(ErrorKind.missing_permission, self.wording.missing_permission, status=status,
                                request_id=request_id)
        if status in RETRIABLE_STATUSES:
            kind = ErrorKind.rate_limited if status == 429 else ErrorKind.unavailable
            raise Transient(kind, f"HTTP {status}", status=status, request_id=request_id,
                            retry_after=parse_retry_after(header(response, "retry-after")))
        if 300 <= status < 400:
            raise ProviderError(
                ErrorKind.unavailable,
                f"The {self.wording.name} answered with a redirect (HTTP {status}), which is not followed: "
                "check the API base URL.",
                status=status, request_id=request_id,
            )
        raise ProviderError(ErrorKind.bad_request, self.safe(self.wording.rejection(status, body)), status=status,
                            request_id=request_id)


def normalise_api_base(value: str) -> str:
    """An http(s) origin (with an optional path prefix), without credentials, query or trailing slash."""
    try:
        url = httpx.URL(value.strip())
    except (httpx.InvalidURL, TypeError):
        raise ValueError("The API base must be an http(s) URL.") from None
    if url.scheme not in ("http", "https") or not url.host or url.userinfo or url.query or url.fragment:
        raise ValueError("The API base must be an http(s) URL without credentials, query or fragment.")
    return str(url).rstrip("/")


def header(response: httpx.Response, name: str) -> str | None:
    value = response.headers.get(name)
    return CONTROL.sub("", value)[:200] if value is not None else None
