"""acme_server against the real caddy: the directory, nonces, routing and the problem documents
for bad requests, the same Caddyfile served by both (plain HTTP; links still say https)."""
from __future__ import annotations

import json
import subprocess
import sys

import aiohttp
import pytest

from tests.runtime_core.diff import Pair

pytestmark = pytest.mark.timeout(60)

CADDYFILE = """{{
\tadmin off
\tskip_install_trust
}}
http://localhost:{port} {{
\tacme_server {{
\t\tca local
\t}}
}}
"""

JOSE = {"Content-Type": "application/jose+json"}
# protected headers: {"alg":"none"} and {"alg":"ES256"} (no nonce)
ALG_NONE = b'{"protected":"eyJhbGciOiJub25lIn0","payload":"","signature":""}'
NO_NONCE = b'{"protected":"eyJhbGciOiJFUzI1NiJ9","payload":"","signature":""}'
REQUESTS = [
    ("GET", "/acme/local/directory", {}, b""),
    ("HEAD", "/acme/local/new-nonce", {}, b""),
    ("GET", "/acme/local/new-nonce", {}, b""),
    ("GET", "/acme/local/new-account", {}, b""),
    ("POST", "/acme/local/new-account", {"Content-Type": "application/json"}, b"{}"),
    ("POST", "/acme/local/new-account", JOSE, b"not json"),
    ("POST", "/acme/local/new-order", JOSE, ALG_NONE),
    ("POST", "/acme/local/new-order", JOSE, NO_NONCE),
    ("GET", "/acme/other/directory", {}, b""),
    ("GET", "/acme/local/", {}, b""),
    ("GET", "/elsewhere", {}, b""),
]
HEADERS = ("Content-Type", "Cache-Control", "Link", "Allow", "Location")


async def _answer(port: int, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple:
    async with aiohttp.ClientSession() as s:
        async with s.request(method, f"http://127.0.0.1:{port}{path}", data=body or None,
                             headers={"Host": f"localhost:{port}", **headers}) as r:
            text = (await r.read()).decode().replace(str(port), "PORT")
            picked = {h: r.headers.get(h, "").replace(str(port), "PORT") for h in HEADERS}
            return r.status, picked, "Replay-Nonce" in r.headers, text


async def test_acme_server_answers_as_caddy(caddy_bin, caddy_env, tmp_path) -> None:
    async with Pair(caddy_bin, tmp_path, caddy_env, lambda port: CADDYFILE.format(port=port)) as pair:
        for method, path, headers, body in REQUESTS:
            want = await _answer(pair.ports["caddy"], method, path, headers, body)
            got = await _answer(pair.ports["py"], method, path, headers, body)
            assert got == want, f"{method} {path}: caddy-py {got} != caddy {want}"


BAD_HANDLERS = [
    ({"handler": "acme_server", "ca": "nope"}, False),
    ({"handler": "acme_server", "lifetime": "8d"}, True),
    ({"handler": "acme_server", "challenges": ["foo-01"]}, True),
]


def _validate_error(argv: list[str], env: dict[str, str]) -> str:
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 1, out.stderr
    return json.loads(out.stderr.strip().splitlines()[-1])["msg"]


@pytest.mark.parametrize("handler,with_pki", BAD_HANDLERS, ids=["unknown-ca", "lifetime", "challenge"])
def test_bad_acme_server_configs_fail_as_caddy(caddy_bin, caddy_env, tmp_path, handler, with_pki) -> None:
    cfg: dict = {"admin": {"disabled": True}, "apps": {"http": {"servers": {"s": {
        "listen": ["127.0.0.1:0"], "routes": [{"handle": [handler]}]}}}}}
    if with_pki:
        cfg["apps"]["pki"] = {"certificate_authorities": {"local": {"install_trust": False}}}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cfg))
    want = _validate_error([caddy_bin, "validate", "--config", str(path)], caddy_env)
    got = _validate_error([sys.executable, "-m", "caddy_py", "validate", "--config", str(path)], caddy_env)
    assert got == want
