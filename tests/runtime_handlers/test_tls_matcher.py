"""`http.matchers.tls`: a real TLS listener (certificate from a throwaway CA) and a plain one
serve the same routes; only requests over TLS match, `handshake_complete: false` never does."""
from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from caddy_py.config.context import ConfigError
from caddy_py.http.matchers.tls import MatchTLS
from tests.tls.conftest import ScratchCA, client_context, https_get

pytestmark = pytest.mark.timeout(60)

ROUTES = [
    {"match": [{"tls": {"handshake_complete": False}}], "handle": [{"handler": "static_response", "body": "early"}],
     "terminal": True},
    {"match": [{"tls": {"handshake_complete": True}, "path": ["/done"]}],
     "handle": [{"handler": "static_response", "body": "complete"}], "terminal": True},
    {"match": [{"tls": {}}], "handle": [{"handler": "static_response", "body": "tls"}], "terminal": True},
    {"handle": [{"handler": "static_response", "body": "plain"}]},
]


def _config(cert: str, key: str) -> dict[str, Any]:
    return {"admin": {"disabled": True}, "apps": {
        "http": {"servers": {
            "secure": {"listen": ["127.0.0.1:0"], "routes": ROUTES, "tls_connection_policies": [{}]},
            "plain": {"listen": ["127.0.0.1:0"], "routes": ROUTES, "automatic_https": {"disable": True}},
        }},
        "tls": {"certificates": {"load_files": [{"certificate": cert, "key": key}]}},
    }}


async def test_tls_matcher_matches_only_tls_requests(serve, tmp_path) -> None:
    ca = ScratchCA(tmp_path)
    crt, key = ca.issue(["a.example"], "a")
    served = await serve(_config(str(crt), str(key)))
    ports = served.runtime.current.http_ports()
    ctx = client_context(ca.pem_path)
    assert (await https_get(ports["secure"][0], "a.example", ctx))[:2] == (200, "tls")
    assert (await https_get(ports["secure"][0], "a.example", ctx, path="/done"))[:2] == (200, "complete")
    async with aiohttp.ClientSession() as s:
        for path in ("/", "/done"):
            async with s.get(f"http://127.0.0.1:{ports['plain'][0]}{path}") as r:
                assert (r.status, await r.text()) == (200, "plain")


@pytest.mark.parametrize("cfg", [[], "x", {"handshake_complete": "yes"}])
def test_tls_matcher_rejects_malformed_json(cfg: Any) -> None:
    with pytest.raises(ConfigError):
        MatchTLS.from_json(cfg, None)
