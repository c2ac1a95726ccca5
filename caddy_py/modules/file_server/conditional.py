"""HTTP conditional and range handling for static content (Go's http.ServeContent rules):
If-Match / If-Unmodified-Since (412), If-None-Match / If-Modified-Since (304), If-Range, and
byte ranges (206, multipart/byteranges for several, 416 when none overlap)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

from multidict import CIMultiDict


def http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(ts), timezone.utc), usegmt=True)


def parse_http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _etags(header: str) -> list[str]:
    out, s = [], header.strip()
    while s:
        s = s.lstrip(" ,\t")
        if not s:
            break
        if s.startswith("*"):
            out.append("*")
            s = s[1:]
            continue
        weak = s.startswith("W/")
        body = s[2:] if weak else s
        if not body.startswith('"'):
            break
        end = body.find('"', 1)
        if end < 0:
            break
        out.append(("W/" if weak else "") + body[: end + 1])
        s = body[end + 1:]
    return out


def _strong_eq(a: str, b: str) -> bool:
    return a == b and not a.startswith("W/") and a != ""


def _weak_eq(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/") and a != ""


@dataclass
class Outcome:
    status: int  # 0 = go on and serve; 304 / 412 otherwise
    use_range: bool = True


def check_preconditions(method: str, req: CIMultiDict[str], etag: str, mtime: float | None) -> Outcome:
    im = req.get("If-Match")
    if im is not None:
        tags = _etags(im)
        if not any(t == "*" or _strong_eq(t, etag) for t in tags):
            return Outcome(412)
    elif (ius := req.get("If-Unmodified-Since")) and mtime is not None:
        t = parse_http_date(ius)
        if t is not None and int(mtime) > t:
            return Outcome(412)
    inm = req.get("If-None-Match")
    if inm is not None:
        if any(t == "*" or _weak_eq(t, etag) for t in _etags(inm)):
            return Outcome(304 if method in ("GET", "HEAD") else 412)
    elif method in ("GET", "HEAD") and (ims := req.get("If-Modified-Since")) and mtime is not None:
        t = parse_http_date(ims)
        if t is not None and int(mtime) <= t:
            return Outcome(304)
    use_range = True
    if (ir := req.get("If-Range")) is not None and req.get("Range"):
        if ir.startswith('"') or ir.startswith("W/"):
            use_range = _strong_eq(ir, etag)
        else:
            t = parse_http_date(ir)
            use_range = t is not None and mtime is not None and int(mtime) == t
    return Outcome(0, use_range)


class RangeError(ValueError):
    def __init__(self, msg: str, no_overlap: bool = False) -> None:
        super().__init__(msg)
        self.no_overlap = no_overlap


def parse_ranges(header: str, size: int) -> list[tuple[int, int]]:
    """(start, length) pairs; raises RangeError like Go's parseRange."""
    if not header:
        return []
    if not header.startswith("bytes="):
        raise RangeError("invalid range")
    out: list[tuple[int, int]] = []
    no_overlap = False
    for part in header[6:].split(","):
        part = part.strip(" \t")
        if not part:
            continue
        start_s, sep, end_s = part.partition("-")
        if not sep:
            raise RangeError("invalid range")
        start_s, end_s = start_s.strip(" \t"), end_s.strip(" \t")
        if start_s == "":
            if end_s == "" or not end_s.isdigit():
                raise RangeError("invalid range")
            n = int(end_s)
            if n == 0:
                no_overlap = True
                continue
            n = min(n, size)
            out.append((size - n, n))
            continue
        if not start_s.isdigit():
            raise RangeError("invalid range")
        start = int(start_s)
        if start >= size:
            no_overlap = True
            continue
        if end_s == "":
            out.append((start, size - start))
            continue
        if not end_s.isdigit() or int(end_s) < start:
            raise RangeError("invalid range")
        end = min(int(end_s), size - 1)
        out.append((start, end - start + 1))
    if no_overlap and not out:
        raise RangeError("invalid range: failed to overlap", no_overlap=True)
    return out
