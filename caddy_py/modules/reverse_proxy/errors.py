"""How proxying errors map to statuses and retries (Caddy's statusError and tryAgain rules)."""
from __future__ import annotations

import asyncio

import aiohttp


class ProxyError(Exception):
    """A failed attempt. `dial`: no connection was made (always retryable);
    `timeout`: maps to 504 instead of 502; `retryable_response`: matched retry_match."""

    def __init__(self, message: str, *, dial: bool = False, timeout: bool = False,
                 status: int = 0, retryable_response: bool = False, no_upstream: bool = False) -> None:
        super().__init__(message)
        self.dial = dial
        self.timeout = timeout
        self.retryable_response = retryable_response
        self.no_upstream = no_upstream
        self._status = status

    @property
    def status(self) -> int:
        if self._status:
            return self._status
        return 504 if self.timeout else 502


class BodyTooLarge(Exception):
    """The client's body exceeded request_body max_size while we streamed it upstream."""


def classify(exc: BaseException, *, connecting: bool) -> ProxyError:
    """Turn a transport exception into a ProxyError."""
    if isinstance(exc, ProxyError):
        return exc
    is_timeout = isinstance(exc, (asyncio.TimeoutError, TimeoutError))
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ProxyError(f"dial tcp: i/o timeout: {exc}", dial=True, timeout=True)
    if isinstance(exc, aiohttp.ClientConnectorError) or (connecting and isinstance(exc, OSError)):
        return ProxyError(f"dial tcp: {exc}", dial=True)
    if connecting and is_timeout:
        return ProxyError("dial tcp: i/o timeout", dial=True, timeout=True)
    if is_timeout:
        return ProxyError("net/http: timeout awaiting response headers", timeout=True)
    return ProxyError(str(exc) or type(exc).__name__)
