"""Parser: server blocks, segments, snippets, named routes, imports and their arguments; the
expected structures are written by hand from Caddy's parse.go rules."""
from __future__ import annotations

from pathlib import Path

import pytest

from caddy_py.caddyfile import CaddyfileError, ParseWarning, ServerBlock, parse


def shape(blocks: list[ServerBlock]) -> list[tuple[list[str], list[list[str]]]]:
    return [(b.get_keys_text(), [[t.text for t in seg] for seg in b.segments]) for b in blocks]


def parse_tree(root: Path, files: dict[str, str], monkeypatch: pytest.MonkeyPatch,
               warnings: list[ParseWarning] | None = None) -> list[ServerBlock]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(root)
    return parse("Caddyfile", (root / "Caddyfile").read_bytes(), warnings)


def test_sites_segments_and_global_options() -> None:
    src = b"{\n\tdebug\n}\n\na.com b.com,\n  c.com {\n\troute /x {\n\t\trespond hi\n\t}\n\tfile_server\n}\n"
    blocks = parse("Caddyfile", src)
    assert shape(blocks) == [
        ([], [["debug"]]),
        (["a.com", "b.com", "c.com"], [["route", "/x", "{", "respond", "hi", "}"], ["file_server"]]),
    ]
    assert blocks[1].has_braces and blocks[1].keys[2].line == 6
    assert blocks[1].segments[0].directive() == "route"


def test_single_site_without_braces() -> None:
    blocks = parse("Caddyfile", b"localhost\nrespond hi\nfile_server browse\n")
    assert shape(blocks) == [(["localhost"], [["respond", "hi"], ["file_server", "browse"]])]
    assert not blocks[0].has_braces


def test_only_addresses() -> None:
    assert shape(parse("Caddyfile", b"a.com b.com")) == [(["a.com", "b.com"], [])]
    assert parse("Caddyfile", b"# nothing\n\n") == []


def test_quoted_brace_and_comma_rules() -> None:
    blocks = parse("Caddyfile", b'a.com , b.com {\n\trespond "{" 200\n}\n')
    assert shape(blocks) == [(["a.com", "b.com"], [["respond", "{", "200"]])]


def test_closing_brace_on_the_last_line_closes_the_inner_block_only() -> None:
    # Caddy accepts this: the final `}` ends `route`, and EOF ends the site
    assert shape(parse("Caddyfile", b":80 {\n\troute {\n\t\trespond hi\n}\n")) == [
        ([":80"], [["route", "{", "respond", "hi", "}"]])]


def test_snippet_import_with_args_and_chain() -> None:
    src = b"(s) {\n\trespond {args[0]} {args[1]}\n\theader {args[:]}\n\tvars {args[1:]} {args[0:1]}x\n}\n:80 {\n\timport s one two\n}\n"
    warnings: list[ParseWarning] = []
    (block,) = parse("Caddyfile", src, warnings)
    assert shape([block]) == [([":80"], [["respond", "one", "two"], ["header", "one", "two"],
                                         ["vars", "two", "{args[0:1]}x"]])]
    tok = block.segments[0][1]
    assert (tok.file, tok.line, tok.imports, tok.snippet_name) == ("Caddyfile", 2, ["Caddyfile:7 (import s)"], "s")
    assert [w.message for w in warnings] == ["Variadic placeholder {args[0:1]} must be a token on its own"]


def test_deprecated_and_out_of_range_args_warn() -> None:
    warnings: list[ParseWarning] = []
    src = b"(s) {\n\trespond {args.0} {args[5]}\n}\n:80 {\n\timport s a\n}\n"
    (block,) = parse("Caddyfile", src, warnings)
    assert [t.text for t in block.segments[0]] == ["respond", "a", "{args[5]}"]
    assert [(w.logger, w.message) for w in warnings] == [
        ("caddyfile", "Placeholder {args.0} deprecated, use {args[0]} instead"),
        ("caddyfile", "Placeholder {args[5]} index is out of bounds, only 1 argument(s) exist"),
    ]


def test_import_unescapes_braces_only_for_imported_tokens() -> None:
    src = b'(s) {\n\trespond "\\{x\\}"\n}\n:80 {\n\timport s\n\trespond "\\{y\\}"\n}\n'
    (block,) = parse("Caddyfile", src)
    assert [seg[1].text for seg in block.segments] == ["{x}", "\\{y\\}"]


def test_import_block_and_blocks() -> None:
    src = (b"(s) {\n\troute {\n\t\t{block}\n\t}\n\thandle {\n\t\t{blocks.inner}\n\t}\n}\n"
           b":80 {\n\timport s {\n\t\tinner {\n\t\t\trespond in\n\t\t}\n\t\tfoo bar\n\t}\n}\n")
    (block,) = parse("Caddyfile", src)
    assert shape([block]) == [([":80"], [
        ["route", "{", "inner", "{", "respond", "in", "}", "foo", "bar", "}"],
        ["handle", "{", "respond", "in", "}"],
    ])]


def test_named_route_keeps_braces() -> None:
    (block,) = parse("Caddyfile", b"&(r) {\n\trespond hi\n}\n")
    assert block.is_named_route
    assert shape([block]) == [(["r"], [["r", "{", "respond", "hi", "}"]])]


def test_file_import_relative_to_importing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "Caddyfile": "import conf/site.caddy\n",
        "conf/site.caddy": ":80 {\n\timport parts/*.caddy\n}\n",
        "conf/parts/a.caddy": "respond a\n",
        "conf/parts/b.caddy": "header b\n",
        "conf/parts/.hidden.caddy": "nope\n",
    }
    (block,) = parse_tree(tmp_path, files, monkeypatch)
    assert shape([block]) == [([":80"], [["respond", "a"], ["header", "b"]])]
    tok = block.segments[0][0]
    assert tok.file == str(tmp_path / "conf/parts/a.caddy")
    # only the import that brought the token in: chains grow through snippets, not files
    assert tok.imports == [f"{tmp_path / 'conf/site.caddy'}:2 (import)"]


def test_glob_without_match_and_empty_file_warn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[ParseWarning] = []
    files = {"Caddyfile": ":80 {\n\timport none/*.caddy\n\timport empty.caddy\n\trespond hi\n}\n", "empty.caddy": " \n"}
    blocks = parse_tree(tmp_path, files, monkeypatch, warnings)
    assert shape(blocks) == [([":80"], [["respond", "hi"]])]
    assert [(w.message, w.fields) for w in warnings] == [
        ("No files matching import glob pattern", {"pattern": "none/*.caddy"}),
        ("Import file is empty", {"file": str(tmp_path / "empty.caddy")}),
    ]
    assert warnings[0].zap_json(1.5) == ('{"level":"warn","ts":1.5,"msg":"No files matching import glob pattern",'
                                         '"pattern":"none/*.caddy"}')


def test_snippets_inside_imported_files_keep_their_placeholders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "Caddyfile": "import snippets.caddy outer\n:80 {\n\timport inner x\n}\n",
        "snippets.caddy": "(inner) {\n\trespond {args[0]}\n}\n",
    }
    (block,) = parse_tree(tmp_path, files, monkeypatch)
    assert shape([block]) == [([":80"], [["respond", "x"]])]


def test_import_of_a_site_block_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"Caddyfile": "{\n\tdebug\n}\nimport sites/*\n", "sites/a": "a.com {\n\trespond a\n}\n",
             "sites/b": "b.com {\n\trespond b\n}\n"}
    assert shape(parse_tree(tmp_path, files, monkeypatch)) == [
        ([], [["debug"]]), (["a.com"], [["respond", "a"]]), (["b.com"], [["respond", "b"]])]


def test_snippet_name_wins_over_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"Caddyfile": "(x) {\n\trespond snippet\n}\n:80 {\n\timport x\n}\n", "x": "respond file\n"}
    assert shape(parse_tree(tmp_path, files, monkeypatch)) == [([":80"], [["respond", "snippet"]])]


def test_empty_snippet_imports_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"Caddyfile": "(x) {\n}\n:80 {\n\timport x\n\trespond hi\n}\n", "x": "respond file\n"}
    assert shape(parse_tree(tmp_path, files, monkeypatch)) == [([":80"], [["respond", "hi"]])]


def test_import_cycle_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"Caddyfile": "import a\n", "a": "import b\n", "b": "import a\n"}
    with pytest.raises(CaddyfileError) as info:
        parse_tree(tmp_path, files, monkeypatch)
    assert str(info.value) == f"a cycle of imports exists between {tmp_path / 'b'} and {tmp_path / 'a'}"


@pytest.mark.parametrize("src,message", [
    (b":80 {\n\trespond hi\n", "syntax error: unexpected token 'hi', expecting '}', at Caddyfile:2 import chain: ['']"),
    (b":80 {\n\troute {\n\t\trespond hi\n", "unexpected EOF, at Caddyfile:3"),
    (b"@m path /\n", "request matchers may not be defined globally, they must be in a site block; found @m, "
                    "at Caddyfile:1"),
    (b":80 {\n\troute {}\n}\n", "Unexpected '{}' at end of line, at Caddyfile:2"),
    (b"(s) {\n}\n(s) {\n}\n", "redeclaration of previously declared snippet s, at Caddyfile:3"),
    (b"(s) {\n\troute {\n\t\trespond x {}\n\t}\n}\n:80 {\n\timport s\n}\n",
     "Unexpected '{}' at end of line, at Caddyfile:3 import chain ['Caddyfile:7 (import s)']"),
    (b"(s) {\n\tx\n", "syntax error: unexpected token 'x', expecting '}', at Caddyfile:2 import chain: ['']"),
])
def test_parse_errors(src: bytes, message: str) -> None:
    with pytest.raises(CaddyfileError) as info:
        parse("Caddyfile", src)
    assert str(info.value) == message


def test_env_vars_are_substituted_in_imported_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADDY_PY_TEST_BODY", "from env")
    files = {"Caddyfile": ":80 {\n\timport f\n}\n", "f": 'respond "{$CADDY_PY_TEST_BODY}"\n'}
    assert shape(parse_tree(tmp_path, files, monkeypatch)) == [([":80"], [["respond", "from env"]])]
