"""Caddyfile parsers of file_server and try_files (Caddy's fileserver/caddyfile.go)."""
from __future__ import annotations

import os
from typing import Any

from caddy_py.httpcaddyfile.builtins import weak_string
from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi
from caddy_py.httpcaddyfile.registry import ConfigValue, directive, handler_directive

SORT_OPTIONS = ("name", "namedirfirst", "size", "time", "asc", "desc")
PRECOMPRESSORS = ("br", "gzip", "zstd")
TRY_POLICIES = ("first_exist", "first_exist_fallback", "largest_size", "smallest_size", "most_recently_modified")


def _browse(h: Helper, fsrv: dict[str, Any]) -> None:
    if "browse" in fsrv:
        raise h.err("browsing is already configured")
    browse: dict[str, Any] = {}
    fsrv["browse"] = browse
    if h.next_arg() and h.val():
        browse["template_file"] = h.val()
    nesting = h.nesting
    while h.next_block(nesting):
        key = h.val()
        if key == "reveal_symlinks":
            if browse.get("reveal_symlinks"):
                raise h.err("Symlinks path reveal is already enabled")
            browse["reveal_symlinks"] = True
        elif key == "sort":
            while h.next_arg():
                if h.val() not in SORT_OPTIONS:
                    raise h.err(f"unknown sort option '{h.val()}'")
                browse.setdefault("sort", []).append(h.val())
        elif key == "file_limit":
            args = h.remaining_args()
            if len(args) != 1:
                raise h.err("file_limit should have an integer value")
            try:
                val = atoi(args[0])
            except GoValueError:
                val = 0
            if browse.get("file_limit"):
                raise h.err("file_limit is already enabled")
            if val:
                browse["file_limit"] = val
        else:
            raise h.err(f"unknown subdirective '{key}'")


@handler_directive("file_server")
def parse_file_server(h: Helper) -> dict:
    h.next()
    fsrv: dict[str, Any] = {"handler": "file_server"}
    args = h.remaining_args()
    if len(args) == 1:
        if args[0] != "browse":
            raise h.arg_err()
        fsrv["browse"] = {}
    elif len(args) > 1:
        raise h.arg_err()

    nesting = h.nesting
    while h.next_block(nesting):
        key = h.val()
        if key == "fs":
            if not h.next_arg():
                raise h.arg_err()
            if fsrv.get("fs"):
                raise h.err("file system already specified")
            if h.val():
                fsrv["fs"] = h.val()
        elif key == "hide":
            hide = h.remaining_args()
            if not hide:
                raise h.arg_err()
            fsrv.setdefault("hide", []).extend(hide)
        elif key == "index":
            names = h.remaining_args()
            if not names:
                raise h.arg_err()
            fsrv["index_names"] = names
        elif key == "root":
            args = h.args(1)
            if args is None:
                raise h.arg_err()
            fsrv.pop("root", None)
            if args[0]:
                fsrv["root"] = args[0]
        elif key == "browse":
            _browse(h, fsrv)
        elif key == "precompressed":
            order = h.remaining_args() or ["br", "zstd", "gzip"]
            fsrv["precompressed_order"] = order
            for fmt in order:
                if fmt not in PRECOMPRESSORS:
                    mod_id = "http.precompressed." + fmt
                    raise h.err(f"getting module named '{mod_id}': module not registered: {mod_id}")
                fsrv.setdefault("precompressed", {})[fmt] = {}
        elif key == "status":
            if not h.next_arg():
                raise h.arg_err()
            fsrv.pop("status_code", None)
            if h.val():
                fsrv["status_code"] = weak_string(h.val())
        elif key == "disable_canonical_uris":
            if h.next_arg():
                raise h.arg_err()
            fsrv["canonical_uris"] = False
        elif key == "pass_thru":
            if h.next_arg():
                raise h.arg_err()
            fsrv["pass_thru"] = True
        elif key == "etag_file_extensions":
            exts = h.remaining_args()
            if not exts:
                raise h.arg_err()
            fsrv["etag_file_extensions"] = exts
        else:
            raise h.err(f"unknown subdirective '{key}'")

    # hide the Caddyfile(s) this site came from (FinalizeUnmarshalCaddyfile)
    for file in h.caddyfiles():
        file = os.path.normpath(file) if file else "."
        hide = fsrv.get("hide", [])
        if hide:
            from caddy_py.modules.file_server.paths import file_hidden

            if file_hidden(file, hide):
                continue
        if "/" not in file:
            file = "./" + file
        fsrv.setdefault("hide", []).append(file)
    return fsrv


@directive("try_files")
def parse_try_files(h: Helper) -> list[ConfigValue]:
    if not h.next():
        raise h.arg_err()
    try_files = h.remaining_args()
    if not try_files:
        raise h.arg_err()
    policy = ""
    while h.next_block(0):
        if h.val() == "policy":
            if policy:
                raise h.err("try policy already configured")
            if not h.next_arg():
                raise h.arg_err()
            policy = h.val()
            if policy not in TRY_POLICIES:
                raise h.err(f"unrecognized try policy: {policy}")

    def make_route(tries: list[str], query: str) -> list[ConfigValue]:
        matcher: dict[str, Any] = {"try_files": tries}
        if policy:
            matcher["try_policy"] = policy
        return h.new_route({"file": matcher}, {"handler": "rewrite", "uri": "{http.matchers.file.relative}" + query})

    result: list[ConfigValue] = []
    tries: list[str] = []
    for item in try_files:
        idx = item.find("?")
        if idx >= 0:
            if tries:
                result.extend(make_route(tries, ""))
                tries = []
            result.extend(make_route([item[:idx]], item[idx:]))
            continue
        tries.append(item)
    if tries:
        result.extend(make_route(tries, ""))
    h.group_routes(result)
    return result
