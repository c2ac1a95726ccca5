"""Load-balancing selection policies (`http.reverse_proxy.selection_policies.*`).

Each policy has `select(pool, req) -> Upstream | None` and only returns available upstreams.
Hash policies use rendezvous (highest random weight) hashing with xxHash64 of the upstream's
dial address followed by the key, as Caddy does: the choice stays stable when upstreams come and
go, and a key picks the same upstream as it would behind Caddy.
"""
from __future__ import annotations

import hashlib
import ipaddress
import hmac
import itertools
import random
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Sequence
from urllib.parse import parse_qs

from xxhash import xxh64_intdigest

from caddy_py.config.durations import duration_seconds as seconds
from caddy_py.config.registry import lookup, register

from .hosts import Upstream

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.request import Request

Pool = Sequence[Upstream]
_NS = "http.reverse_proxy.selection_policies"


def load_policy(cfg: dict[str, Any] | None, ctx: Any = None) -> Any:
    """Build a selection policy from its JSON object (`{"policy": "round_robin", ...}`)."""
    cfg = cfg or {"policy": "random"}
    name = cfg.get("policy", "random")
    cls = lookup(f"{_NS}.{name}")
    if cls is None:
        raise ValueError(f"unknown module: {_NS}.{name}")
    return cls.from_json(cfg, ctx)


def host_by_hashing(pool: Pool, key: str) -> Upstream | None:
    best, best_hash = None, 0  # Go starts at 0 with a strict >: a zero hash never wins
    for up in pool:
        if not up.available():
            continue
        h = xxh64_intdigest((up.dial + key).encode())
        if h > best_hash:
            best, best_hash = up, h
    return best


def random_available(pool: Pool) -> Upstream | None:
    if len(pool) == 1:  # the usual single upstream: nothing to draw
        return pool[0] if pool[0].available() else None
    choices = [u for u in pool if u.available()]
    return random.choice(choices) if choices else None


def least_requests(pool: Pool) -> Upstream | None:
    if not pool:
        return None
    fewest = min(u.host.num_requests for u in pool)
    return random.choice([u for u in pool if u.host.num_requests == fewest])


def _client_ip(req: "Request") -> str:
    addr = str(req.vars.get("client_ip") or req.remote_addr)
    return _strip_port(addr)


def _strip_port(addr: str) -> str:
    """The IP of "ip:port", "[v6]:port", a bare IP, or an unbracketed "v6:port"."""
    if addr.startswith("["):
        return addr[1:addr.find("]")] if "]" in addr else addr
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return addr.rsplit(":", 1)[0] if ":" in addr else addr


class _Policy:
    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "_Policy":
        return cls()


@register(f"{_NS}.random")
class RandomSelection(_Policy):
    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        return random_available(pool)


@register(f"{_NS}.random_choose")
class RandomChooseSelection(_Policy):
    def __init__(self, choose: int = 2) -> None:
        self.choose = choose

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "RandomChooseSelection":
        return cls(int(cfg.get("choose", 2) or 2))

    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        available = [u for u in pool if u.available()]
        return least_requests(random.sample(available, min(self.choose, len(available))))


@register(f"{_NS}.least_conn")
class LeastConnSelection(_Policy):
    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        return least_requests([u for u in pool if u.available()])


@register(f"{_NS}.round_robin")
class RoundRobinSelection(_Policy):
    def __init__(self) -> None:
        self._robin = itertools.count(1)  # Caddy's counter is incremented before use

    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        n = len(pool)
        for _ in range(n):
            up = pool[next(self._robin) % n]
            if up.available():
                return up
        return None


@register(f"{_NS}.weighted_round_robin")
class WeightedRoundRobinSelection(_Policy):
    def __init__(self, weights: list[int]) -> None:
        self.weights = weights
        self.total = sum(w for w in weights if w > 0)
        self._index = itertools.count(1)

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "WeightedRoundRobinSelection":
        return cls([int(w) for w in cfg.get("weights") or []])

    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        if not pool:
            return None
        if len(self.weights) < 2 or self.total == 0:
            return pool[0]
        positive = [w for w in self.weights if w > 0]
        current = next(self._index) % self.total
        index, running = 0, 0
        for i, w in enumerate(positive):
            running += w
            if current < running:
                index = i
                break
        ups = [u for i, u in enumerate(pool)
               if u.available() and i < len(self.weights) and self.weights[i] > 0][:len(positive)]
        return ups[index % len(ups)] if ups else None


@register(f"{_NS}.first")
class FirstSelection(_Policy):
    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        return next((u for u in pool if u.available()), None)


@register(f"{_NS}.ip_hash")
class IPHashSelection(_Policy):
    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        return host_by_hashing(pool, _strip_port(req.remote_addr))


@register(f"{_NS}.client_ip_hash")
class ClientIPHashSelection(_Policy):
    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        return host_by_hashing(pool, _client_ip(req))


@register(f"{_NS}.uri_hash")
class URIHashSelection(_Policy):
    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        return host_by_hashing(pool, req.raw.raw_path)


class _WithFallback(_Policy):
    def __init__(self, key: str, fallback: Any) -> None:
        self.key = key
        self.fallback = fallback


@register(f"{_NS}.query")
class QueryHashSelection(_WithFallback):
    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "QueryHashSelection":
        return cls(str(cfg.get("key", "")), load_policy(cfg.get("fallback"), ctx))

    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        vals = ",".join(parse_qs(req.raw_query, keep_blank_values=True).get(self.key, []))
        return host_by_hashing(pool, vals) if vals else self.fallback.select(pool, req)


@register(f"{_NS}.header")
class HeaderHashSelection(_WithFallback):
    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "HeaderHashSelection":
        return cls(str(cfg.get("field", "")), load_policy(cfg.get("fallback"), ctx))

    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        if self.key.lower() == "host" and req.host:
            return host_by_hashing(pool, req.host)
        val = req.headers.get(self.key, "")
        return host_by_hashing(pool, val) if val else self.fallback.select(pool, req)


@register(f"{_NS}.cookie")
class CookieHashSelection(_Policy):
    """Sticky sessions: the cookie holds an HMAC-SHA256 of the upstream's dial address."""

    def __init__(self, name: str, secret: str, max_age: float, fallback: Any) -> None:
        self.name, self.secret, self.max_age, self.fallback = name, secret, max_age, fallback

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "CookieHashSelection":
        return cls(str(cfg.get("name") or "lb"), str(cfg.get("secret", "")),
                   seconds(cfg.get("max_age")), load_policy(cfg.get("fallback"), ctx))

    def _sign(self, dial: str) -> str:
        return hmac.new(self.secret.encode(), dial.encode(), hashlib.sha256).hexdigest()

    def select(self, pool: Pool, req: "Request") -> Upstream | None:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(req.headers.get("Cookie", ""))
        except Exception:  # a malformed Cookie header is treated as absent
            jar = SimpleCookie()
        morsel = jar.get(self.name)
        if morsel is not None:
            for up in pool:
                if up.available() and hmac.compare_digest(self._sign(up.dial), morsel.value):
                    return up
        up = self.fallback.select(pool, req)
        if up is not None:
            self._set_cookie(req, self._sign(up.dial))
        return up

    def _set_cookie(self, req: "Request", value: str) -> None:
        secure = req.scheme == "https"
        parts = [f"{self.name}={value}", "Path=/"]
        if self.max_age > 0:
            parts.append(f"Max-Age={int(self.max_age)}")
        parts.append("HttpOnly")
        if secure:
            parts.append("Secure")
        parts.append("SameSite=None" if secure else "SameSite=Lax")
        cookie = "; ".join(parts)
        req.on_prepare.append(lambda resp: resp.headers.add("Set-Cookie", cookie))
