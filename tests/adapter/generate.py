"""Random but reproducible Caddyfiles that exercise the adapter core: site keys of every form,
named and inline matchers, nested handle/route blocks, error routes, named routes, binds, logs
and the global options that change listeners or TLS placement."""
from __future__ import annotations

import random

HOSTS = ["a.com", "b.a.com", "*.a.com", "localhost", "127.0.0.1", "[::1]", "", "x.org", "A.COM",
         "{$CADDY_PY_UNSET:h.net}", "*.*.a.com", "0.0.0.0"]
PORTS = ["", ":80", ":443", ":8080", ":8443", ":9000"]
SCHEMES = ["", "http://", "https://"]
PATHS = ["", "", "", "/p", "/p/*", "/q"]
MATCHER_TOKENS = ["", "", "*", "/a", "/a*", "/abc/*", "/ab", "@m", "@n", "/x/y"]
NAMED_ROUTES = "&(nr1) {\n\trespond nr1\n}\n&(nr2) {\n\tinvoke nr1\n\tvars z 1\n}\n"


class CaddyfileGenerator:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)

    def key(self) -> str:
        r = self.rnd
        k = r.choice(SCHEMES) + r.choice(HOSTS) + r.choice(PORTS) + r.choice(PATHS)
        return k if k not in ("", "http://", "https://") else ":8080"

    def directive(self, depth: int) -> str:
        r = self.rnd
        m = r.choice(MATCHER_TOKENS)
        ms = m + " " if m else ""
        c = r.random()
        if c < 0.25:
            return f'respond {ms}"r{r.randint(0, 9)}"'
        if c < 0.4:
            return f"vars {ms}v{r.randint(0, 3)} {r.randint(0, 9)}"
        if c < 0.5:
            return f"root {ms}/srv{r.randint(0, 3)}"
        if c < 0.55:
            return f"redir {ms}/t{r.randint(0, 3)}"
        if c < 0.6:
            return f"abort {ms}".strip()
        if c < 0.65:
            return f"error {ms}4{r.randint(0, 2)}3"
        if c < 0.7 and depth == 0:
            return "handle_errors {\n" + "\n".join(self.directive(9) for _ in range(r.randint(1, 2))) + "\n}"
        if c < 0.85 and depth < 2:
            body = "\n".join(self.directive(depth + 1) for _ in range(r.randint(1, 3)))
            return f"{r.choice(['handle', 'route'])} {ms}{{\n{body}\n}}"
        if c < 0.9 and depth == 0:
            return "log"
        if c < 0.95 and depth == 0:
            return "bind " + r.choice(["127.0.0.1", "::1", "tcp/127.0.0.2", "127.0.0.1 ::1"])
        return f"respond {ms}{r.randint(200, 599)}"

    def site(self) -> str:
        r = self.rnd
        keys = ", ".join(sorted({self.key() for _ in range(r.randint(1, 2))}))
        body = ["@m path /m*", "@n {\n\tnot path /n\n\tmethod GET\n}"]
        body += [self.directive(0) for _ in range(r.randint(1, 4))]
        if r.random() < 0.2:
            body.append("invoke " + r.choice(["nr1", "nr2"]))
        if r.random() < 0.15:
            body.append("tls " + r.choice(["internal", "x@y.z"]))
        return keys + " {\n" + "\n".join(body) + "\n}\n"

    def global_options(self) -> str:
        r = self.rnd
        opts = []
        if r.random() < 0.15:
            opts.append("auto_https " + r.choice(["off", "disable_redirects", "disable_certs"]))
        if r.random() < 0.1:
            opts.append("http_port 8081")
        if r.random() < 0.1:
            opts.append("default_sni a.com")
        return "{\n" + "\n".join(opts) + "\n}\n" if opts else ""

    def caddyfile(self) -> str:
        return self.global_options() + NAMED_ROUTES + "".join(self.site() for _ in range(self.rnd.randint(1, 4)))


class HandlerMixGenerator(CaddyfileGenerator):
    """Also uses the module directives (header, rewrite, uri, try_files, file_server,
    reverse_proxy, encode, handle_path, request_header, basic_auth), so sorting and grouping
    meet every kind of route."""

    def directive(self, depth: int) -> str:
        r = self.rnd
        m = r.choice(MATCHER_TOKENS)
        ms = m + " " if m else ""
        c = r.random()
        if c < 0.08:
            return f"header {ms}X-H{r.randint(0, 3)} v"
        if c < 0.14:
            return f"rewrite {ms}/rw{r.randint(0, 3)}"
        if c < 0.18:
            return f"uri {ms}strip_prefix /s"
        if c < 0.22:
            return "try_files {path} /index.html"
        if c < 0.27:
            return f"file_server {ms}".strip()
        if c < 0.33:
            return f"reverse_proxy {ms}localhost:{r.randint(8000, 8003)}"
        if c < 0.37:
            return f"encode {ms}gzip".strip()
        if c < 0.42 and depth < 2:
            return f"handle_path /hp{r.randint(0, 2)}* {{\n" + super().directive(depth + 1) + "\n}"
        if c < 0.46:
            return f"request_header {ms}X-R 1"
        if c < 0.5:
            return f"basic_auth {ms}{{\n\tu $2a$14$Zkx19XLiW6VYouLHR5NmfOFU0z2GTNmpkT/5qqR7hx4IjWJPDhjvG\n}}"
        return super().directive(depth)
