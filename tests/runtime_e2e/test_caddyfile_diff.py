"""Realistic Caddyfiles served by the real caddy and by caddy-py (each adapting it itself): the same
requests must get the same status, compared headers and body. Complements the Caddyfile diffs in
runtime_core/test_diff.py and runtime_handlers/test_caddyfile_e2e.py with redir, handle_path,
try_files, error pages from files, host-based sites, snippets and named matchers."""
from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest

from tests.runtime_core.diff import COMPARED_HEADERS, Pair, Req

pytestmark = pytest.mark.timeout(60)

HEADERS = COMPARED_HEADERS + ("X-Frame-Options", "X-Site", "X-Kind", "Etag", "Last-Modified")
HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()


def basic(user: str, pw: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}


@pytest.fixture
def www(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    (root / "assets").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "index.html").write_text("<html>app shell</html>")
    (root / "assets" / "app.js").write_text("console.log(1);" * 50)
    (root / "docs" / "index.html").write_text("docs home")
    (root / "404.html").write_text("custom not found")
    (root / "about.html").write_text("about page")
    return root


async def test_spa_with_api_and_redirects(caddy_bin, caddy_env, tmp_path, www, echo_upstream):
    def caddyfile(port: int) -> str:
        return f"""{{
	admin off
}}
:{port} {{
	bind 127.0.0.1
	header {{
		X-Frame-Options DENY
		-Server
	}}
	redir /old /new 301
	redir /moved/* /elsewhere{{uri}}
	redir /docs /docs/
	handle_path /api/* {{
		request_body {{
			max_size 16
		}}
		reverse_proxy 127.0.0.1:{echo_upstream} {{
			header_up X-Orig {{http.request.orig_uri}}
		}}
	}}
	handle {{
		root * {www}
		try_files {{path}} {{path}}.html /index.html
		file_server
	}}
}}
"""
    async with Pair(caddy_bin, tmp_path, caddy_env, caddyfile, HEADERS) as pair:
        await pair.assert_same([
            Req("GET", "/"), Req("GET", "/assets/app.js"), Req("GET", "/about"),
            Req("GET", "/some/client/route"), Req("GET", "/docs"), Req("GET", "/docs/"),
            Req("GET", "/old"), Req("GET", "/moved/a?b=c"), Req("HEAD", "/about.html"),
            Req("GET", "/api/users?id=7"), Req("POST", "/api/items", body=b"small"),
            Req("POST", "/api/items", body=b"x" * 64), Req("DELETE", "/api"),
            Req("GET", "/assets/app.js", headers={"If-None-Match": "nope"}),
        ])


async def test_host_sites_error_pages_auth_and_map(caddy_bin, caddy_env, tmp_path, www):
    def caddyfile(port: int) -> str:
        return f"""{{
	admin off
}}
(site_header) {{
	header X-Site {{args[0]}}
}}
http://a.test:{port} {{
	bind 127.0.0.1
	import site_header alpha
	root * {www}
	@static path *.js *.css
	header @static Cache-Control "public, max-age=3600"
	map {{path}} {{kind}} {{
		~^/k/(\\d+)$ number-${{1}}
		/k/home home
		default other
	}}
	header /k/* X-Kind {{kind}}
	basic_auth /private/* {{
		admin {HASH}
	}}
	rewrite /legacy/* /about.html
	vars /v/* greeting hello
	route {{
		respond /k/* "kind={{kind}}"
		respond /private/* "welcome {{http.auth.user.id}}"
		respond /v/* "{{vars.greeting}} {{path}}"
		file_server
	}}
	handle_errors {{
		rewrite * /404.html
		file_server
	}}
}}
http://b.test:{port} {{
	bind 127.0.0.1
	import site_header beta
	@json header Accept application/json
	respond @json `{{"site":"b"}}` 200
	error /boom "exploded" 500
	respond "b says {{method}} {{uri}}"
	handle_errors 5xx {{
		respond "b error {{err.status_code}}: {{err.message}}"
	}}
}}
"""
    a, b = {"Host": "a.test"}, {"Host": "b.test"}
    async with Pair(caddy_bin, tmp_path, caddy_env, caddyfile, HEADERS) as pair:
        await pair.assert_same([
            Req("GET", "/", a), Req("GET", "/assets/app.js", a), Req("GET", "/nothing-here", a),
            Req("GET", "/k/42", a), Req("GET", "/k/home", a), Req("GET", "/k/zzz", a),
            Req("GET", "/private/x", a), Req("GET", "/private/x", {**a, **basic("admin", "s3cret")}),
            Req("GET", "/private/x", {**a, **basic("admin", "wrong")}), Req("GET", "/legacy/page", a),
            Req("GET", "/v/there", a), Req("POST", "/about.html", a),
            Req("GET", "/", b), Req("GET", "/q?x=1", {**b, "Accept": "application/json"}),
            Req("GET", "/boom", b), Req("PUT", "/p?q", b), Req("GET", "/", {"Host": "c.test"}),
        ])
