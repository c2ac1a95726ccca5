"""What a transport's round trip produces: status, headers and a body to stream."""
from __future__ import annotations

from typing import Any, AsyncIterator

from multidict import CIMultiDict

from .upgrade import RawResponse


class UpstreamResponse:
    """What the round trip produced: status, headers, and a body to stream."""

    def __init__(self, status: int, reason: str, version: str, headers: CIMultiDict[str],
                 body: AsyncIterator[bytes], close: Any, raw: RawResponse | None = None) -> None:
        self.status, self.reason, self.version, self.headers = status, reason, version, headers
        self.body, self._close, self.raw = body, close, raw
        self.finalized = False
        self.start = 0.0

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None
