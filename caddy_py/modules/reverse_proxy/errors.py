"""How proxying errors map to statuses and retries (Caddy's statusError and tryAgain rules)."""
from __future__ import annotations

import asyncio
import os

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


class WriteTimeout(TimeoutError):
    """A write to the upstream outlasted the transport's write_timeout."""


class BodyTooLarge(Exception):
    """The client's body exceeded request_body max_size while we streamed it upstream."""


def _os_reason(exc: BaseException) -> str:
    """The tail of a Go net error: "connect: connection refused", "i/o timeout", ..."""
    err = getattr(exc, "os_error", None) or exc
    if isinstance(err, OSError) and err.errno is not None:
        return "connect: " + os.strerror(err.errno).lower()
    return str(err) or type(err).__name__


def classify(exc: BaseException, *, connecting: bool, address: str = "") -> ProxyError:
    """Turn a transport exception into a ProxyError with Go-like wording."""
    if isinstance(exc, ProxyError):
        return exc
    where = f"dial tcp {address}" if address else "dial tcp"
    is_timeout = isinstance(exc, (asyncio.TimeoutError, TimeoutError))
    if isinstance(exc, aiohttp.ConnectionTimeoutError) or (connecting and is_timeout):
        # Caddy wraps dial errors in its DialError, which is no net.Error: 502, not 504
        return ProxyError(f"{where}: i/o timeout", dial=True)
    if isinstance(exc, aiohttp.ClientConnectorError) or (connecting and isinstance(exc, OSError)):
        return ProxyError(f"{where}: {_os_reason(exc)}", dial=True)
    if isinstance(exc, WriteTimeout):
        return ProxyError(f"write tcp {address}: i/o timeout", timeout=True)
    if isinstance(exc, aiohttp.ServerTimeoutError):  # read_timeout
        return ProxyError(f"read tcp {address}: i/o timeout", timeout=True)
    if is_timeout:
        return ProxyError("net/http: timeout awaiting response headers", timeout=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return ProxyError("EOF")
    return ProxyError(str(exc) or type(exc).__name__)
