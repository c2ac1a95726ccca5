"""`templates`: Go text/template rendering of buffered and file_server responses, against caddy;
plus the engine on its own."""
from __future__ import annotations

import pytest

from caddy_py.modules.templates.gofmt import go_sprintf, go_value
from caddy_py.modules.templates.gotemplate import Template, TemplateError
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, fetch, json_config

pytestmark = pytest.mark.timeout(60)

BODY = (
    '{{.Req.Method}} {{.Req.URL.Path}} {{.Host}} q={{.Req.URL.Query.Get "q"}} {{ .Req.Header.Get "X-A" | upper }} '
    '{{range $i, $e := splitList "," "a,b"}}[{{$i}}{{$e}}]{{end}} {{printf "%05.1f|%q|%v|%d" 3.14159 "hi" .Args 7}} '
    '{{ ph "http.request.uri" }} {{ .Cookie "c" }} {{stripHTML "<b title=\'>\'>x</b>y"}} {{ 1.0 }} {{ 2.5e-7 }} '
    '{{ eq 1 3 1 }} {{ len "abc" }}{{ .RespHeader.Set "X-T" "yes" }} {{ default "d" "" }} {{ html "<&>\'" }} '
    '{{ urlquery "a b&c" }} {{ js "it\'s <x>" }} {{- /* gone */ -}} | {{ with .Req.URL.RawQuery }}raw={{.}}{{else}}none{{end}} '
    '{{ $x := 1 }}{{ if gt $x 0 }}{{ $x = 5 }}{{ end }}{{ $x }} {{ .OriginalReq.URL.Path }} {{ .RemoteIP }} '
    '{{ range $k, $v := dict "b" 2 "a" 1 }}{{ $k }}{{ $v }}{{ end }} {{ index (list 4 5 6) 1 }}'
)


def _routes(root: str) -> list[dict]:
    return [
        {"match": [{"path": ["/files/*"]}], "terminal": True, "handle": [
            {"handler": "rewrite", "strip_path_prefix": "/files"},
            {"handler": "templates", "file_root": root}, {"handler": "file_server", "root": root}]},
        {"match": [{"path": ["/json"]}], "terminal": True, "handle": [
            {"handler": "templates"}, {"handler": "static_response", "body": '{"a": "{{.Req.Method}}"}'}]},
        {"match": [{"path": ["/broken"]}], "terminal": True, "handle": [
            {"handler": "templates"}, {"handler": "static_response", "body": "{{ .Nope.Deeper }}"}]},
        {"match": [{"path": ["/status"]}], "terminal": True, "handle": [
            {"handler": "templates"}, {"handler": "static_response", "body": "{{ httpError 418 }}"}]},
        {"match": [{"path": ["/delims"]}], "terminal": True, "handle": [
            {"handler": "templates", "delimiters": ["[[", "]]"]},
            {"handler": "static_response", "body": "[[ .Req.Method ]] {{ .Req.Method }}"}]},
        {"handle": [{"handler": "templates"}, {"handler": "vars", "root": root},
                    {"handler": "rewrite", "uri": "/rewritten{http.request.uri.path}"},
                    {"handler": "static_response", "body": BODY}]},
    ]


async def test_templates_match_caddy(caddy_bin, caddy_env, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        '{{ import "/defs.html" }}<h1>{{ template "greet" "you" }}</h1>\n'
        '{{- include "/part.html" "arg1" 2 }}\n{{ range listFiles "/" }}{{ . }},{{ end }} '
        '{{ fileExists "/part.html" }} {{ fileExists "/nope" }} {{ readFile "/plain.txt" }} '
        '{{ with fileStat "/plain.txt" }}{{ .Name }} {{ .Size }} {{ .IsDir }}{{ end }} '
        '{{ humanize "size" "2048" }} {{ humanize "size" "7" }} {{ humanize "size" "15000000" }}')
    (site / "defs.html").write_text('{{ define "greet" }}hello {{ . }}{{ end }}')
    (site / "part.html").write_text("<p>{{ index .Args 0 }} {{ index .Args 1 | printf \"%03d\" }} {{ .Req.Method }}</p>")
    (site / "plain.txt").write_text("{{ not true }}")
    (site / "data.bin").write_bytes(b"{{ .Req.Method }}")
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(_routes(str(site)))) as pair:
        await assert_same(pair, [
            Req("GET", "/p/a%20b?q=1", headers={"X-A": "hey", "Cookie": "c=cv; d=2"}), Req("POST", "/x"),
            Req("GET", "/files/index.html"), Req("GET", "/files/data.bin"),
            Req("GET", "/files/plain.txt"), Req("GET", "/json"), Req("GET", "/broken"), Req("GET", "/status"),
            Req("GET", "/delims"), Req("HEAD", "/files/index.html"), Req("HEAD", "/x"),
        ], ("X-T", "Content-Type", "Etag", "Last-Modified", "Accept-Ranges", "Content-Length"))
        status, _, page = await fetch(pair.ports["py"], Req("GET", "/files/index.html"), ())
        assert status == 200 and b"plain.txt 14 false 2.0 kB 7 B 15 MB" in page, page
        status, _, page = await fetch(pair.ports["py"], Req("GET", "/p/x", headers={"X-A": "hey"}), ())
        assert status == 200 and b"GET /rewritten/p/x 127.0.0.1 q= HEY" in page, page


@pytest.mark.parametrize("src, data, want", [
    ("a {{- ' ' -}} b", None, "a32b"),  # a char literal is a rune: Go prints 32
    ("{{ range . }}{{ . }}{{ else }}empty{{ end }}", [], "empty"),
    ("{{ range . }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}", [1, 2, 3, 4], "12"),
    ("{{ range $i := 3 }}{{ $i }}{{ end }}", None, "012"),
    ("{{ with $x := .A }}{{ $x }}{{ end }}", {"A": "v"}, "v"),
    ("{{ if and .A .B }}y{{ else if or .A .B }}half{{ else }}n{{ end }}", {"A": 1, "B": 0}, "half"),
    ("{{ block \"b\" . }}[{{ . }}]{{ end }}", "x", "[x]"),
    ("{{ (print 1 2) }} {{ print \"a\" 1 2 \"b\" }} {{ println 1 }}", None, "1 2 a1 2b 1\n"),
    ("{{ .M.k }} {{ index .M \"k\" }} {{ .L }}", {"M": {"k": [1, "x"]}, "L": [True, None, 1.5]},
     "[1 x] [1 x] [true <nil> 1.5]"),
    ("{{ `raw {{` }} {{ 'a' }} {{ 0x1F }} {{ -3 }}", None, "raw {{ 97 31 -3"),
])
def test_engine(src, data, want):
    assert Template(src).execute(data) == want


@pytest.mark.parametrize("src", ["{{ if }}", "{{ end }}", "{{ if 1 }}x", "{{ nofunc 1 }}", "{{ $u }}", "{{ 1 | }}",
                                 "{{ .A.B }}", "{{ template \"missing\" }}"])
def test_engine_errors(src):
    with pytest.raises(TemplateError):
        Template(src).execute({"A": None})


def test_go_formatting():
    assert go_value(1e21) == "1e+21" and go_value(0.0001) == "0.0001" and go_value(0.00001) == "1e-05"
    assert go_value({"b": 1, "a": [1, 2]}) == "map[a:[1 2] b:1]"
    assert go_sprintf("%s %d %5.2f %-3s| %x %t %%", "s", 4, 3.14159, "ab", 255, True) == "s 4  3.14 ab | ff true %"
    assert go_sprintf("%d %s", 1) == "1 %!s(MISSING)"
