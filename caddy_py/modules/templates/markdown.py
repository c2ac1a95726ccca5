"""The templates `markdown` function: Markdown to HTML as Caddy's goldmark setup renders it.

Caddy uses goldmark (CommonMark) with GFM (tables, strikethrough, autolinks, task lists),
footnotes, automatic heading IDs, raw HTML kept, and chroma highlighting with CSS classes.
markdown-it-py is CommonMark too; the rules below give its output goldmark's shape: `<del>`,
goldmark's heading IDs, `<input disabled="" type="checkbox">` task items, goldmark's footnote
markup, HTML5 void tags, and fenced code in a known language laid out as chroma does
(`<pre class="chroma">`, one `line`/`cl` span per line) with Pygments' tokens and class names
(chroma is a port of Pygments: the layout matches, some token boundaries differ).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Sequence

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

_TASK = re.compile(r"\[([ xX])\](?=\s)")


def heading_id(text: str, seen: set[str]) -> str:
    """goldmark's automatic ID: ASCII letters and digits lowercased, space, '-' and '_' as '-',
    everything else dropped; repeats get -1, -2, ..."""
    out = []
    for ch in text.strip():
        if ch.isascii() and ch.isalnum():
            out.append(ch.lower())
        elif ch in " \t\n\r\f\v-_":
            out.append("-")
    base = "".join(out) or "heading"
    slug, i = base, 0
    while slug in seen:
        i += 1
        slug = f"{base}-{i}"
    seen.add(slug)
    return slug


def _heading_ids(state: StateCore) -> None:
    seen: set[str] = set()
    tokens = state.tokens
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and i + 1 < len(tokens):
            # goldmark builds the ID from the heading's source text, markup and all
            tok.attrSet("id", heading_id(tokens[i + 1].content, seen))


def _task_items(state: StateCore) -> None:
    tokens = state.tokens
    for i in range(2, len(tokens)):
        tok = tokens[i]
        if tok.type != "inline" or tokens[i - 1].type != "paragraph_open" or tokens[i - 2].type != "list_item_open":
            continue
        first = (tok.children or [None])[0]
        if first is None or first.type != "text":
            continue
        m = _TASK.match(first.content)
        if m is None:
            continue
        box = Token("html_inline", "", 0)
        box.content = '<input checked="" disabled="" type="checkbox">' if m.group(1) in "xX" \
            else '<input disabled="" type="checkbox">'
        first.content = first.content[m.end():]
        tok.children = [box, *(tok.children or [])]


def _go_escape(text: str) -> str:
    """Go's html.EscapeString, which chroma uses."""
    return (text.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&#34;"))


def _css_class(tok: Any) -> str:
    while tok not in STANDARD_TYPES:
        tok = tok.parent
    return STANDARD_TYPES[tok]


def highlight(code: str, lang: str) -> str | None:
    """Code laid out as chroma's HTML formatter with classes does, or None for an unknown
    language (goldmark then renders a plain code block)."""
    try:
        lexer = get_lexer_by_name(lang, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None
    runs: list[list[str]] = []  # [class, text] with neighbours of one class merged
    for tok, val in lexer.get_tokens(code):
        cls = _css_class(tok)
        if runs and runs[-1][0] == cls:
            runs[-1][1] += val
        else:
            runs.append([cls, val])
    lines: list[str] = []
    line: list[str] = []
    for cls, text in runs:
        for piece in re.split(r"(?<=\n)", text):
            if not piece:
                continue
            esc = _go_escape(piece)
            line.append(f'<span class="{cls}">{esc}</span>' if cls else esc)
            if piece.endswith("\n"):
                lines.append("".join(line))
                line = []
    if line:
        lines.append("".join(line))
    body = "".join(f'<span class="line"><span class="cl">{ln}</span></span>' for ln in lines)
    return f'<pre class="chroma"><code>{body}</code></pre>'


def _fence(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    tok = tokens[idx]
    lang = tok.info.strip().split(maxsplit=1)[0] if tok.info.strip() else ""
    if lang:
        out = highlight(tok.content, lang)
        if out is not None:
            return out
    return self._default_fence(tokens, idx, options, env)


def _footnote_ref(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    meta = tokens[idx].meta
    n = meta["id"] + 1
    ref = f"fnref:{n}" if not meta.get("subId") else f"fnref{meta['subId']}:{n}"
    return f'<sup id="{ref}"><a href="#fn:{n}" class="footnote-ref" role="doc-noteref">{n}</a></sup>'


def _footnote_anchor(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    meta = tokens[idx].meta
    n = meta["id"] + 1
    ref = f"fnref:{n}" if not meta.get("subId") else f"fnref{meta['subId']}:{n}"
    return f'&#160;<a href="#{ref}" class="footnote-backref" role="doc-backlink">&#x21a9;&#xfe0e;</a>'


_FIXED = {
    "s_open": "<del>", "s_close": "</del>",
    "footnote_block_open": '<div class="footnotes" role="doc-endnotes">\n<hr>\n<ol>\n',
    "footnote_block_close": "</ol>\n</div>\n",
    "footnote_close": "</li>\n",
}


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": True, "xhtmlOut": False,
                                   "strikethrough_single_tilde": True})  # goldmark takes ~x~ too
    md.enable(["table", "strikethrough", "linkify"]).use(footnote_plugin)
    md.core.ruler.push("goldmark_heading_ids", _heading_ids)
    md.core.ruler.push("goldmark_task_items", _task_items)
    rules = md.renderer.rules
    for name, html in _FIXED.items():
        rules[name] = lambda *_a, _html=html, **_k: _html
    rules["footnote_open"] = lambda tokens, idx, *_a: f'<li id="fn:{tokens[idx].meta["id"] + 1}">\n'
    rules["footnote_ref"] = _footnote_ref.__get__(md.renderer)
    rules["footnote_anchor"] = _footnote_anchor.__get__(md.renderer)
    md.renderer._default_fence = md.renderer.rules["fence"]  # type: ignore[attr-defined]
    rules["fence"] = _fence.__get__(md.renderer)
    return md


def render(text: str) -> str:
    return _renderer().render(text)
