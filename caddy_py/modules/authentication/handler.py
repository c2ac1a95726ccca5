"""`http.handlers.authentication` with the `http_basic` provider (Caddy's caddyauth).

A request without valid credentials ends in HandlerError 401 ("not authenticated"), and the
provider's `WWW-Authenticate: Basic realm="..."` goes on whatever response is finally sent
(Caddy sets it on the response writer, so `handle_errors` pages carry it too). On success
`{http.auth.user.id}` is set. Unknown users are checked against a fake hash so that timing does
not reveal which usernames exist. Hash checks run in a worker thread; `hash_cache` remembers up
to 1000 results and shares one check between concurrent identical requests.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import random
from typing import Any

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request
from caddy_py.logging import log
from caddy_py.replacer import Replacer

from . import hashes as _hashes  # noqa: F401  (registers http.authentication.hashes.*)

LOGGER = "http.handlers.authentication"
CACHE_MAX = 1000


def basic_credentials(header: str) -> tuple[str, str] | None:
    """Go's Request.BasicAuth: `Basic base64(user:pass)`, scheme case-insensitive."""
    if len(header) < 6 or header[:6].lower() != "basic ":
        return None
    try:
        raw = base64.b64decode(header[6:], validate=True).decode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = raw.partition(":")
    if not sep:
        return None
    return user, password


class _HashCache:
    def __init__(self) -> None:
        self.results: dict[str, bool] = {}
        self.inflight: dict[str, asyncio.Future[bool]] = {}

    async def get(self, key: str, compute: Any) -> bool:
        if key in self.results:
            return self.results[key]
        fut = self.inflight.get(key)
        if fut is not None:
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self.inflight[key] = fut
        try:
            same = await compute()
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            self.inflight.pop(key, None)
        fut.set_result(same)
        if len(self.results) >= CACHE_MAX:
            for k in random.sample(list(self.results), max(len(self.results) // 10, 1) + 1):
                del self.results[k]
        self.results[key] = same
        return same


@register("http.authentication.providers.http_basic")
class HTTPBasicAuth:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.hash_cfg = cfg.get("hash") or {"algorithm": "bcrypt"}
        self.realm = str(cfg.get("realm") or "restricted")
        self.account_cfgs = list(cfg.get("accounts") or [])
        self.cache = _HashCache() if cfg.get("hash_cache") is not None else None
        self.accounts: dict[str, bytes] = {}
        self.hash: Any = None

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "HTTPBasicAuth":
        return cls(cfg or {})

    async def provision(self, ctx: Any) -> None:
        try:
            self.hash = await ctx.load_module("http.authentication.hashes", self.hash_cfg, inline_key="algorithm")
        except Exception as e:  # noqa: BLE001 - ConfigError or ValueError, reworded like Caddy
            raise ValueError(f"loading password hasher module: {e}") from None
        repl = Replacer()
        for i, acct in enumerate(self.account_cfgs):
            username = str((acct or {}).get("username", ""))
            if username in self.accounts:
                raise ValueError(f"account {i}: username is not unique: {username}")
            username = repl.replace_all(username)
            password = repl.replace_all(str((acct or {}).get("password", "")))
            if not username or not password:
                raise ValueError(f"account {i}: username and password are required")
            if password.startswith("$"):
                hashed = password.encode()
            else:
                try:
                    hashed = base64.b64decode(password, validate=True)
                except (binascii.Error, ValueError) as e:
                    raise ValueError(f"base64-decoding password: {e}") from None
            self.accounts[username] = hashed
        self.account_cfgs = []

    async def authenticate(self, req: Request) -> tuple[str, bool, Exception | None, dict[str, str]]:
        """(user id, authenticated, error, headers for the response)."""
        prompt = {"Www-Authenticate": f'Basic realm="{self.realm}"'}
        creds = basic_credentials(req.headers.get("Authorization", ""))
        if creds is None:
            return "", False, None, prompt
        username, password = creds
        hashed = self.accounts.get(username)
        exists = hashed is not None
        if hashed is None:
            hashed = self.hash.fake_hash()
        try:
            same = await self._compare(hashed, password.encode("utf-8", "surrogateescape"))
        except ValueError as e:
            return "", False, e, prompt
        if not same or not exists:
            return "", False, None, prompt
        return username, True, None, {}

    async def _compare(self, hashed: bytes, plaintext: bytes) -> bool:
        def compute() -> Any:
            return asyncio.to_thread(self.hash.compare, hashed, plaintext)

        if self.cache is None:
            return await compute()
        return await self.cache.get((hashed + plaintext).hex(), compute)


@register("http.handlers.authentication")
class Authentication:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.provider_cfgs: dict[str, Any] = dict(cfg.get("providers") or {})
        self.providers: dict[str, Any] = {}

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Authentication":
        return cls(cfg or {})

    async def provision(self, ctx: Any) -> None:
        for name, pcfg in self.provider_cfgs.items():
            try:
                self.providers[name] = await ctx.load_by_id(f"http.authentication.providers.{name}", pcfg or {})
            except Exception as e:  # noqa: BLE001 - reworded like Caddy
                raise ValueError(f"loading authentication providers: {e}") from None

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        repl = req.replacer
        isolate = len(self.providers) > 1
        failed_headers: list[dict[str, str]] = []
        for name, prov in self.providers.items():
            user, authed, err, headers = await prov.authenticate(req)
            if err is not None:
                log(LOGGER, logging.ERROR, "auth provider returned error", provider=name, error=str(err))
                repl.set(f"http.auth.{name}.error", str(err))
            if authed:
                _set_headers(req, headers)
                repl.set("http.auth.user.id", user)
                return await next(req)
            if isolate:
                failed_headers.append(headers)
            else:
                _set_headers(req, headers)
        if isolate:
            for headers in failed_headers:
                if headers:
                    _set_headers(req, headers)
                    break
        raise HandlerError(401, "not authenticated")


def _set_headers(req: Request, headers: dict[str, str]) -> None:
    """Headers that belong to the response writer: they go on whatever response is sent."""
    if not headers:
        return

    def apply(resp: web.StreamResponse) -> None:
        for k, v in headers.items():
            resp.headers[k] = v

    req.on_prepare.append(apply)
