"""`map`: exact and regexp inputs, several destinations, defaults and nulls, against caddy."""
from __future__ import annotations

import pytest

from caddy_py.config.context import ConfigError
from tests.runtime_core.conftest import server_config
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, fetch, json_config

pytestmark = pytest.mark.timeout(60)

MAP = {
    "handler": "map", "source": "{http.request.uri.path}",
    "destinations": ["{dest}", "{second}"],
    "mappings": [
        {"input": "/exact", "outputs": ["e-{http.request.method}", 7]},
        {"input_regexp": "^/item/(\\d+)(?:/(?P<rest>.*))?$", "outputs": ["item $1 ${rest}", None]},
        {"input": "/nulls", "outputs": [None, True]},
    ],
    "defaults": ["dflt {http.request.uri.query}", "d2"],
}
ECHO = {"handler": "static_response", "body": "[{dest}] [{second}] [{unmapped}]"}


async def test_map_matches_caddy(caddy_bin, caddy_env, tmp_path):
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config([{"handle": [MAP, ECHO]}])) as pair:
        await assert_same(pair, [
            Req("GET", "/exact"), Req("PUT", "/exact"), Req("GET", "/item/42"), Req("GET", "/item/42/x/y"),
            Req("GET", "/item/x"), Req("GET", "/nulls"), Req("GET", "/other?q=1"),
        ])
        status, _, body = await fetch(pair.ports["py"], Req("GET", "/item/42/x"), ())
        assert (status, body) == (200, b"[item 42 x] [d2] [{unmapped}]")


@pytest.mark.parametrize("cfg, message", [
    ({"destinations": ["dest"]}, "destination must be a placeholder"),
    ({"destinations": ["{a}"], "defaults": ["x", "y"]}, "1 destinations != 2 defaults"),
    ({"destinations": ["{a}"], "mappings": [{"input": "x", "outputs": ["1"]}, {"input": "x", "outputs": ["2"]}]},
     "mapping 1 has a duplicate input 'x' previously used with mapping 0"),
    ({"destinations": ["{a}"], "mappings": [{"input": "x", "outputs": []}]},
     "mapping 0 has 0 outputs but there are 1 destinations defined"),
])
async def test_map_config_errors(serve, cfg, message):
    with pytest.raises(ConfigError, match=message):
        await serve(server_config([{"handle": [dict(cfg, handler="map", source="{http.request.uri}")]}]))
