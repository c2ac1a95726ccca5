"""Placeholder shorthands (`{host}`, `{header.X}`, `{re.name.1}`, ...) replaced by the full
placeholders in site-block and named-route tokens (Caddy's httpcaddyfile/shorthands.go)."""
from __future__ import annotations

import re

from caddy_py.caddyfile.token import Token

PLACEHOLDER_SHORTHANDS: tuple[tuple[str, str], ...] = (
    ("{host}", "{http.request.host}"),
    ("{hostport}", "{http.request.hostport}"),
    ("{port}", "{http.request.port}"),
    ("{orig_method}", "{http.request.orig_method}"),
    ("{orig_uri}", "{http.request.orig_uri}"),
    ("{orig_path}", "{http.request.orig_uri.path}"),
    ("{orig_dir}", "{http.request.orig_uri.path.dir}"),
    ("{orig_file}", "{http.request.orig_uri.path.file}"),
    ("{orig_query}", "{http.request.orig_uri.query}"),
    ("{orig_?query}", "{http.request.orig_uri.prefixed_query}"),
    ("{method}", "{http.request.method}"),
    ("{uri}", "{http.request.uri}"),
    ("{%uri}", "{http.request.uri_escaped}"),
    ("{path}", "{http.request.uri.path}"),
    ("{%path}", "{http.request.uri.path_escaped}"),
    ("{dir}", "{http.request.uri.path.dir}"),
    ("{file}", "{http.request.uri.path.file}"),
    ("{query}", "{http.request.uri.query}"),
    ("{%query}", "{http.request.uri.query_escaped}"),
    ("{?query}", "{http.request.uri.prefixed_query}"),
    ("{remote}", "{http.request.remote}"),
    ("{remote_host}", "{http.request.remote.host}"),
    ("{remote_port}", "{http.request.remote.port}"),
    ("{scheme}", "{http.request.scheme}"),
    ("{uuid}", "{http.request.uuid}"),
    ("{tls_cipher}", "{http.request.tls.cipher_suite}"),
    ("{tls_version}", "{http.request.tls.version}"),
    ("{tls_client_fingerprint}", "{http.request.tls.client.fingerprint}"),
    ("{tls_client_issuer}", "{http.request.tls.client.issuer}"),
    ("{tls_client_serial}", "{http.request.tls.client.serial}"),
    ("{tls_client_subject}", "{http.request.tls.client.subject}"),
    ("{tls_client_certificate_pem}", "{http.request.tls.client.certificate_pem}"),
    ("{tls_client_certificate_der_base64}", "{http.request.tls.client.certificate_der_base64}"),
    ("{upstream_hostport}", "{http.reverse_proxy.upstream.hostport}"),
    ("{client_ip}", "{http.vars.client_ip}"),
)

_COMPLEX: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (p[:p.index("\\")], re.compile(p, re.ASCII), r)  # the literal start, e.g. "{header"
    for p, r in (
        (r"{header\.([\w-]*)}", r"{http.request.header.\1}"),
        (r"{cookie\.([\w-]*)}", r"{http.request.cookie.\1}"),
        (r"{labels\.([\w-]*)}", r"{http.request.host.labels.\1}"),
        (r"{path\.([\w-]*)}", r"{http.request.uri.path.\1}"),
        (r"{file\.([\w-]*)}", r"{http.request.uri.path.file.\1}"),
        (r"{query\.([\w-]*)}", r"{http.request.uri.query.\1}"),
        (r"{re\.([\w\-.]*)}", r"{http.regexp.\1}"),
        (r"{vars\.([\w-]*)}", r"{http.vars.\1}"),
        (r"{rp\.([\w\-.]*)}", r"{http.reverse_proxy.\1}"),
        (r"{resp\.([\w\-.]*)}", r"{http.intercept.\1}"),
        (r"{err\.([\w\-.]*)}", r"{http.error.\1}"),
        (r"{file_match\.([\w-]*)}", r"{http.matchers.file.\1}"),
    )
)

# Go's strings.Replacer with these pairs: at each position the first listed old string that
# matches wins (all olds start with '{'); the replacement text is not rescanned.
_SIMPLE = re.compile("|".join(re.escape(old) for old, _ in PLACEHOLDER_SHORTHANDS))
_SIMPLE_MAP = dict(PLACEHOLDER_SHORTHANDS)


def was_replaced_placeholder_shorthand(token: str) -> str:
    """The shorthand whose replacement `token` looks like, or ""."""
    for short, full in PLACEHOLDER_SHORTHANDS:
        if token.strip("{}") == full.strip("{}"):
            return short
    return ""


class ShorthandReplacer:
    def replace(self, text: str) -> str:
        if "{" not in text:
            return text
        text = _SIMPLE.sub(lambda m: _SIMPLE_MAP[m.group(0)], text)
        for start, pattern, repl in _COMPLEX:
            if start in text:
                text = pattern.sub(repl, text)
        return text

    def apply_to_segment(self, segment: list[Token]) -> None:
        for tok in segment:
            if "{" in tok.text:  # replace's own first test, without the call for every token
                tok.text = self.replace(tok.text)
