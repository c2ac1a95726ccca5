"""templates `markdown`, `splitFrontMatter` and `httpInclude`: pages served by caddy and
caddy-py from the same files, compared; plus the cases whose Caddy answer cannot be compared
byte for byte (errors, syntax highlighting)."""
from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from caddy_py.modules.templates.frontmatter import split_front_matter
from caddy_py.modules.templates.gotemplate import TemplateError
from caddy_py.modules.templates.markdown import heading_id, render
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, fetch

pytestmark = pytest.mark.timeout(60)

DOC = """---
title: Hello
tags: [a, b]
n: 3
when: 2024-01-02
flag: yes
octal: 0o17
none: ~
---
# Hello World!

Some *em* and **strong** and ~~strike~~ text, `code`, a [link](http://x.org "t"), an ![img](/i.png).
Visit www.example.com or https://example.org/path.
A hard break\\
above.

| a | b | c |
|---|:-:|--:|
| 1 | 2 | 3 |

- [ ] todo
- [x] done

1. one
2. two

> quote

```
plain code <b>
```

```nosuchlang
x & y
```

Footnote[^1] and another[^n].

[^1]: The note.
[^n]: Second.

<div class="raw">html</div>

***

## Hello World!
### Ünïcode & stuff_here `x`
"""

EDGE = """Setext
======

~single~ and ~~double~~ and foo@bar.com and <https://auto.link> and http://x.y/a_(b).

* a
  * nested
* b

  loose

- [ ] task in **bold**
- [X] upper

Heading with [link](/x) and `code`
----------------------------------

# Emoji :smile: &amp; &copy; &#35;

![alt *text*](/img.png "title")

Line with trailing spaces  
next.

<details>
<summary>s</summary>

inner *md*

</details>

| no | align |
|----|-------|
| `a|b` | \\| |

Term[^note] twice[^note].

[^note]: Multi
    paragraph.

    Second para.

www.commonmark.org/help, Visit www.example.com/a?b=c.
"""

PAGES = {
    'y2.md': '---\nempty:\nml: |\n  line1\n  line2\nq: "123"\nfl: 2.50\nbig: 12345678901234567890\nanchor: &a {x: 1}\nref: *a\nlist:\n  - a: 1\n  - b\nneg: -0.0\ninf: .inf\n---\nB',
    't3.md': '+++\nd = 1979-05-27T07:32:00Z\nld = 1979-05-27\nldt = 1979-05-27T07:32:00.5\nlt = 07:32:00\noff = 1979-05-27T00:32:00-07:00\nf = 3.0\n[[arr]]\nn = 1\n[[arr]]\nn = 2\n+++\nT',
    'crlf.md': '---\r\nk: v\r\n---\r\nbody',
    'e.md': '---\n---\nempty',
    'fm3.html': '{{range $f := list "y2.md" "t3.md" "crlf.md" "e.md"}}{{$d := splitFrontMatter (include $f)}}[{{$d.Meta}}|{{$d.Body}}]\n{{end}}',
    "edge.md": EDGE,
    "edge.html": '{{markdown (include "edge.md")}}',
    "doc.md": DOC,
    "t.md": '+++\ntitle = "T"\nlist = [1, 2]\n[sub]\nk = "v"\n+++\nbody',
    "j.md": '{\n"title": "J", "x": [1, {"y": 2}]\n}\nbody',
    "dots.md": "  \n---\nk: v\n...\nafter",
    "fm.html": '{{$d := splitFrontMatter (include "doc.md")}}{{$d.Meta.title}}|{{$d.Meta.tags}}|{{$d.Meta}}'
               '|{{add $d.Meta.octal 1}}|{{len $d.Body}}',
    "md.html": '{{$d := splitFrontMatter (include "doc.md")}}{{markdown $d.Body}}',
    "fm2.html": '{{range $f := list "t.md" "j.md" "dots.md"}}{{$d := splitFrontMatter (include $f)}}'
                '[{{$d.Meta}}|{{$d.Body}}]{{end}}{{splitFrontMatter "no fence\\n---\\nx"}}',
    "inc.html": '[{{httpInclude "/fm.html"}}] [{{httpInclude "/part.html?q=1"}}]',
    "part.html": "{{.Req.URL.RawQuery}} {{.RemoteIP}} {{.Req.Header.Get \"Caddy-Templates-Include\"}} "
                 "{{.Req.Header.Get \"Accept-Encoding\"}} {{`{{.Req.Method}}`}}",
    "deep.html": "<{{httpInclude \"/deep2.html\"}}>",
    "deep2.html": "<{{httpInclude \"/part.html\"}}>",
    "loop.html": '<{{httpInclude "/loop.html"}}>',
    "missing.html": '[{{httpInclude "/nothere.html"}}]',
    "bad.html": '{{splitFrontMatter "---\\ntitle: x\\nno end"}}',
}
CADDYFILE = """{{
\tadmin off
}}
:{port} {{
\troot * {root}
\ttemplates
\tfile_server
}}
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    for name, text in PAGES.items():
        (root / name).write_text(text, newline="")  # crlf.md keeps its CRLFs
    return root


async def test_template_functions_match_caddy(caddy_bin, caddy_env, tmp_path, site) -> None:
    async with Pair(caddy_bin, tmp_path, caddy_env, lambda port: CADDYFILE.format(port=port, root=site)) as pair:
        await assert_same(pair, [
            Req("GET", "/fm.html"), Req("GET", "/md.html"), Req("GET", "/fm2.html"), Req("GET", "/inc.html"),
            Req("GET", "/deep.html", headers={"Accept-Encoding": "gzip"}), Req("GET", "/edge.html"),
            Req("GET", "/fm3.html"),
        ], ("Content-Type", "Content-Length"))
        async with aiohttp.ClientSession() as s:
            for path in ("/loop.html", "/missing.html", "/bad.html"):
                async with s.get(f"http://127.0.0.1:{pair.ports['py']}{path}") as r:
                    assert r.status == 500, path


async def test_include_depth_stops_at_three(serve, site) -> None:
    served = await serve({"admin": {"disabled": True}, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:0"], "automatic_https": {"disable": True},
        "routes": [{"handle": [{"handler": "templates", "file_root": str(site)},
                               {"handler": "file_server", "root": str(site)}]}]}}}}})
    port = served.runtime.current.http_ports()["s"][0]
    status, _, body = await fetch(port, Req("GET", "/deep.html"), ())
    # part.html's output is rendered again by each includer: its literal action runs there
    assert (status, body) == (200, b"<< 127.0.0.1 2 identity GET>>")
    status, _, body = await fetch(port, Req("GET", "/deep.html", headers={"Caddy-Templates-Include": "1"}), ())
    assert (status, body) == (200, b"<< 127.0.0.1 3 identity GET>>")
    status, _, body = await fetch(port, Req("GET", "/deep.html", headers={"Caddy-Templates-Include": "2"}), ())
    assert status == 500  # deep2.html is then the third level and may not include again


def test_highlighting_is_laid_out_as_chroma() -> None:
    out = render('```go\nfunc main() {\n\treturn "<x>"\n}\n```\n')
    assert out.startswith('<pre class="chroma"><code><span class="line"><span class="cl"><span class="kd">func</span>')
    assert out.count('<span class="line"><span class="cl">') == 3
    assert "&#34;&lt;x&gt;&#34;" in out and out.endswith("</span></span></code></pre>")


@pytest.mark.parametrize("text, want", [
    ("Hello World!", "hello-world"), ("Ünïcode & stuff_here", "ncode--stuff-here"), ("!!!", "heading"),
])
def test_heading_ids_as_goldmark(text: str, want: str) -> None:
    assert heading_id(text, set()) == want


def test_front_matter_errors() -> None:
    with pytest.raises(TemplateError, match="unterminated front matter"):
        split_front_matter("---\na: b\n")
    with pytest.raises(TemplateError):
        split_front_matter("+++\n= nope\n+++\n")
    doc = split_front_matter("\n\n---\na: 1\n---\nrest")
    assert (doc.Meta, doc.Body) == ({"a": 1}, "\nrest")
