"""The data and functions Caddy's templates see (`TemplateContext`): `.Req`, `.OriginalReq`,
`.Host`, `.RemoteIP`, `.ClientIP`, `.Cookie`, `.Args`, `.RespHeader`, Caddy's functions
(include, import, readFile, listFiles, fileExists, fileStat, placeholder/ph, env, stripHTML,
httpError, pathEscape, humanize "size", markdown, splitFrontMatter, httpInclude) and a set of
the most used sprig functions. `humanize "time"` and `maybe` are not available (calling them is
an error).

`httpInclude` serves a virtual request on the event loop while the template renders: the
handler renders such templates in a worker thread (`loop` is then the server's loop).
"""
from __future__ import annotations

import asyncio
import math
import os
import posixpath
import stat
from http.cookies import SimpleCookie
from typing import Any, Callable

from multidict import CIMultiDict

from caddy_py.http.handler import HandlerError
from caddy_py.logs.encoders import format_go_layout
from caddy_py.modules.rewrite import gourl
from caddy_py.modules.templates.gofmt import go_value
from caddy_py.modules.templates.frontmatter import split_front_matter
from caddy_py.modules.templates.gotemplate import Template, TemplateError, truth
from caddy_py.modules.templates.sprig import SPRIG

INCLUDE_HEADER = "Caddy-Templates-Include"
MAX_INCLUDE_DEPTH = 3


class HeaderView:
    def __init__(self, headers: Any) -> None:
        self._h = headers

    def Get(self, name: str) -> str:  # noqa: N802 - Go's method names
        return self._h.get(name, "")

    def Values(self, name: str) -> list[str]:  # noqa: N802
        return list(self._h.getall(name, []))

    def go_string(self) -> str:
        groups: dict[str, list[str]] = {}
        for k, v in self._h.items():
            groups.setdefault(k, []).append(v)
        return go_value(groups)


class QueryView(dict):
    def Get(self, name: str) -> str:  # noqa: N802
        vals = self.get(name) or []
        return vals[0] if vals else ""


class URLView:
    def __init__(self, escaped_path: str, raw_query: str) -> None:
        try:
            self.Path = gourl.unescape(escaped_path)
        except ValueError:
            self.Path = escaped_path
        self.RawPath = escaped_path if escaped_path != gourl.escape_path(self.Path) else ""
        self.RawQuery = raw_query
        self.Fragment = ""
        self.Scheme = ""
        self.Host = ""

    def Query(self) -> QueryView:  # noqa: N802
        return QueryView(gourl.parse_query(self.RawQuery))

    def EscapedPath(self) -> str:  # noqa: N802
        return gourl.escaped_path(self.Path, self.RawPath)

    def RequestURI(self) -> str:  # noqa: N802
        return (self.EscapedPath() or "/") + ("?" + self.RawQuery if self.RawQuery else "")

    def String(self) -> str:  # noqa: N802
        return self.RequestURI()

    go_string = String


class RequestView:
    """The parts of Go's *http.Request templates use."""

    def __init__(self, method: str, path: str, raw_query: str, host: str, headers: Any, remote: str,
                 proto: str) -> None:
        self.Method = method
        self.URL = URLView(path, raw_query)
        self.Host = host
        self.Header = HeaderView(headers)
        self.RemoteAddr = remote
        self.Proto = proto
        self.RequestURI = self.URL.RequestURI()


class RespHeaderView:
    def __init__(self, headers: CIMultiDict[str]) -> None:
        self._h = headers

    def Add(self, field: str, val: str) -> str:  # noqa: N802
        self._h.add(field, val)
        return ""

    def Set(self, field: str, val: str) -> str:  # noqa: N802
        self._h[field] = val
        return ""

    def Del(self, field: str) -> str:  # noqa: N802
        self._h.popall(field, None)
        return ""


def strip_html(s: str) -> str:
    """Caddy's stripHTML: drop everything inside tags, honouring quotes within them."""
    out = []
    depth = 0
    quote = ""
    for ch in s:
        if depth > 0 and not quote and ch in "\"'":
            quote = ch
        elif depth > 0 and ch == quote:
            quote = ""
        elif ch == "<" and not quote:
            depth += 1
        elif ch == ">" and not quote:
            if depth > 0:
                depth -= 1
            else:
                out.append(ch)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


class GoTime:
    """Enough of Go's time.Time for templates: Format(layout), Unix(), String()."""

    def __init__(self, ts: float) -> None:
        self._ts = ts

    def Format(self, layout: str) -> str:  # noqa: N802
        return format_go_layout(self._ts, layout, local=True)

    def Unix(self) -> int:  # noqa: N802
        return int(self._ts)

    def String(self) -> str:  # noqa: N802
        return format_go_layout(self._ts, "2006-01-02 15:04:05.000000000 -0700 MST", local=True)

    go_string = String


class FileInfo:
    """Go's fs.FileInfo from os.stat."""

    def __init__(self, name: str, st: os.stat_result) -> None:
        self._name, self._st = name, st

    def Name(self) -> str:  # noqa: N802
        return self._name

    def Size(self) -> int:  # noqa: N802
        return self._st.st_size

    def IsDir(self) -> bool:  # noqa: N802
        return stat.S_ISDIR(self._st.st_mode)

    def ModTime(self) -> GoTime:  # noqa: N802
        return GoTime(self._st.st_mtime)


def humanize_bytes(n: int) -> str:
    """go-humanize's Bytes: SI units, one decimal below 10 (`2.0 kB`, `15 MB`)."""
    if n < 10:
        return f"{n} B"
    units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    e = min(int(math.floor(math.log(n) / math.log(1000))), len(units) - 1)
    val = math.floor(n / 1000 ** e * 10 + 0.5) / 10
    return f"{val:.1f} {units[e]}" if val < 10 else f"{val:.0f} {units[e]}"


def _humanize(kind: str, data: str) -> str:
    if kind == "size":
        try:
            return humanize_bytes(int(data))
        except ValueError:
            raise TemplateError(f'strconv.ParseUint: parsing "{data}": invalid syntax') from None
    raise TemplateError(f"humanize {kind} is not supported by caddy-py")


def _markdown(text: Any) -> str:
    from caddy_py.modules.templates.markdown import render  # markdown-it and pygments load on first use

    return render(text if isinstance(text, str) else go_value(text))


def _unsupported(name: str) -> Callable[..., Any]:
    def fn(*_a: Any) -> Any:
        raise TemplateError(f"{name} is not supported by caddy-py")
    return fn


class TemplateContext:
    def __init__(self, req: Any, root: str | None, resp_headers: CIMultiDict[str],
                 delims: tuple[str, str], loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._req = req
        self._loop = loop
        self._root = root
        self._delims = delims
        raw = req.raw
        proto = f"HTTP/{raw.version.major}.{raw.version.minor}"
        self.Req = RequestView(req.method, req.path, req.raw_query, req.host, req.headers, req.remote_addr, proto)
        orig_path, _, orig_query = raw.raw_path.partition("?")
        self._orig = RequestView(raw.method, orig_path, orig_query, raw.host or "", raw.headers, req.remote_addr, proto)
        self.RespHeader = RespHeaderView(resp_headers)
        self.Args: list[Any] = []
        self._template: Template | None = None

    # -- methods templates call as fields
    def OriginalReq(self) -> RequestView:  # noqa: N802
        return self._orig

    def Host(self) -> str:  # noqa: N802
        host = self._req.host or ""
        if host.startswith("["):
            return host[1:host.find("]")] if "]" in host else host
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    def RemoteIP(self) -> str:  # noqa: N802
        addr = self._req.remote_addr
        ip = addr.rpartition(":")[0] if ":" in addr else addr
        return ip.strip("[]")

    def ClientIP(self) -> str:  # noqa: N802
        ip = self._req.vars.get("client_ip")
        return ip if isinstance(ip, str) and ip else self.RemoteIP()

    def Cookie(self, name: str) -> str:  # noqa: N802
        for header in self._req.headers.getall("Cookie", []):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(header)
            except Exception:  # noqa: BLE001 - a malformed cookie header has no cookies
                continue
            if name in jar:
                return jar[name].value
        return ""

    # -- execution
    def funcs(self) -> dict[str, Callable[..., Any]]:
        f: dict[str, Callable[..., Any]] = dict(SPRIG)
        f.update({
            "include": self._include, "readFile": self._read_file, "import": self._import,
            "stripHTML": strip_html, "listFiles": self._list_files, "fileExists": self._file_exists,
            "env": lambda name: os.environ.get(name, ""), "placeholder": self._placeholder,
            "ph": self._placeholder, "httpError": self._http_error, "pathEscape": gourl.quote_segment,
            "fileStat": self._file_stat, "humanize": _humanize, "markdown": _markdown,
            "splitFrontMatter": split_front_matter, "httpInclude": self._http_include,
        })
        f["maybe"] = _unsupported("maybe")
        return f

    def render(self, source: str) -> str:
        self._template = Template(source, self.funcs(), self._delims)
        return self._template.execute(self)

    def _path(self, filename: str) -> str:
        if self._root is None:
            raise TemplateError("root file system not specified")
        clean = posixpath.normpath("/" + filename).lstrip("/")
        return os.path.join(self._root, clean)

    def _read_file(self, filename: str) -> str:
        try:
            with open(self._path(filename), encoding="utf-8", errors="surrogateescape", newline="") as fh:
                return fh.read()
        except OSError as e:
            raise TemplateError(f"open {filename}: {e.strerror}") from None

    def _include(self, filename: str, *args: Any) -> str:
        source = self._read_file(filename)
        sub = TemplateContext.__new__(TemplateContext)
        sub.__dict__.update(self.__dict__)
        sub.Args = list(args)
        return sub.render(source)

    def _http_include(self, uri: str) -> str:
        """The body of a virtual GET of `uri` on this server, rendered as a template with this
        context; Caddy stops at the third nested include."""
        depth = 1
        count = self._req.headers.get(INCLUDE_HEADER, "")
        if count:
            try:
                num = int(count)
            except ValueError:
                raise TemplateError(f'parsing {INCLUDE_HEADER}: strconv.Atoi: parsing "{count}": invalid syntax') from None
            if num >= MAX_INCLUDE_DEPTH:
                raise TemplateError("virtual request cycle")
            depth = num + 1
        server = getattr(self._req, "server", None)
        if self._loop is None or server is None:
            raise TemplateError("httpInclude: no server to send the virtual request to")
        from caddy_py.modules.templates.virtual import virtual_get

        headers = CIMultiDict(self._req.headers)
        headers["Accept-Encoding"] = "identity"
        headers[INCLUDE_HEADER] = str(depth)
        fut = asyncio.run_coroutine_threadsafe(virtual_get(server, uri, self._req.host, headers), self._loop)
        status, body = fut.result()
        if status >= 400:
            raise TemplateError(f"http {status}")
        return Template(body.decode("utf-8", "surrogateescape"), self.funcs(), self._delims).execute(self)

    def _import(self, filename: str) -> str:
        source = self._read_file(filename)
        if self._template is not None:
            self._template.parse_more(source)
        return ""

    def _list_files(self, name: str) -> list[str]:
        path = self._path(name)
        if not os.path.isdir(path):
            raise TemplateError(f"{name} is not a directory")
        return os.listdir(path)  # directory order, as Go's Readdir

    def _file_exists(self, filename: str) -> bool:
        try:
            return os.path.exists(self._path(filename))
        except TemplateError:
            raise

    def _file_stat(self, filename: str) -> FileInfo:
        path = self._path(filename)
        try:
            return FileInfo(os.path.basename(path.rstrip("/")) or "/", os.stat(path))
        except OSError as e:
            raise TemplateError(f"stat {filename}: {e.strerror}") from None

    def _placeholder(self, name: str) -> str:
        val, _ = self._req.replacer.get_string(name)
        return val

    @staticmethod
    def _http_error(status: int) -> bool:
        raise HandlerError(int(status), f"HTTP {status}")


__all__ = ["TemplateContext", "strip_html", "truth"]
