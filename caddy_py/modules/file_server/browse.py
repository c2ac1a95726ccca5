"""Directory listings for `browse`: JSON (Accept: application/json, same fields as Caddy),
plain text (Accept: text/plain) or HTML (our own page, not Caddy's template)."""
from __future__ import annotations

import html
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from .paths import file_hidden, sanitized_join

SORTS = ("name", "namedirfirst", "size", "time")


@dataclass
class Item:
    name: str
    size: int
    url: str
    mod_time: float
    mod_time_ns: int
    mode: int
    is_dir: bool
    is_symlink: bool

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "size": self.size, "url": self.url,
                "mod_time": go_time(self.mod_time_ns), "mode": go_file_mode(self.mode),
                "is_dir": self.is_dir, "is_symlink": self.is_symlink}


@dataclass
class Listing:
    name: str
    path: str
    can_go_up: bool
    last_modified: float
    items: list[Item] = field(default_factory=list)
    num_dirs: int = 0
    num_files: int = 0


def go_time(ns: int) -> str:
    """RFC 3339 with nanoseconds trimmed of trailing zeros, UTC ("Z"), as Go's time.Time JSON."""
    secs, frac_ns = divmod(ns, 1_000_000_000)
    dt = datetime.fromtimestamp(secs, timezone.utc)
    frac = f"{frac_ns:09d}".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


def go_file_mode(mode: int) -> int:
    """os.FileMode bits from a POSIX st_mode (dir, symlink, and the permission bits)."""
    out = stat.S_IMODE(mode) & 0o777
    if stat.S_ISDIR(mode):
        out |= 1 << 31
    if stat.S_ISLNK(mode):
        out |= 1 << 27
    return out


def load(dir_path: str, root: str, url_path: str, hide: list[str], limit: int = 10000) -> Listing:
    st = os.stat(dir_path)
    from urllib.parse import unquote

    name = os.path.basename(unquote(url_path).rstrip("/")) or "/"
    listing = Listing(name, url_path, len(url_path) > 1, st.st_mtime)
    with os.scandir(dir_path) as it:
        entries = [e for _, e in zip(range(limit), it)]
    for e in entries:
        if file_hidden(e.name, hide):
            continue
        try:
            info = e.stat(follow_symlinks=False)
        except OSError:
            continue
        listing.last_modified = max(listing.last_modified, info.st_mtime)
        is_link = e.is_symlink()
        size = info.st_size
        is_dir = e.is_dir(follow_symlinks=False)
        if is_link:
            try:
                target = os.stat(sanitized_join(root, url_path.rstrip("/") + "/" + e.name))
                is_dir = stat.S_ISDIR(target.st_mode)
                size = target.st_size
            except OSError:
                pass
        shown = e.name + ("/" if is_dir else "")
        if is_dir:
            listing.num_dirs += 1
        else:
            listing.num_files += 1
        listing.items.append(Item(shown, size, "./" + quote(e.name) + ("/" if is_dir else ""),
                                  info.st_mtime, info.st_mtime_ns, info.st_mode, is_dir, is_link))
    return listing


def sort_items(items: list[Item], sort: str, order: str) -> None:
    """Caddy's byName / byNameDirFirst / bySize / byTime; `desc` reverses the comparison."""
    rev = order == "desc"
    if sort == "name":
        items.sort(key=lambda i: i.name.lower(), reverse=rev)
    elif sort == "namedirfirst":
        items.sort(key=lambda i: (not i.is_dir, i.name.lower()), reverse=rev)
    elif sort == "size":
        items.sort(key=lambda i: (-(1 << 31), i.name.lower()) if i.is_dir else (i.size, ""), reverse=rev)
    elif sort == "time":
        items.sort(key=lambda i: i.mod_time_ns, reverse=rev)


def render_json(listing: Listing) -> bytes:
    return (json.dumps([i.to_json() for i in listing.items], separators=(",", ":"),
                       ensure_ascii=False) + "\n").encode()


def render_text(listing: Listing) -> bytes:
    """Go's tabwriter with tab padding (width 8, padding 1): cells padded with tabs."""
    rows = [("Name", "Size", "Modified"), ("----", "----", "--------")]
    for i in listing.items:
        mod = datetime.fromtimestamp(i.mod_time_ns // 1_000_000_000, timezone.utc)
        rows.append((i.name, human_size(i.size),
                     mod.strftime("%B ") + str(mod.day) + mod.strftime(", %Y at %H:%M:%S")))
    widths = []
    for col in range(2):
        w = max(len(r[col]) for r in rows) + 1
        widths.append(-(-w // 8) * 8)
    out = []
    for r in rows:
        line = "".join(cell + "\t" * -(-(widths[c] - len(cell)) // 8) for c, cell in enumerate(r[:2]))
        out.append(line + r[2] + "\n")
    return "".join(out).encode()


def human_size(n: int) -> str:
    """go-humanize IBytes: "512 B", "1.5 KiB", "12 MiB"."""
    if n < 10:
        return f"{n} B"
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    e = 0
    while n >= 1024 ** (e + 1) and e < len(units) - 1:
        e += 1
    val = int(n / 1024 ** e * 10 + 0.5) / 10
    return f"{val:.0f} {units[e]}" if val >= 10 else f"{val:.1f} {units[e]}"


def render_html(listing: Listing) -> bytes:
    esc = html.escape
    rows = []
    if listing.can_go_up:
        rows.append('<tr><td><a href="..">Up</a></td><td></td><td></td></tr>')
    for i in listing.items:
        mod = datetime.fromtimestamp(i.mod_time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        size = "&mdash;" if i.is_dir else esc(human_size(i.size))
        rows.append(f'<tr><td><a href="{esc(i.url)}">{esc(i.name)}</a></td>'
                    f"<td>{size}</td><td><time>{mod}</time></td></tr>")
    title = esc(listing.name)
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
            f"<body><h1>{esc(listing.path)}</h1><p>{listing.num_dirs} directories, "
            f"{listing.num_files} files</p><table><thead><tr><th>Name</th><th>Size</th>"
            f"<th>Modified</th></tr></thead><tbody>{''.join(rows)}</tbody></table></body></html>\n"
            ).encode()
