"""The adapter's shortcuts keep Caddy's results: site blocks sorted by a key instead of Go's
comparator, the formatter taking whole plain lines at once, the benchmark's Caddyfile shape
adapted exactly as `caddy adapt` does, and no reference cycles left for the collector."""
from __future__ import annotations

import gc
import importlib.util
import random
import subprocess
from pathlib import Path
from types import SimpleNamespace

from caddy_py.httpcaddyfile.adapter import adapt
from caddy_py.httpcaddyfile.gosort import slice_stable
from caddy_py.httpcaddyfile.httptype import _sort_site_blocks, specificity

from .test_fmt_runs import assert_formats_as_caddy_fmt

ROOT = Path(__file__).resolve().parents[2]


def bench_caddyfile(n: int) -> str:
    spec = importlib.util.spec_from_file_location("bench_adapt_sites", ROOT / "bench" / "adapt" / "sites.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.caddyfile(n)


def go_site_block_less(a: SimpleNamespace, b: SimpleNamespace) -> bool:
    """httptype.go's comparator for sort.SliceStable over site blocks, as Caddy writes it."""
    def info(sb: SimpleNamespace) -> tuple[str, str, bool]:
        host = path = ""
        wildcard = False
        for k in sb.parsed_keys:
            wildcard = wildcard or "*" in k.host or not k.host
            if specificity(k.host) > specificity(host):
                host = k.host
            if specificity(k.path) > specificity(path):
                path = k.path
        return host, path, wildcard

    ih, ip, iw = info(a)
    jh, jp, jw = info(b)
    if specificity(ih) == 0:
        return False
    if specificity(jh) == 0:
        return True
    if iw != jw:
        return jw and not iw
    if specificity(ih) == specificity(jh):
        return len(ip.encode()) > len(jp.encode())
    return specificity(ih) > specificity(jh)


def test_site_block_order_is_gos() -> None:
    rnd = random.Random(3)
    hosts = ["", "a.com", "b.com", "*.a.com", "x.*.a.com", "{env.H}.com", "é.org", "localhost", "10.0.0.1", "ab.com"]
    paths = ["", "/a", "/abc*", "/{x}/y", "/é"]
    for _ in range(300):
        blocks = [SimpleNamespace(n=i, parsed_keys=[SimpleNamespace(host=rnd.choice(hosts), path=rnd.choice(paths))
                                                    for _ in range(rnd.randint(1, 3))])
                  for i in range(rnd.randint(1, 60))]
        expected = list(blocks)
        slice_stable(expected, go_site_block_less)
        _sort_site_blocks(blocks)
        assert [b.n for b in blocks] == [b.n for b in expected]


LINES = ["a.com {", "}", "\treverse_proxy :9000", "\t\tlb_policy first", "import x", "import x {", "\t", "",
         "x y  z", "\tfile_server {", "a {b", "x }", "\t}  ", "@m path /a", "  \t respond ok", "{", "x<y",
         "c #d", "\"q\" r", "\\e f", "`g h`", "i {", "<<EOF", "EOF", "j\xa0k"]


def test_plain_lines_format_as_caddy_fmt(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    rnd = random.Random(11)
    cases = ["\n".join(rnd.choice(LINES) for _ in range(rnd.randint(1, 25))).encode() + rnd.choice([b"", b"\n"])
             for _ in range(150)]
    assert_formats_as_caddy_fmt(cases, tmp_path, caddy_bin, caddy_env)


def test_bench_shape_same_as_caddy(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    """The benchmark's file (here 60 sites: intranet, redirect and port variants all occur)."""
    (tmp_path / "Caddyfile").write_text(bench_caddyfile(60))
    for pretty in (False, True):
        p = subprocess.run([caddy_bin, "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"]
                           + (["--pretty"] if pretty else []), cwd=tmp_path, capture_output=True, text=True,
                           env=caddy_env, timeout=60)
        assert p.returncode == 0, p.stderr
        text, warnings = adapt((tmp_path / "Caddyfile").read_bytes(), "Caddyfile", pretty)
        assert text + "\n" == p.stdout
        assert warnings == []


def test_adapt_leaves_no_cyclic_garbage() -> None:
    """Everything adapting allocates is freed by reference counting: the cyclic collector,
    paused while adapting, finds nothing to do afterwards (it once had to walk every token)."""
    data = bench_caddyfile(30).encode() + b"(snip) {\n\trespond {args[0]}\n}\nz.com {\n\timport snip hi\n\tvars a b\n}\n"
    adapt(data, "Caddyfile")  # imports and lazily built tables first
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        adapt(data, "Caddyfile")
        assert gc.collect() == 0
    finally:
        if was_enabled:
            gc.enable()


LEX_PIECES = ["a", "b.com", "{", "}", " ", "\t", "\n", "\n\n", "\\", "\\\n", '"', '"x y"', "`", "`q`", "#", "# c",
              "<<EOF\n", "<<EOF", "EOF", "\r", "\r\n", "\xa0", "\x1c", "é", "<", "<<", 'a"b', "x#y", "{}", "\\\\",
              "  ", "\t\t", "{args[0]}", "\u2028"]


def test_lexer_plain_lines_shortcut(monkeypatch) -> None:
    """Lexing whole plain lines at once gives the tokens (text, line, quote) and errors of the
    lexeme-by-lexeme scan."""
    import re

    from caddy_py.caddyfile import lexer
    from caddy_py.caddyfile.errors import CaddyfileError

    def lex(text: str) -> object:
        try:
            return [(t.text, t.line, t.quote, t.heredoc_marker) for t in lexer.tokenize(text, "f")]
        except CaddyfileError as e:
            return str(e)

    rnd = random.Random(5)
    cases = ["".join(rnd.choice(LEX_PIECES) for _ in range(rnd.randint(1, 30))) for _ in range(3000)]
    fast = [lex(c) for c in cases]
    monkeypatch.setattr(lexer, "_PLAIN_LINES", re.compile(r"(?!)"))
    assert [lex(c) for c in cases] == fast


def test_canonical_header_key_is_gos() -> None:
    from caddy_py.httpcaddyfile.matchers import canonical_header_key

    def go(key: str) -> str:  # textproto.CanonicalMIMEHeaderKey, rune by rune
        token = set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        if any(c not in token for c in key):
            return key
        out, upper = [], True
        for c in key:
            out.append(c.upper() if upper else c.lower())
            upper = c == "-"
        return "".join(out)

    rnd = random.Random(2)
    for _ in range(3000):
        key = "".join(rnd.choice("aZ-x_9 é.:-") for _ in range(rnd.randint(0, 8)))
        assert canonical_header_key(key) == go(key), key
