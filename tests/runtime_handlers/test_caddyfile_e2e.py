"""End to end from a Caddyfile: the adapter's JSON for these directives, served by caddy-py,
answers like the real caddy (RUNTIME-NOTES 4: a `header` block with a `-Field` is deferred)."""
from __future__ import annotations

import base64
import json

import bcrypt
import pytest

from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same

pytestmark = pytest.mark.timeout(60)

HASH = bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()


def caddyfile(port: int, log_file: str) -> str:
    return f"""{{
	admin off
}}
http://127.0.0.1:{port} {{
	log {{
		output file {log_file}
		format filter {{
			request>headers>Authorization delete
			request>remote_port delete
		}}
	}}
	header {{
		-Server
		X-Block late
	}}
	header X-Block early
	header /h/* X-Path yes
	map {{path}} {{kind}} {{
		~^/m/(\\d+)$ num-${{1}}
		/m/x ex
		default other
	}}
	request_body /rb/* {{
		max_size 4
	}}
	basic_auth /secret/* {{
		alice {HASH}
	}}
	uri /u/* strip_prefix /u
	rewrite /old/* /new{{uri}}
	templates /t/*
	route /t/* {{
		respond "{{{{.Req.Method}}}} {{{{ .Host }}}} {{{{ upper \\"x\\" }}}}"
	}}
	respond /m/* "{{kind}}"
	respond /secret/* "hi {{http.auth.user.id}}"
	respond /rb/* "body ignored"
	respond "path={{path}} uri={{uri}}"
}}
"""


async def test_directives_match_caddy(caddy_bin, caddy_env, tmp_path):
    def make(port: int) -> str:
        return caddyfile(port, str(tmp_path / f"access-{port}.log"))

    auth = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}
    async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
        await assert_same(pair, [
            Req("GET", "/"), Req("GET", "/h/x"), Req("GET", "/m/12"), Req("GET", "/m/x"), Req("GET", "/m/y"),
            Req("POST", "/rb/a", body=b"123456"), Req("GET", "/secret/a"), Req("GET", "/secret/a", headers=auth),
            Req("GET", "/u/in/side?q=1"), Req("GET", "/old/p?a=b"), Req("GET", "/t/a"),
        ], ("Server", "X-Block", "X-Path", "Www-Authenticate", "Content-Type"))
        # a server answers the next request only after its previous entry is written
        await assert_same(pair, [Req("GET", "/barrier")])
        logs = {name: [json.loads(line) for line in (tmp_path / f"access-{port}.log").read_text().splitlines()
                       if '"/barrier"' not in line]
                for name, port in pair.ports.items()}
    # the same entries, filtered alike (timing, ports and the Date header aside)
    def shape(e: dict) -> tuple:
        return (e["logger"], e["request"]["uri"], e["status"], e["size"], e["user_id"],
                sorted(e["request"]["headers"]), "remote_port" in e["request"])
    assert len(logs["caddy"]) == 11
    assert [shape(e) for e in logs["py"]] == [shape(e) for e in logs["caddy"]]
