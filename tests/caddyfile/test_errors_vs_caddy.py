"""Broken Caddyfiles: `caddy adapt` fails with message M; our parser raises CaddyfileError(M).

Each case is a small tree of files written here; the expected text is what the real caddy
prints at test time (the "msg" of its error log line)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from caddy_py.caddyfile import CaddyfileError, parse

CASES: dict[str, dict[str, str]] = {
    "unclosed_site": {"Caddyfile": ":80 {\n\trespond hi\n"},
    "global_matcher": {"Caddyfile": "@m path /x\n:80 {\n}\n"},
    "comma_in_address": {"Caddyfile": "a.com,b.com {\n}\n"},
    "extra_comma": {"Caddyfile": "a.com, {\n}\n"},
    "trailing_comma_eof": {"Caddyfile": "a.com,"},
    "address_with_brace": {"Caddyfile": "a.com{\n}\n"},
    "brace_on_new_line": {"Caddyfile": ":80 {\n\troute\n\t{\n\t}\n}\n"},
    "token_after_brace": {"Caddyfile": ":80 {\n\troute { respond hi\n\t}\n}\n"},
    "empty_braces_eol": {"Caddyfile": ":80 {\n\troute {}\n}\n"},
    "unmatched_close_in_segment": {"Caddyfile": ":80 {\n\trespond hi }\n}\n"},
    "snippet_redeclared": {"Caddyfile": "(s) {\n\trespond a\n}\n(s) {\n\trespond b\n}\n:80 {\n}\n"},
    "snippet_without_block": {"Caddyfile": "(s)\n:80 {\n}\n"},
    "unclosed_snippet": {"Caddyfile": "(s) {\n\trespond a\n"},
    "import_no_args": {"Caddyfile": ":80 {\n\timport\n}\n"},
    "import_empty_path": {"Caddyfile": ':80 {\n\timport ""\n}\n'},
    "import_not_found": {"Caddyfile": ":80 {\n\timport nothere.caddy\n}\n"},
    "import_two_wildcards": {"Caddyfile": ":80 {\n\timport conf/*/*.caddy\n}\n"},
    "import_brackets": {"Caddyfile": ":80 {\n\timport conf/[ab].caddy\n}\n"},
    "import_bad_pattern": {"Caddyfile": ":80 {\n\timport conf/[ab.caddy\n}\n"},
    "import_cycle": {"Caddyfile": "import a.caddy\n", "a.caddy": "import b.caddy\n", "b.caddy": "import a.caddy\n"},
    "import_self": {"Caddyfile": ":80 {\n\timport self.caddy\n}\n", "self.caddy": "import self.caddy\n"},
    "import_snippet_cycle": {"Caddyfile": "(a) {\n\timport b\n}\n(b) {\n\timport a\n}\n:80 {\n\timport a\n}\n"},
    "import_directory": {"Caddyfile": ":80 {\n\timport sub\n}\n", "sub/x.caddy": "respond hi\n"},
    "import_lex_error": {"Caddyfile": ":80 {\n\timport bad.caddy\n}\n", "bad.caddy": "respond <<\nx\n"},
    "anonymous_block": {"Caddyfile": "(s) {\n\t{blocks.a}\n}\n:80 {\n\timport s {\n\t\t{\n\t\t}\n\t}\n}\n"},
    "options_after_snippet_import": {"Caddyfile": "import m1.caddy\nimport m2.caddy\n{\n\tdebug\n}\n",
                                     "m1.caddy": "(matcher1)", "m2.caddy": "(matcher2)"},
    "unclosed_brace_in_imported_file": {"Caddyfile": ":80 {\n\timport f.caddy\n\trespond x\n", "f.caddy": "route {\n"},
    "args_error_in_import_chain": {"Caddyfile": "(s) {\n\troute {args[0]}\n}\n:80 {\n\timport s {\n}\n"},
    "error_inside_imported_snippet": {"Caddyfile": "(s) {\n\trespond {\n\t\tbody x\n}\n:80 {\n\timport s\n}\n"},
    "heredoc_missing_marker": {"Caddyfile": ":80 {\n\trespond <<\n\thi\n}\n"},
    "heredoc_too_many_lt": {"Caddyfile": ":80 {\n\trespond <<<EOF\n\thi\n\tEOF\n}\n"},
    "heredoc_bad_marker": {"Caddyfile": ":80 {\n\trespond <<E.F\n\thi\n\tE.F\n}\n"},
    "heredoc_tab_in_marker": {"Caddyfile": ":80 {\n\trespond <<EOF\t200\n\thi\n\tEOF\n}\n"},
    "heredoc_incomplete": {"Caddyfile": ":80 {\n\trespond <<EOF\n\thi\n}\n"},
    "heredoc_mismatched_indent": {"Caddyfile": ":80 {\n\trespond <<EOF\n  hi\n\t\tEOF\n}\n"},
    "unterminated_quote": {"Caddyfile": ':80 {\n\trespond "hi\n}\n'},
    "import_missing_file_in_imported_file": {"Caddyfile": "import a.caddy\n", "a.caddy": ":80 {\n\timport nope.caddy\n}\n"},
    "nested_snippet_error_chain": {
        "Caddyfile": "(inner) {\n\trespond }\n}\n(outer) {\n\timport inner\n}\n:80 {\n\timport outer\n}\n"},
}


def caddy_error(caddy_bin: str, env: dict[str, str], root: Path) -> str | None:
    r = subprocess.run([caddy_bin, "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"],
                       cwd=root, env=env, capture_output=True, timeout=30)
    if r.returncode == 0:
        return None
    for line in r.stderr.decode().splitlines():
        rec = json.loads(line)
        if rec.get("level") == "error":
            return rec["msg"]
    raise AssertionError(r.stderr.decode())


@pytest.mark.parametrize("name", sorted(CASES))
def test_parse_error_matches_caddy(name: str, tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "site"
    for rel, text in CASES[name].items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    expected = caddy_error(caddy_bin, caddy_env, root)
    assert expected is not None, "caddy accepted this input; the case is wrong"
    monkeypatch.chdir(root)
    with pytest.raises(CaddyfileError) as info:
        parse("Caddyfile", (root / "Caddyfile").read_bytes(), [])
    assert str(info.value) == expected
