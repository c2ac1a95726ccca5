"""`http.handlers.file_server`: static files with Caddy's rules — index files, hide, canonical
URI redirects (308), precompressed sidecars, ETag/Last-Modified, conditional requests, ranges,
405 for methods other than GET/HEAD, browse listings, status override and pass_thru.

Symlinks are followed, also out of the root, as Caddy's default file system does; request paths
themselves can never climb above the root.
"""
from __future__ import annotations

import os
import stat
from typing import Any
from urllib.parse import parse_qs, unquote

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request
from caddy_py.modules.encode.handler import accepted_encodings

from . import browse
from .conditional import RangeError, check_preconditions, http_date, parse_http_date, parse_ranges
from .paths import absolute_hide_list, clean_url_path, content_type, file_hidden, sanitized_join
from .responses import redirect, write_multipart, write_range, write_whole

SUFFIXES = {"br": ".br", "gzip": ".gz", "zstd": ".zst"}


def calculate_etag(st: os.stat_result) -> str:
    if int(st.st_mtime) in (0, 1):
        return ""
    return f'"{_base36(st.st_mtime_ns)}-{_base36(st.st_size)}"'


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    out = ""
    neg = n < 0
    n = abs(n)
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return "-" + out if neg else out


def _add_headers(req: Request, items: list[tuple[str, str]]) -> None:
    """Headers for whatever response ends up written (also error responses). Added even when
    present, like Go's Header().Add: a file_server in handle_errors repeats Vary as Caddy does."""
    def apply(resp: web.StreamResponse) -> None:
        for k, v in items:
            resp.headers.add(k, v)
    req.on_prepare.append(apply)


@register("http.handlers.file_server")
class FileServer:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.root = str(cfg.get("root") or "{http.vars.root}")
        self.hide = [h if "{" in h or "/" not in h else os.path.abspath(h) for h in cfg.get("hide") or []]
        names = cfg.get("index_names")
        self.index_names: list[str] = ["index.html", "index.txt"] if names is None else list(names)
        self.browse: dict[str, Any] | None = cfg.get("browse")
        self.canonical_uris = cfg.get("canonical_uris", True) is not False
        self.status_code = cfg.get("status_code")
        self.pass_thru = bool(cfg.get("pass_thru"))
        self.precompressed = [k for k in (cfg.get("precompressed") or {}) if k in SUFFIXES]
        self.precompressed_order: list[str] = list(cfg.get("precompressed_order") or [])
        self.etag_exts: list[str] | None = cfg.get("etag_file_extensions")

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "FileServer":
        return cls(cfg)

    # ----------------------------------------------------------------------------------------
    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        repl = req.replacer
        hide = absolute_hide_list([repl.replace_all(h, "") for h in self.hide])
        root = repl.replace_all(self.root, ".") or "."
        url_path = _decoded(req.path)
        filename = sanitized_join(root, url_path)
        if filename.endswith("/") and len(filename) > 1:
            filename = filename.rstrip("/")
        try:
            st = os.stat(filename)
        except FileNotFoundError:
            return await self._not_found(req, next)
        except NotADirectoryError:
            return await self._not_found(req, next)
        except PermissionError as e:
            raise HandlerError(403, str(e)) from None
        except (OSError, ValueError) as e:
            raise HandlerError(400 if isinstance(e, ValueError) else 500, str(e)) from None

        implicit_index = False
        if stat.S_ISDIR(st.st_mode):
            for name in self.index_names:
                index_path = sanitized_join(filename, repl.replace_all(name, ""))
                if file_hidden(index_path, hide):
                    continue
                try:
                    st = os.stat(index_path)
                except OSError:
                    continue
                filename, implicit_index = index_path, True
                break

        if stat.S_ISDIR(st.st_mode):
            if self.browse is not None and not file_hidden(filename, hide):
                return await self._browse(req, next, root, filename, url_path, hide)
            return await self._not_found(req, next)
        if file_hidden(filename, hide):
            return await self._not_found(req, next)

        if self.canonical_uris:
            orig = _decoded(req.raw.raw_path.split("?", 1)[0])
            if _base(orig) == _base(url_path):
                if implicit_index and not orig.endswith("/"):
                    return redirect(req, orig + "/")
                if not implicit_index and orig.endswith("/"):
                    return redirect(req, orig[:-1])
        return await self._serve_file(req, filename, st)

    async def _not_found(self, req: Request, next: Next) -> web.StreamResponse:
        if self.pass_thru:
            return await next(req)
        raise HandlerError(404)

    def _status_override(self, req: Request) -> int:
        code = 0
        err = getattr(req, "error", None)
        if err is not None:
            code = getattr(err, "status", 0) or 500
        if self.status_code not in (None, ""):
            text = req.replacer.replace_all(str(self.status_code), "")
            try:
                code = int(text)
            except ValueError:
                raise HandlerError(500, f'strconv.Atoi: parsing "{text}": invalid syntax') from None
        return code

    async def _serve_file(self, req: Request, filename: str, st: os.stat_result) -> web.StreamResponse:
        headers: list[tuple[str, str]] = [("Vary", "Accept-Encoding")]
        serve_path, serve_st, encoding = filename, st, ""
        ws = bool(req.headers.get("Sec-WebSocket-Key"))
        for ae in accepted_encodings(req.headers.get("Accept-Encoding", ""), ws, self.precompressed_order):
            if ae not in self.precompressed:
                continue
            try:
                cst = os.stat(filename + SUFFIXES[ae])
            except OSError:
                continue
            if stat.S_ISDIR(cst.st_mode):
                continue
            serve_path, serve_st, encoding = filename + SUFFIXES[ae], cst, ae
            break
        etag = ""
        if self.etag_exts:
            etag = _etag_from_file(serve_path, self.etag_exts)
        if not etag:
            etag = calculate_etag(serve_st)
        try:
            fh = open(serve_path, "rb")
        except FileNotFoundError:
            raise HandlerError(404) from None
        except PermissionError as e:
            raise HandlerError(403, str(e)) from None
        except OSError as e:
            raise HandlerError(503, str(e)) from None
        with fh:
            if req.method not in ("GET", "HEAD") and getattr(req, "error", None) is None:
                _add_headers(req, headers + [("Allow", "GET, HEAD")])
                raise HandlerError(405)
            return await self._send(req, fh, filename, st, serve_st, etag, encoding, headers)

    async def _send(self, req: Request, fh: Any, filename: str, st: os.stat_result,
                    serve_st: os.stat_result, etag: str, encoding: str,
                    extra: list[tuple[str, str]]) -> web.StreamResponse:
        override = self._status_override(req)
        hdrs: list[tuple[str, str]] = list(extra)
        if encoding:
            hdrs.append(("Content-Encoding", encoding))
        if etag:
            hdrs.append(("ETag", etag))
        ctype = content_type(filename)
        mtime = st.st_mtime if int(st.st_mtime) not in (0, 1) else None
        if mtime is not None:
            hdrs.append(("Last-Modified", http_date(mtime)))
        size = serve_st.st_size
        outcome = check_preconditions(req.method, req.headers, etag, mtime)
        if outcome.status == 304:
            hdrs = [(k, v) for k, v in hdrs if k not in ("Content-Encoding",) and
                    not (k == "Last-Modified" and etag)]
            return await write_whole(req, override or 304, hdrs, b"", no_type=True)
        if outcome.status == 412:
            return await write_whole(req, override or 412, hdrs, b"", no_type=True)
        range_header = req.headers.get("Range", "") if outcome.use_range else ""
        try:
            ranges = parse_ranges(range_header, size)
        except RangeError as e:
            # Go's serveError: success-only headers do not belong on the error
            hdrs = [(k, v) for k, v in hdrs
                    if k not in ("Cache-Control", "Content-Encoding", "ETag", "Last-Modified")]
            if e.no_overlap:
                hdrs.append(("Content-Range", f"bytes */{size}"))
            body = (str(e) + "\n").encode()
            return await write_whole(req, override or 416, hdrs + [("Content-Type", "text/plain; charset=utf-8"),
                                                               ("X-Content-Type-Options", "nosniff")], body)
        if sum(n for _, n in ranges) > size:
            ranges = []
        hdrs.append(("Accept-Ranges", "bytes"))
        if ctype:
            hdrs.append(("Content-Type", ctype))
        if len(ranges) == 1:
            start, length = ranges[0]
            hdrs.append(("Content-Range", f"bytes {start}-{start + length - 1}/{size}"))
            hdrs.append(("Content-Length", str(length)))
            return await write_range(req, override or 206, hdrs, fh, start, length, no_type=not ctype)
        if len(ranges) > 1:
            return await write_multipart(req, override or 206, hdrs, fh, ranges, size, ctype)
        hdrs.append(("Content-Length", str(size)))
        return await write_range(req, override or 200, hdrs, fh, 0, size, no_type=not ctype)

    async def _browse(self, req: Request, next: Next, root: str, dirname: str, url_path: str,
                      hide: list[str]) -> web.StreamResponse:
        orig = _decoded(req.raw.raw_path.split("?", 1)[0])
        if url_path == "" or _base(orig) == _base(url_path):
            if not orig.endswith("/"):
                return redirect(req, orig + "/")
        try:
            listing = browse.load(dirname, root, clean_url_path(req.path), hide,
                                  int(self.browse.get("file_limit") or 10000) if self.browse else 10000)
        except PermissionError as e:
            raise HandlerError(403, str(e)) from None
        except FileNotFoundError:
            return await self._not_found(req, next)
        except OSError as e:
            raise HandlerError(500, str(e)) from None
        hdrs = [("Vary", "Accept, Accept-Encoding")]
        ims = req.headers.get("If-Modified-Since")
        if ims:
            t = parse_http_date(ims)
            if t is not None and int(listing.last_modified) <= t:
                return await write_whole(req, 304, hdrs, b"", no_type=True)
        sort, order = self._sort_params(req, hdrs)
        browse.sort_items(listing.items, sort, order)
        q = parse_qs(req.raw_query)
        _offset_limit(listing, q)
        hdrs.append(("Last-Modified", http_date(listing.last_modified)))
        accept = ",".join(req.headers.getall("Accept", [])).lower()
        if "application/json" in accept:
            body, ctype = browse.render_json(listing), "application/json; charset=utf-8"
        elif "text/plain" in accept:
            body, ctype = browse.render_text(listing), "text/plain; charset=utf-8"
        else:
            body, ctype = browse.render_html(listing), "text/html; charset=utf-8"
        return await write_whole(req, self._status_override(req) or 200, hdrs + [("Content-Type", ctype)], body)

    def _sort_params(self, req: Request, hdrs: list[tuple[str, str]]) -> tuple[str, str]:
        sort = order = ""
        for opt in (self.browse or {}).get("sort") or []:
            if opt in browse.SORTS:
                sort = opt
            elif opt in ("asc", "desc"):
                order = opt
        q = parse_qs(req.raw_query)
        cookies = _cookies(req.headers.get("Cookie", ""))
        if q.get("sort", [""])[0]:
            sort = q["sort"][0]
        if q.get("order", [""])[0]:
            order = q["order"][0]
        secure = "; Secure" if req.scheme == "https" else ""
        if not sort:
            sort = cookies.get("sort", "namedirfirst")
        elif sort in browse.SORTS:
            hdrs.append(("Set-Cookie", f"sort={sort}; HttpOnly{secure}; SameSite=Lax"))
        if not order:
            order = cookies.get("order", "asc")
        elif order in ("asc", "desc"):
            hdrs.append(("Set-Cookie", f"order={order}; HttpOnly{secure}; SameSite=Lax"))
        return sort, order


def _offset_limit(listing: browse.Listing, q: dict[str, list[str]]) -> None:
    try:
        off = int(q.get("offset", ["0"])[0] or 0)
    except ValueError:
        off = 0
    if 0 < off <= len(listing.items):
        listing.items = listing.items[off:]
    try:
        lim = int(q.get("limit", ["0"])[0] or 0)
    except ValueError:
        lim = 0
    if 0 < lim <= len(listing.items):
        listing.items = listing.items[:lim]


def _cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        k, sep, v = part.strip().partition("=")
        if sep:
            out.setdefault(k, v)
    return out


def _decoded(path: str) -> str:
    return unquote(path) if "%" in path else path


def _base(p: str) -> str:
    """Go's path.Base."""
    p = p.rstrip("/")
    if not p:
        return "/"
    return p.rsplit("/", 1)[-1]


def _etag_from_file(path: str, exts: list[str]) -> str:
    for ext in exts:
        try:
            with open(path + ext, "rb") as f:
                return f.read(1 << 16).decode("utf-8", "replace").strip()
        except OSError:
            continue
    return ""
