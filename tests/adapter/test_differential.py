"""Differential tests: for each Caddyfile here, `caddy-py adapt` must print exactly what the real
`caddy adapt --pretty` prints, or fail with the same error message."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.adapter.oracle import Outcome, assert_same_outcome, caddy_outcomes_for

CASES: dict[str, str] = {
    "bare_port": ':8080 {\n\trespond "hi"\n}\n',
    "hostname": 'example.com {\n\trespond "hi"\n}\n',
    "two_hosts_one_block": 'a.example.com, b.example.com {\n\trespond "hi"\n}\n',
    "http_scheme": 'http://example.com {\n\trespond "hi"\n}\n',
    "http_scheme_and_https": 'http://a.com, https://b.com {\n\trespond "hi"\n}\n',
    "host_with_port": 'example.com:8443 {\n\trespond "hi"\n}\n',
    "ip_host_port": '127.0.0.1:9000 {\n\trespond "hi"\n}\n',
    "ipv6_host": '[::1]:9000 {\n\trespond "hi"\n}\n',
    "server_ordering": ':10000 {\n\trespond a\n}\n:443 {\n\trespond b\n}\n:80 {\n\trespond c\n}\n'
                       ':8080 {\n\trespond d\n}\n:9000 {\n\trespond e\n}\n',
    "site_specificity": '*.example.com {\n\trespond w\n}\nfoo.example.com {\n\trespond f\n}\n'
                        'example.com {\n\trespond e\n}\n:443 {\n\trespond c\n}\n',
    "path_in_address": 'example.com/foo {\n\trespond a\n}\nexample.com/bar {\n\trespond b\n}\n',
    "named_matcher_block": ':8080 {\n\t@api {\n\t\tpath /api/*\n\t\tmethod GET POST\n\t}\n\trespond @api "api"\n'
                           '\trespond "other"\n}\n',
    "named_matcher_line": ':8080 {\n\t@p path /a /b\n\trespond @p 200\n}\n',
    "expression_shorthand": ':8080 {\n\t@e `{path} == "/y"`\n\trespond @e "y"\n}\n',
    "not_matcher": ':8080 {\n\t@n not path /x/*\n\trespond @n "n"\n}\n',
    "not_block": ':8080 {\n\t@n {\n\t\tnot {\n\t\t\tpath /a\n\t\t\thost b.com\n\t\t}\n\t}\n\trespond @n "n"\n}\n',
    "matchers_many": ':8080 {\n\t@m {\n\t\theader X-Foo bar\n\t\theader !X-Gone\n\t\tquery a=1 b=2\n'
                     '\t\tremote_ip 10.0.0.0/8 private_ranges\n\t\tclient_ip 1.2.3.4\n\t\tprotocol https\n'
                     '\t\theader_regexp x-h ^a\n\t\tpath_regexp ^/re\n\t\tvars {x} y\n\t\tvars_regexp {y} ^z\n'
                     '\t\tfile {\n\t\t\troot /srv\n\t\t\ttry_files {path} /index.html\n\t\t}\n\t}\n'
                     '\trespond @m 200\n}\n',
    "repeated_matcher_types": ':8080 {\n\t@m {\n\t\tpath /a\n\t\tpath /b\n\t}\n\trespond @m 200\n}\n',
    "path_matcher_token_sort": ':8080 {\n\trespond /a* "a"\n\trespond /abc/* "abc"\n\trespond /ab "ab"\n'
                               '\trespond "all"\n}\n',
    "vars_reverse": ':8080 {\n\tvars a 1\n\tvars b 2\n\tvars c 3\n\tvars /x d 4\n\trespond "x"\n}\n',
    "handle_groups": ':8080 {\n\thandle /a* {\n\t\trespond "a"\n\t}\n\thandle {\n\t\trespond "b"\n\t}\n}\n',
    "nested_groups": ':8080 {\n\thandle /a* {\n\t\thandle /a/b* {\n\t\t\trespond "ab"\n\t\t}\n\t\thandle {\n'
                     '\t\t\trespond "a"\n\t\t}\n\t}\n\thandle {\n\t\troute {\n\t\t\trespond "r"\n\t\t}\n\t}\n}\n',
    "root_groups": ':8080 {\n\troot * /srv\n\troot /x/* /other\n\trespond "r"\n}\n',
    "shorthands": ':8080 {\n\trespond "{host} {path} {header.X-Foo} {query.q} {re.n.1} {vars.v} {uri}"\n}\n',
    "host_matcher_inside": ':8080 {\n\t@h host example.com\n\trespond @h "h"\n}\n',
    "unknown_directive": ':8080 {\n\trespnd "hi"\n}\n',
    "bad_matcher_name": ':8080 {\n\trespond @nope "hi"\n}\n',
    "matcher_outside": '@m path /x\n',
    "ws_scheme": 'ws://example.com {\n\trespond "hi"\n}\n',
    "bad_port": 'example.com:99999 {\n\trespond "hi"\n}\n',
    "ambiguous_site": 'example.com {\n\trespond a\n}\nexample.com {\n\trespond b\n}\n',
    "duplicate_matcher": ':8080 {\n\t@a path /a\n\t@a path /b\n\trespond @a 200\n}\n',
    "http_https_conflict": 'http://a.com:8080, https://b.com:8080 {\n\trespond "x"\n}\n',
    "named_route": '&(app) {\n\trespond "app"\n}\n:8080 {\n\tinvoke app\n}\n',
    "handle_errors": ':8080 {\n\trespond /x 404\n\thandle_errors {\n\t\trespond "err {err.status_code}"\n\t}\n}\n',
    "global_options": '{\n\thttp_port 8081\n\thttps_port 8444\n\tdebug\n}\nexample.com {\n\trespond "x"\n}\n',
    "auto_https_off": '{\n\tauto_https off\n}\nexample.com {\n\trespond "x"\n}\n',
    "tls_internal_bare_port": ':8080 {\n\ttls internal\n\trespond "x"\n}\n',
    "mixed_hosts_8443": 'a.com:8443, :8443 {\n\trespond "x"\n}\n',
    "bind": 'example.com {\n\tbind 127.0.0.1 ::1\n\trespond "x"\n}\n',
    "unformatted": ':8080 {\nrespond "hi"\n}\n',
    "single_site_no_braces": ':8080\nrespond "hi"\n',
    "vars_25_reversed": ":8080 {\n" + "".join(f"\tvars v{i} {i}\n" for i in range(25)) + "\trespond x\n}\n",
    "vars_mixed_matchers": ":8080 {\n\tvars /a* a 1\n\tvars b 2\n\tvars /abc c 3\n\tvars /a d 4\n\trespond x\n}\n",
    "handle_errors_matchers": ":8080 {\n\thandle_errors 404 {\n\t\trespond \"nf\"\n\t}\n\thandle_errors {\n"
                              "\t\trespond \"any\"\n\t}\n\thandle_errors 5xx {\n\t\trespond \"five\"\n\t}\n}\n",
    "errors_two_sites": "a.com {\n\thandle_errors {\n\t\trespond \"a\"\n\t}\n}\nb.com {\n\trespond b\n}\n",
    "named_route_nested": "&(inner) {\n\trespond inner\n}\n&(outer) {\n\tinvoke inner\n\trespond /o outer\n}\n"
                          "a.com {\n\tinvoke outer\n}\nb.com {\n\troute {\n\t\tinvoke inner\n\t}\n}\n",
    "named_route_undefined": ":8080 {\n\tinvoke nope\n}\n",
    "logs_skip_hosts": "a.com {\n\tlog\n\trespond a\n}\nb.com, c.com:8443 {\n\trespond b\n}\nd.com {\n\trespond d\n}\n",
    "logs_catch_all": ":8080 {\n\tlog\n\trespond a\n}\n",
    "http_and_80": "http://a.com {\n\trespond a\n}\n:80 {\n\trespond b\n}\nhttp:// {\n\trespond c\n}\n",
    "bind_unix": ":8080 {\n\tbind unix//run/x.sock tcp/127.0.0.1\n\trespond a\n}\n",
    "ipv6_normalize": "[0:0::1]:9000 {\n\trespond a\n}\n",
    "uppercase_host": "EXAMPLE.com {\n\trespond a\n}\n",
    "wildcard_and_localhost": "*.example.com, localhost {\n\trespond a\n}\n",
    "unspecified_ip": "0.0.0.0:8080 {\n\trespond a\n}\n",
    "redir_abort_error": ":8080 {\n\tredir /old /new 301\n\tabort /x\n\terror /e 500\n\trespond ok\n}\n",
    "root_and_rewrite_groups": ":8080 {\n\troot * /srv\n\troute /r* {\n\t\troot /x /y\n\t\trespond r\n\t}\n"
                               "\thandle /h {\n\t\trespond h\n\t}\n\trespond x\n}\n",
    "route_unordered_ok": ":8080 {\n\troute {\n\t\trespond /b b\n\t\tvars x 1\n\t}\n}\n",
    "same_matcher_consolidated": ":8080 {\n\t@a path /a\n\tvars @a x 1\n\trespond @a a\n}\n",
    "scheme_port_conflict": "http://a.com:443 {\n\trespond a\n}\n",
    "unsupported_scheme": "ftp://a.com {\n\trespond a\n}\n",
    "site_path_sort": "a.com/x/*, a.com {\n\trespond a\n}\na.com/x/y/* {\n\trespond b\n}\n",
    "directive_as_address": "respond hi\n",
    "placeholder_host": "{$NOPE_UNSET:fallback}.com {\n\trespond a\n}\n",
    "default_sni": "{\n\tdefault_sni a.com\n}\na.com:8443 {\n\trespond a\n}\n",
    "shorthand_all": ":8080 {\n\trespond \"{hostport} {port} {orig_method} {orig_uri} {orig_path} {orig_dir} "
                     "{orig_file} {orig_query} {orig_?query} {method} {%uri} {%path} {dir} {file} {%query} "
                     "{?query} {remote} {remote_host} {remote_port} {scheme} {uuid} {tls_cipher} {client_ip} "
                     "{cookie.c} {labels.1} {path.0} {file.base} {rp.status_code} {resp.header.x} "
                     "{err.message} {file_match.relative} {upstream_hostport}\"\n}\n",
    "nested_unknown_directive": ":8080 {\n\thandle /a {\n\t\trespnd x\n\t}\n}\n",
    "nested_bad_matcher": ":8080 {\n\troute {\n\t\trespond @nope x\n\t}\n}\n",
    "scoped_matcher": ":8080 {\n\troute {\n\t\t@m path /x\n\t\trespond @m x\n\t}\n\trespond y\n}\n",
    "matcher_from_outer_scope": ":8080 {\n\t@m path /x\n\thandle {\n\t\trespond @m x\n\t}\n}\n",
    "args_after_handle": ":8080 {\n\thandle /a b {\n\t\trespond x\n\t}\n}\n",
    "listener_protocols_quirk": "a.com {\n\tbind 127.0.0.1 {\n\t\tprotocols h1 h2\n\t}\n\trespond a\n}\nb.com {\n"
                                "\tbind 127.0.0.1 {\n\t\tprotocols h3\n\t}\n\trespond b\n}\n",
    "many_sites_srv10": "".join(f":{9000 + i} {{\n\trespond {i}\n}}\n" for i in range(12)),
    "header_matcher_not_value": ":8080 {\n\t@h header !X-A v\n\trespond @h x\n}\n",
    "query_bad": ":8080 {\n\t@q query novalue\n\trespond @q x\n}\n",
    "unknown_matcher_module": ":8080 {\n\t@q nosuch x\n\trespond @q x\n}\n",
    "expression_multi_token": ":8080 {\n\t@e expression {path} == '/x'\n\trespond @e x\n}\n",
    "not_with_expression": ":8080 {\n\t@n not `{path} == '/x'`\n\trespond @n x\n}\n",
    "big_ints_become_float64": ":8080 {\n\tvars x 9007199254740993\n\tvars y 123456789012345678901234\n}\n",
    'dup_named_route': '&(a) {\n\trespond a\n}\n&(a) {\n\trespond b\n}\n:8080 {\n\tinvoke a\n}\n',
    'named_route_empty': '&(a) {\n}\n:8080 {\n\tinvoke a\n}\n',
    'named_route_self': '&(a) {\n\tinvoke a\n}\n:8080 {\n\tinvoke a\n}\n',
    'named_route_matchers': '&(a) {\n\t@x path /x\n\trespond @x x\n}\n:8080 {\n\tinvoke a\n}\n',
    'named_route_handle_errors': '&(a) {\n\thandle_errors {\n\t\trespond e\n\t}\n}\n:8080 {\n\tinvoke a\n}\n',
    'invoke_in_handle_errors': '&(a) {\n\trespond a\n}\n:8080 {\n\thandle_errors {\n\t\tinvoke a\n\t}\n}\n',
    'global_after_site': ':8080 {\n\trespond a\n}\n{\n\tdebug\n}\n',
    'only_global': '{\n\tdebug\n}\n',
    'snippet_and_site': '(s) {\n\trespond s\n}\n:8080 {\n\timport s\n}\n',
    'matcher_def_inside_route_scope_leak': ':8080 {\n\troute {\n\t\t@m path /m\n\t}\n\trespond @m x\n}\n',
    'handle_no_block': ':8080 {\n\thandle\n}\n',
    'handle_empty_block': ':8080 {\n\thandle /x {\n\t}\n}\n',
    'route_with_args': ':8080 {\n\troute /x y {\n\t\trespond x\n\t}\n}\n',
    'order_option': '{\n\torder respond first\n}\n:8080 {\n\tvars a b\n\trespond x\n}\n',
    'order_before': '{\n\torder vars before respond\n\torder header last\n}\n:8080 {\n\theader X 1\n\tvars a b\n\trespond x\n}\n',
    'order_unknown': '{\n\torder nope first\n}\n:8080 {\n\trespond x\n}\n',
    'servers_name': '{\n\tservers :8080 {\n\t\tname main\n\t}\n}\n:8080 {\n\trespond x\n}\n:9090 {\n\trespond y\n}\n',
    'servers_dup': '{\n\tservers :8080 {\n\t\tname a\n\t}\n\tservers :8080 {\n\t\tname b\n\t}\n}\n:8080 {\n\trespond x\n}\n',
    'metrics_global_and_server': '{\n\tmetrics {\n\t\tper_host\n\t}\n\tservers {\n\t\tmetrics\n\t}\n}\n:8080 {\n\trespond x\n}\n',
    'log_hostnames': 'a.com, b.com:8443 {\n\tlog {\n\t\thostnames x.com y.com\n\t}\n\trespond x\n}\nc.com {\n\trespond c\n}\n',
    'log_no_hostname': 'a.com {\n\tlog {\n\t\tno_hostname\n\t}\n\trespond x\n}\n',
    'log_named': 'a.com {\n\tlog foo {\n\t\toutput stderr\n\t}\n\trespond x\n}\n:8080 {\n\tlog\n\trespond y\n}\n',
    'debug_with_log': '{\n\tdebug\n\tlog {\n\t\toutput stderr\n\t}\n}\na.com {\n\tlog\n\trespond x\n}\n',
    'storage': '{\n\tstorage file_system /tmp/x\n}\n:8080 {\n\trespond x\n}\n',
    'admin_off_persist': '{\n\tadmin off\n\tpersist_config off\n}\n:8080 {\n\trespond x\n}\n',
    'persist_only': '{\n\tpersist_config off\n}\n:8080 {\n\trespond x\n}\n',
    'grace': '{\n\tgrace_period 10s\n\tshutdown_delay 5s\n}\n:8080 {\n\trespond x\n}\n',
    'http_scheme_skip': 'http://a.com:8080, a.com:8443 {\n\trespond x\n}\n',
    'http_only_port80_skip': 'http://a.com, http://b.com {\n\trespond x\n}\n',
    'tls_force_automate': '*.a.com {\n\ttls {\n\t\tissuer internal\n\t}\n}\nx.a.com {\n\ttls force_automate\n\trespond x\n}\n',
    'client_auth_shield': '*.a.com {\n\ttls {\n\t\tclient_auth {\n\t\t\tmode require\n\t\t}\n\t}\n\trespond w\n}\nx.a.com {\n\trespond x\n}\n',
    'two_servers_invoke': '&(a) {\n\trespond a\n}\n:8080 {\n\tinvoke a\n}\n:9090 {\n\trespond b\n}\nx.com {\n\tinvoke a\n}\n',
    'not_unknown': ':8080 {\n\t@n not nosuch x\n\trespond @n x\n}\n',
    'not_empty_block': ':8080 {\n\t@n not {\n\t}\n\trespond @n x\n}\n',
    'not_quoted_multi': ':8080 {\n\t@n {\n\t\tnot `{a}` `{b}`\n\t}\n\trespond @n x\n}\n',
    'matcher_block_and_args': ':8080 {\n\t@m path /a {\n\t\tmethod GET\n\t}\n\trespond @m x\n}\n',
    'matcher_name_only': ':8080 {\n\t@m\n\trespond @m x\n}\n',
    'matcher_quoted_then_more': ':8080 {\n\t@m "{a}" more\n\trespond @m x\n}\n',
    'matcher_in_handle_redefined': ':8080 {\n\t@m path /a\n\thandle {\n\t\t@m path /b\n\t\trespond @m x\n\t}\n}\n',
    'matcher_token_star_then_arg': ':8080 {\n\trespond * hi\n}\n',
    'matcher_token_path_brace': ':8080 {\n\trespond /{x} hi\n}\n',
    "escapes": ':8080 {\n\trespond "<a href=\'x\'>&amp;</a> \\u2028"\n}\n',
}



def _many_routes(n: int, seed: int, directive: str = "vars") -> str:
    """n routes of one directive with mixed matchers: Go's SliceStable (insertion-sorted blocks
    of 20, then SymMerge) with the inconsistent `vars` comparator decides their order."""
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        m = rnd.choice(["", "", "/a", "/a*", "/abc", "/b/*", "@m", "/abcd*"])
        lines.append(f"\t{directive} {m + ' ' if m else ''}v{i} {i}" if directive == "vars"
                     else f"\t{directive} {m + ' ' if m else ''}r{i}")
    return ":8080 {\n\t@m path /m\n" + "\n".join(lines) + "\n\trespond x\n}\n"


CASES.update({f"vars_sort_{n}_{seed}": _many_routes(n, seed) for n in (21, 40, 45, 67, 130) for seed in (1, 2)})
CASES.update({f"respond_sort_{n}": _many_routes(n, 9, "respond") for n in (45, 90)})

# Site key forms: each becomes `KEY {\n\trespond x\n}`.
SITE_KEYS = ["ÉXAMPLE.com", "İSTANBUL.com", "ΣΑΣ.gr", "xn--bcher-kva.example", "[fe80::1%eth0]:8080",
             "[::ffff:1.2.3.4]:80", "[2001:DB8::1]", "127.0.0.1:0", ":0", "localhost:65535", "*:8080",
             "a.com:-1", "a.com:+80", "a.com:080", "http://a.com:443", "https://:80", "unix//x.sock",
             "a.com/path/*", "a.com:8080/x", "{env.HOST}", "a.com:", "[::1", "::1", "http://[::1]", "A.com.",
             "HTTPS://A.COM", "a.com:99999999999999999999", "wss://a.com", "ftp://a.com"]
CASES.update({f"key_{i:02d}": f"{k} {{\n\trespond x\n}}\n" for i, k in enumerate(SITE_KEYS)})

# Matcher bodies: each is used in a `@m { ... }` block, in a flat route (struct key order) and
# under a host (inside a subroute, where Go sorts every key).
MATCHER_BODIES = [
    "header x_y a", "header X-ÄÖ a", "header x-a a\n\t\theader X-A b", "header", "header x", "header !",
    "header !x y", "query =a", "query a=1=2", "query a", "query a=", 'query ""', "path", "method get post",
    "protocol", "protocol a b", "tls", "tls early_data", "tls foo", "tls early_data x", "remote_ip forwarded",
    "remote_ip", "client_ip private_ranges 1.1.1.1", "file",
    "file a b {\n\t\t\ttry_policy smallest_size\n\t\t\tsplit_path .php\n\t\t\troot /r\n\t\t}",
    "file {\n\t\t\tnope\n\t\t}", "not", "not {\n\t\t\tpath /a\n\t\t}\n\t\tnot path /b",
    "vars_regexp nm {x} ^a", "vars_regexp {x}", "header_regexp h ^a\n\t\theader_regexp h ^b",
    "header_regexp n h ^a", "path_regexp ^a\n\t\tpath_regexp ^b", "path_regexp a b c", "path_regexp n ^a",
    "expression `{a}` `{b}`", "expression", "vars x", "vars x 1 2\n\t\tvars x 3", "url_pattern /a/:id",
    "url_pattern /x {\n\t\t\tignore_case\n\t\t\tbase_url http://a\n\t\t}", "host a.com\n\t\thost b.com",
    "host a.com {\n\t\t\tx\n\t\t}", "nosuch",
]
for i, body in enumerate(MATCHER_BODIES):
    CASES[f"matcher_{i:02d}_flat"] = f":8080 {{\n\t@m {{\n\t\t{body}\n\t}}\n\trespond @m x\n}}\n"
    CASES[f"matcher_{i:02d}_sub"] = f"a.com:8080 {{\n\t@m {{\n\t\t{body}\n\t}}\n\trespond @m x\n}}\n"


@pytest.fixture(scope="module")
def caddy_outcomes(caddy_bin: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return caddy_outcomes_for(caddy_bin, CASES, tmp_path_factory.mktemp("caddy_oracle"), workers=4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_caddy(name: str, tmp_path: Path, caddy_outcomes: dict[str, Outcome]) -> None:
    assert_same_outcome(CASES[name], tmp_path, caddy_outcomes[name])
