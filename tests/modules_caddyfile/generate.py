"""Random but reproducible handler directives: each block picks sub-directives of one directive
with arguments drawn from values that parse, fail to parse, or sit on a boundary, so the
differential test sees both outputs and error messages."""
from __future__ import annotations

import random

VALUES = ["", "0", "1", "-1", "3", "5s", "1m", "-2s", "abc", "2xx", "5x", "404", "{x}", "a:1", "@m",
          "1k", "256KiB", "unlimited", "off", "X-A", "+X-A", "-X-A", ">X-B", "?X-C", "^a", "/p", "*",
          "http://a", "https://b:8443", "h2c://c", "ws://d", "localhost:80-81", "unix//s.sock", "GET",
          "first", "random", "cookie", "header", "a", "file", "br", "gzip", "zstd", "best", "ipv4"]

SUBDIRECTIVES: dict[str, list[str]] = {
    "reverse_proxy": ["to", "dynamic a", "dynamic srv", "lb_policy", "lb_retries", "lb_try_duration",
                      "lb_try_interval", "lb_retry_match", "health_uri", "health_port", "health_interval",
                      "health_timeout", "health_status", "health_body", "health_method", "health_passes",
                      "health_fails", "health_upstream", "health_follow_redirects", "max_fails", "fail_duration",
                      "unhealthy_status", "unhealthy_latency", "unhealthy_request_count", "flush_interval",
                      "request_buffers", "response_buffers", "stream_buffer_size", "stream_timeout",
                      "stream_close_delay", "verbose_logs", "trusted_proxies", "header_up", "header_down",
                      "method", "rewrite", "transport http", "transport fastcgi", "replace_status",
                      "@m status", "handle_response"],
    "transport http": ["read_buffer", "write_buffer", "max_response_header", "dial_timeout", "keepalive",
                       "keepalive_idle_conns", "versions", "compression", "tls", "tls_server_name",
                       "tls_insecure_skip_verify", "tls_timeout", "tls_client_auth", "resolvers",
                       "proxy_protocol", "local_address", "tls_renegotiation"],
    "php_fastcgi": ["root", "split", "env", "index", "try_files", "dial_timeout", "resolve_root_symlink",
                    "capture_stderr", "lb_policy", "header_up", "to"],
    "forward_auth": ["uri", "copy_headers", "header_up", "lb_policy", "to"],
    "header": ["defer", "+X-A", "-X-A", "?X-C", ">X-B", "X-D", "match status"],
    "file_server": ["fs", "hide", "index", "root", "browse", "precompressed", "status", "pass_thru",
                    "disable_canonical_uris", "etag_file_extensions"],
    "encode": ["gzip", "zstd", "minimum_length", "match status", "br"],
    "uri": [],
    "request_body": ["max_size", "set"],
    "templates": ["mime", "between", "root"],
    "intercept": ["@m status", "replace_status", "handle_response"],
    "acme_server": ["ca", "lifetime", "resolvers", "challenges", "allow_wildcard_names", "sign_with_root"],
    "map": ["a.com", "~.*", "default", "x"],
    "push": ["GET", "HEAD", "/a", "headers"],
    "headers": ["+X-A", "-X-A", "X-D", "?X-C"],
    "tracing": ["span", "span_attributes", "nope"],
    "span_attributes": ["a", "b"],
    "timeouts": ["read_timeout", "write_timeout", "max_write_chunk"],
    "basic_auth": ["bob", "alice"],
    "try_files": ["policy"],
    "metrics": ["disable_openmetrics"],
    "copy_response": ["status"],
    "copy_response_headers": ["include", "exclude"],
}
HEAD_ARGS = {"reverse_proxy": ["a:1", "http://a", "https://a", "h2c://a", "localhost:80-81", ""],
             "php_fastcgi": ["a:9000", "unix//php.sock", ""], "forward_auth": ["auth:1", ""],
             "header": ["", "X-A b", "-Server"], "file_server": ["", "browse"], "encode": ["", "gzip", "zstd"],
             "uri": ["strip_prefix /a", "replace a b", "replace a b 2", "path_regexp a b", "query a b",
                     "query -a", "query a>b", "query", "nope"],
             "request_body": [""], "templates": [""], "intercept": [""], "acme_server": [""],
             "map": ["{host} {a}", "{host} {a} {b}", "{host}", "{host} {path}"], "push": ["", "/a.css"],
             "tracing": [""], "timeouts": [""], "basic_auth": ["", "bcrypt Realm", "argon2id", "md5"],
             "try_files": ["{path} /i.html", "{path}?x=1 /a", ""], "metrics": ["", "/m"],
             "rewrite": ["/a", "@m /b", "", "a b c"], "method": ["GET", ""], "handle_path": ["/a/*", "a"]}


_DUR, _INT, _SIZE = ["5s", "1m", "100ms", "1d"], ["0", "2", "10"], ["1k", "4KiB", "1MB"]
# arguments that usually parse, so most blocks get past their first line
GOOD: dict[str, list[str]] = {
    **{k: _DUR for k in ("lb_try_duration", "lb_try_interval", "health_interval", "health_timeout", "fail_duration",
                         "unhealthy_latency", "flush_interval", "stream_timeout", "stream_close_delay", "dial_timeout",
                         "keepalive", "tls_timeout", "lifetime")},
    **{k: _INT for k in ("lb_retries", "health_port", "health_passes", "health_fails", "max_fails",
                         "unhealthy_request_count", "keepalive_idle_conns", "minimum_length", "gzip")},
    **{k: _SIZE for k in ("request_buffers", "response_buffers", "stream_buffer_size", "read_buffer",
                          "write_buffer", "max_response_header", "max_size")},
    "to": ["b:2", "c:3 d:4"], "lb_policy": ["first", "random_choose 2", "weighted_round_robin 1 2", "header X",
                                           "query q", "cookie lb s", "round_robin"],
    "lb_retry_match": ["method POST", "path /a"], "health_uri": ["/h"], "health_status": ["2xx", "200"],
    "health_body": ["ok"], "health_method": ["HEAD"], "health_upstream": ["a:81"],
    "unhealthy_status": ["5xx 404"], "trusted_proxies": ["private_ranges", "10.0.0.0/8"],
    "header_up": ["X-A b", "-X-B", "+X-C d", "X-D a b", "Host {upstream_hostport}"],
    "header_down": ["-Server", "X-A b", "?X-C d"], "method": ["GET"], "rewrite": ["/x{uri}"],
    "replace_status": ["200", "@m 201"], "@m status": ["2xx", "404"], "versions": ["1.1 2", "h2c 2"],
    "compression": ["off"], "tls_server_name": ["a.com"], "tls_client_auth": ["c.pem k.pem", "a.com"],
    "resolvers": ["1.1.1.1"], "proxy_protocol": ["v1", "v2"], "local_address": ["10.0.0.1"],
    "tls_renegotiation": ["once"], "root": ["/srv"], "split": [".php"], "env": ["A b"], "index": ["i.php", "off"],
    "try_files": ["{path} index.php"], "uri": ["/auth"], "copy_headers": ["A B>C", "X"],
    "+X-A": ["a"], "-X-A": [""], "?X-C": ["c"], ">X-B": ["b", "a b"], "X-D": ["d", "^a b"],
    "match status": ["200"], "fs": ["f"], "hide": [".git"], "browse": ["", "t.html"],
    "precompressed": ["", "gzip br"], "status": ["404"], "etag_file_extensions": [".json"],
    "zstd": ["best", ""], "set": ["x"], "mime": ["text/html"], "between": ["[[ ]]"], "ca": ["local"],
    "challenges": ["http-01"], "a.com": ["1 2", "-"], "~.*": ["x"], "default": ["d", "1 2"], "x": ["y z"],
    "GET": ["/g"], "HEAD": ["/h"], "span": ["s"], "read_timeout": ["5s", "5s 100"], "write_timeout": ["1m"],
    "max_write_chunk": ["4k"], "bob": ["$2a$14$x"], "alice": ["$2a$14$y"], "policy": ["first_exist", "largest_size"],
    "include": ["A B"], "exclude": ["C"],
}


class HandlerBlockGenerator:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def args(self, most: int = 3) -> str:
        vals = [self.rnd.choice(VALUES) for _ in range(self.rnd.randint(0, most))]
        return " ".join(f'"{v}"' if v == "" else v for v in vals)

    def line(self, sub: str, depth: int) -> str:
        r = self.rnd
        if sub in SUBDIRECTIVES and depth < 2 and r.random() < 0.7:
            return f"{sub} {{\n{self.lines(sub, depth + 1)}}}"
        if sub == "handle_response":
            inner = r.choice(["respond 200", "copy_response 404", "copy_response_headers {\n\t\tinclude A\n\t}",
                              "copy_response {\n\t\tstatus 201\n\t}", "file_server", "header X a"])
            return f"handle_response {r.choice(['', '@m', '@x'])} {{\n\t{inner}\n}}"
        if sub in GOOD and r.random() < 0.85:
            return f"{sub} {r.choice(GOOD[sub])}".rstrip()
        return f"{sub} {self.args()}".rstrip()

    def lines(self, directive: str, depth: int) -> str:
        subs = SUBDIRECTIVES[directive]
        if not subs:
            return ""
        return "".join(self.line(self.rnd.choice(subs), depth) + "\n" for _ in range(self.rnd.randint(1, 4)))

    def directive(self) -> str:
        r = self.rnd
        name = r.choice(sorted(HEAD_ARGS))
        head = f"{name} {r.choice(HEAD_ARGS[name])}".rstrip()
        if name == "handle_path":
            return f"{head} {{\n{self.directive()}\n}}"
        body = self.lines(name, 0) if name in SUBDIRECTIVES and r.random() < 0.8 else ""
        return f"{head} {{\n{body}}}" if body else head

    def caddyfile(self) -> str:
        body = "\n".join(self.directive() for _ in range(self.rnd.randint(1, 2)))
        return ":8080 {\n@m path /m\n" + body + "\n}\n"
