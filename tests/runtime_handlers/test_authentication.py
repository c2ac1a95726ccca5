"""`authentication` with `http_basic`: bcrypt accounts, realm, the 401 path and hash_cache."""
from __future__ import annotations

import base64

import bcrypt
import pytest

from caddy_py.config.context import ConfigError
from caddy_py.modules.authentication.handler import basic_credentials
from tests.runtime_core.conftest import respond, server_config
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, json_config

pytestmark = pytest.mark.timeout(60)

# cost 4 keeps each check fast; the format is what `caddy hash-password` writes
HASH = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _auth(**extra) -> dict:
    return {"handler": "authentication", "providers": {"http_basic": {
        "accounts": [{"username": "alice", "password": HASH},
                     {"username": "bob", "password": base64.b64encode(HASH.encode()).decode()}], **extra}}}


ROUTES = [
    {"match": [{"path": ["/realm"]}], "handle": [_auth(realm="Zone 51", hash_cache={}), respond("in {http.auth.user.id}")]},
    {"handle": [_auth(), respond("hello {http.auth.user.id}")]},
]


async def test_basic_auth_matches_caddy(caddy_bin, caddy_env, tmp_path):
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(ROUTES)) as pair:
        await assert_same(pair, [
            Req("GET", "/"), Req("GET", "/", headers=_basic("alice", "s3cret")),
            Req("GET", "/", headers=_basic("bob", "s3cret")), Req("GET", "/", headers=_basic("alice", "nope")),
            Req("GET", "/", headers={"Authorization": "Basic !!"}),
            Req("GET", "/realm"), Req("GET", "/realm", headers=_basic("alice", "s3cret")),
        ], ("Www-Authenticate",))


async def test_error_page_carries_the_challenge(serve):
    errors = [{"handle": [respond("denied {http.error.status_code}")]}]
    s = await serve(server_config([{"handle": [_auth(realm="R"), respond("ok")]}], errors))
    status, headers, body = await s.get("/")
    assert (status, body, headers.get("Www-Authenticate")) == (401, "denied 401", 'Basic realm="R"')
    status, headers, body = await s.get("/", headers=_basic("alice", "s3cret"))
    assert (status, body, "Www-Authenticate" in headers) == (200, "ok", False)


async def test_hash_cache_serves_repeated_and_concurrent_checks(serve):
    import asyncio

    s = await serve(server_config([{"handle": [_auth(hash_cache={}), respond("{http.auth.user.id}")]}]))
    results = await asyncio.gather(*(s.get("/", headers=_basic("alice", "s3cret")) for _ in range(5)))
    assert [(st, body) for st, _, body in results] == [(200, "alice")] * 5
    assert (await s.get("/", headers=_basic("alice", "bad")))[0] == 401
    # an unknown user is checked against Caddy's fake cost-14 hash (slow on purpose), then refused
    assert (await s.get("/", headers=_basic("mallory", "s3cret")))[0] == 401


@pytest.mark.parametrize("account, message", [
    ({"username": "", "password": HASH}, "account 0: username and password are required"),
    ({"username": "a", "password": "not base64!"}, "base64-decoding password"),
])
async def test_bad_accounts_are_config_errors(serve, account, message):
    cfg = {"handler": "authentication", "providers": {"http_basic": {"accounts": [account]}}}
    with pytest.raises(ConfigError, match=message):
        await serve(server_config([{"handle": [cfg]}]))


def test_basic_credentials_parsing():
    assert basic_credentials("Basic " + base64.b64encode(b"u:p:q").decode()) == ("u", "p:q")
    assert basic_credentials("bAsIc " + base64.b64encode(b"u:").decode()) == ("u", "")
    assert basic_credentials("Basic " + base64.b64encode(b"nocolon").decode()) is None
    assert basic_credentials("Bearer x") is None


async def test_argon2id_hashes_from_caddy_hash_password(caddy_bin, caddy_env, tmp_path):
    import subprocess

    hashed = subprocess.run([caddy_bin, "hash-password", "--algorithm", "argon2id", "--plaintext", "pw2"],
                            capture_output=True, text=True, env=caddy_env, check=True).stdout.strip()
    assert hashed.startswith("$argon2id$")
    auth = {"handler": "authentication", "providers": {"http_basic": {
        "hash": {"algorithm": "argon2id"}, "accounts": [{"username": "carol", "password": hashed}]}}}
    routes = [{"handle": [auth, respond("hi {http.auth.user.id}")]}]
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes)) as pair:
        await assert_same(pair, [
            Req("GET", "/", headers=_basic("carol", "pw2")), Req("GET", "/", headers=_basic("carol", "pw")),
            Req("GET", "/", headers=_basic("dave", "pw2")),
        ], ("Www-Authenticate",))
