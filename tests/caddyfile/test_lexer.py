"""Token-level tests, one per lexing rule of Caddy's lexer.go; expected tokens written by hand as
(text, line, quote)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caddy_py.caddyfile.envvars import replace_env_vars
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.caddyfile.lexer import tokenize

from .reference_lexer import LexError, naive_tokens


def toks(src: bytes | str) -> list[tuple[str, int, str]]:
    return [(t.text, t.line, t.quote) for t in tokenize(src, "F")]


RULES: list[tuple[str, bytes, list[tuple[str, int, str]]]] = [
    ("words split on spaces and lines", b"a  b\tc\n d", [("a", 1, ""), ("b", 1, ""), ("c", 1, ""), ("d", 2, "")]),
    ("byte order mark dropped", b"\xef\xbb\xbfa b", [("a", 1, ""), ("b", 1, "")]),
    ("CR ignored, even inside a word", b"a\r\nb\rc", [("a", 1, ""), ("bc", 2, "")]),
    ("comment to end of line", b"a # b c\nd", [("a", 1, ""), ("d", 2, "")]),
    ("hash inside a word is not a comment", b"a#b https://x/#/y", [("a#b", 1, ""), ("https://x/#/y", 1, "")]),
    ("comment right after a closing quote", b'"a"#b\nc', [("a", 1, '"'), ("c", 2, "")]),
    ("backslash in a comment continues the line", b"a # x \\ y\nb\nc", [("a", 1, ""), ("b", 1, ""), ("c", 3, "")]),
    ("escaped hash starts a comment and joins the next line", b"a \\#x\nb\nc",
     [("a", 1, ""), ("b", 1, ""), ("c", 3, "")]),
    ("double quotes keep spaces", b'"a b" c', [("a b", 1, '"'), ("c", 1, "")]),
    ("only \\\" is an escape in quotes", b'"x\\"y" "x\\\\y" "a\\n"',
     [('x"y', 1, '"'), ("x\\\\y", 1, '"'), ("a\\n", 1, '"')]),
    ("quote opens only at token start", b'foo"bar" "a"b', [('foo"bar"', 1, ""), ("a", 1, '"'), ("b", 1, "")]),
    ("quoted text spans lines and counts them", b'"a\nb" c\nd', [("a\nb", 1, '"'), ("c", 2, ""), ("d", 3, "")]),
    ("empty quotes give an empty token", b'"" x', [("", 1, '"'), ("x", 1, "")]),
    ("unterminated quote becomes an unquoted token", b'a "bc', [("a", 1, ""), ("bc", 1, "")]),
    ("lone quote at the end gives nothing", b'a "', [("a", 1, "")]),
    ("backticks are raw", b"`a\\`b` `x\"y`", [("a\\", 1, "`"), ("b`", 1, ""), ('x"y', 1, "`")]),
    ("backslash kept in a word", b"a\\b a\\\\b", [("a\\b", 1, ""), ("a\\\\b", 1, "")]),
    ("escaped < loses its backslash", b"a\\<b", [("a<b", 1, "")]),
    ("backslash before a space is dropped", b"a\\ b", [("a", 1, ""), ("b", 1, "")]),
    ("a lone backslash escapes the next word's first char", b"a \\ b", [("a", 1, ""), ("\\b", 1, "")]),
    ("escaped quote at token start opens the quote", b'\\"x" y', [("\\x", 1, '"'), ("y", 1, "")]),
    ("line continuation keeps the line number", b"a \\\nb\nc", [("a", 1, ""), ("b", 1, ""), ("c", 3, "")]),
    ("continuation at a word's end", b"a\\\r\nb\nc", [("a", 1, ""), ("b", 1, ""), ("c", 3, "")]),
    ("only unquoted braces are structural", b'{ "{" `}`', [("{", 1, ""), ("{", 1, '"'), ("}", 1, "`")]),
    ("heredoc with dedent", b"r <<EOF\n\t\thi\n\t\t  there\n\t\tEOF 200\nx",
     [("r", 1, ""), ("hi\n  there", 1, "<"), ("200", 4, ""), ("x", 5, "")]),
    ("heredoc keeps empty lines", b"<<A\n  x\n\n  y\n  A", [("x\n\ny", 1, "<")]),
    ("heredoc ends where the marker text first appears", b"<<END\nabcEND x\ny", [("", 1, "<"), ("x", 2, ""), ("y", 3, "")]),
    ("heredoc strips CR", b"<<E\r\n a\r\n E", [("a", 1, "<")]),
    ("heredoc opener followed by a space is a word", b"respond <<EOF 200", [("respond", 1, ""), ("<<EOF", 1, ""), ("200", 1, "")]),
    ("heredoc opener at the end of input is a word", b"x <<EOF", [("x", 1, ""), ("<<EOF", 1, "")]),
    ("escaped heredoc opener is a word", b"\\<<EOF\nx", [("<<EOF", 1, ""), ("x", 2, "")]),
    ("heredoc with nothing after its opening line gives nothing", b"a <<EOF\n", [("a", 1, "")]),
    ("heredoc counts two extra lines", b"<<E\nE\nz", [("", 1, "<"), ("z", 3, "")]),
    ("env value is lexed after substitution", b"{$__CADDY_PY_TEST_PAIR}", [("a", 1, ""), ("b c", 1, '"')]),
    ("env default after the first colon", b"{$__CADDY_PY_UNSET:x:y} {$__CADDY_PY_UNSET}z {$}",
     [("x:y", 1, ""), ("z", 1, ""), ("{$}", 1, "")]),
    ("non-Go spaces are word characters", "a\x1cb a\u200bb".encode(), [("a\x1cb", 1, ""), ("a\u200bb", 1, "")]),
    ("Go spaces split words", "a\xa0b a\u3000b".encode(), [("a", 1, ""), ("b", 1, ""), ("a", 1, ""), ("b", 1, "")]),
    ("invalid UTF-8 becomes one U+FFFD per byte", b"a\xe2\x82b", [("a\ufffd\ufffdb", 1, "")]),
]


@pytest.mark.parametrize("name,src,expected", RULES, ids=[r[0] for r in RULES])
def test_lexing_rule(name: str, src: bytes, expected: list, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("__CADDY_PY_TEST_PAIR", 'a "b c"')
    monkeypatch.delenv("__CADDY_PY_UNSET", raising=False)
    assert toks(replace_env_vars(src)) == expected


def test_env_substitution_is_not_rescanned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("__CADDY_PY_A", "{$__CADDY_PY_B}")
    monkeypatch.setenv("__CADDY_PY_B", "no")
    assert replace_env_vars(b"x{$__CADDY_PY_A}y") == b"x{$__CADDY_PY_B}y"
    assert replace_env_vars(b"{$__CADDY_PY_A") == b"{$__CADDY_PY_A"


def test_heredoc_marker_is_kept_on_the_token() -> None:
    (tok,) = tokenize(b"<<END-1\nx\nEND-1", "F")
    assert (tok.text, tok.quote, tok.heredoc_marker, tok.num_line_breaks()) == ("x", "<", "END-1", 2)


LEX_ERRORS = [
    (b"a <<\nb", "missing opening heredoc marker on line #1; must contain only alphanumeric characters, "
                 "dashes and underscores; got empty string"),
    (b"\n<<<EOF\nx\nEOF", "too many '<' for heredoc on line #2; only use two, for example <<END"),
    (b"<<E.F\nx\nE.F", "heredoc marker on line #1 must contain only alphanumeric characters, dashes and "
                       "underscores; got 'E.F'"),
    (b"<<EOF\t1\nx\nEOF", "heredoc marker on line #1 must contain only alphanumeric characters, dashes and "
                          "underscores; got 'EOF\t1'"),
    (b"x\n<<EOF\na\nb", "incomplete heredoc <<EOF on line #4, expected ending marker EOF"),
    (b"<<EOF\n  a\n b\n  EOF", "mismatched leading whitespace in heredoc <<EOF on line #3 [ b], expected "
                               "whitespace [  ] to match the closing marker"),
]


@pytest.mark.parametrize("src,message", LEX_ERRORS)
def test_lexing_error(src: bytes, message: str) -> None:
    with pytest.raises(CaddyfileError) as info:
        tokenize(src, "F")
    assert str(info.value) == message


# -- the lexer against the character-at-a-time reference -------------------------------------
PIECES = ["a", "b", "EOF", " ", "\t", "\n", "\r", "\\", '"', "`", "#", "<", "<<", "{", "}", "\xa0", "\x1c",
          "\ufeff", "  EOF", "<<EOF\n", "\\\n", "é"]


def _compare(src: str) -> None:
    try:
        expected: object = naive_tokens(src)
    except LexError as e:
        expected = f"error: {e}"
    try:
        got: object = toks(src)
    except CaddyfileError as e:
        got = f"error: {e}"
    assert got == expected


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_agrees_with_reference_on_tricky_pieces(src: str) -> None:
    _compare(src)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_agrees_with_reference_on_any_text(src: str) -> None:
    _compare(src)


def test_5000_line_caddyfile() -> None:
    """A big file parses whole (its speed, ~0.1 s on an idle machine, is measured outside the
    suite: timing assertions would fail on a loaded one)."""
    site = (
        'example{n}.com, www.example{n}.com {{\n'
        '\t# site {n}\n'
        '\t@api path /api/* "/v{n}/*"\n'
        '\treverse_proxy @api 127.0.0.1:{n} {{\n'
        '\t\theader_up Host {{upstream_hostport}}\n'
        '\t}}\n'
        '\trespond <<EOF\n\t\tbody {n}\n\t\tEOF 200\n'
        '}}\n'
    )
    data = "".join(site.format(n=i) for i in range(500)).encode()
    assert data.count(b"\n") == 5000
    from caddy_py.caddyfile import parse

    blocks = parse("Caddyfile", data)
    assert len(blocks) == 500
    last = blocks[-1]
    assert last.get_keys_text() == ["example499.com", "www.example499.com"]
    assert [seg.directive() for seg in last.segments] == ["@api", "reverse_proxy", "respond"]
    assert (last.segments[2][1].text, last.segments[2][1].line, last.segments[2][2].line) == ("body 499", 4997, 4999)


def test_grammar_ships_inside_the_package() -> None:
    """A non-editable install only has package data: the package's copy must be the grammar."""
    from importlib import resources
    from pathlib import Path

    shipped = resources.files("caddy_py.caddyfile").joinpath("caddyfile.lark").read_text("utf-8")
    source = Path(__file__).resolve().parents[2] / "grammar" / "caddyfile.lark"
    assert shipped == source.read_text("utf-8")
    assert "WORD" in shipped
