"""Policy consolidation on many sites (wildcards shadowing names, catch-alls, mixed tls
settings) gives caddy's exact output, so the indexed shadow search keeps Go's choices."""
from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.adapter import adapt

HOSTS = ["a.com", "x.a.com", "y.a.com", "*.a.com", "*.x.a.com", "b.net", "*.b.net", "w.b.net", "localhost",
         "*.localhost", "10.0.0.1", "c.internal", "*.c.internal", "d.org", "*.*.d.org", "q.r.d.org", "e.a.com"]
TLS = ["", "\ttls internal\n", "\ttls me@a.com\n", "\ttls {\n\t\tkey_type p256\n\t}\n",
       "\ttls {\n\t\ton_demand\n\t}\n", "\ttls {\n\t\tissuer internal {\n\t\t\tca other\n\t\t}\n\t}\n"]


def caddyfile(seed: int) -> str:
    rnd = random.Random(seed)
    hosts = rnd.sample(HOSTS, rnd.randint(4, len(HOSTS)))
    out = ["{\n\ton_demand_tls {\n\t\task http://localhost:9/ok\n\t}\n}\n"] if seed % 3 == 0 else []
    while hosts:
        group = [hosts.pop() for _ in range(min(len(hosts), rnd.choice([1, 1, 2, 3])))]
        if rnd.random() < 0.15:
            group.append(f":{8000 + len(out)}")
        out.append(f"{', '.join(group)} {{\n{rnd.choice(TLS)}\trespond ok\n}}\n")
    return "".join(out)


@pytest.mark.parametrize("seed", range(24))
def test_same_as_caddy(seed: int, tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    text = caddyfile(seed)
    (tmp_path / "Caddyfile").write_text(text)
    p = subprocess.run([caddy_bin, "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"], cwd=tmp_path,
                       capture_output=True, text=True, env=caddy_env, timeout=60)
    try:
        ours = adapt(text.encode(), "Caddyfile")[0]
    except CaddyfileError as e:
        pointers = re.compile(r"0x[0-9a-f]+")  # Go prints real pointer values in some messages
        assert p.returncode == 1 and pointers.sub("0x", str(e)) in pointers.sub("0x", p.stderr), text
        return
    assert p.returncode == 0, (text, p.stderr)
    assert ours + "\n" == p.stdout, text


def test_many_sites_mixed_issuers(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    """Hundreds of sites, a third on the internal issuer and some wildcards: the duplicate pass
    merges long subject lists (facts kept across merges) exactly as caddy does."""
    rnd = random.Random(5)
    sites = []
    for i in range(300):
        names = f"s{i}.example.com, www.s{i}.example.com" if i % 50 else f"*.z{i}.example.com, z{i}.internal:{9000 + i}"
        tls = "\ttls internal\n" if i % 3 == 0 else rnd.choice(["", "", "\ttls {\n\t\ton_demand\n\t}\n"])
        sites.append(f"{names} {{\n{tls}\trespond ok\n}}\n")
    text = "{\n\ton_demand_tls {\n\t\task http://localhost:9/ok\n\t}\n}\n" + "".join(sites)
    (tmp_path / "Caddyfile").write_text(text)
    p = subprocess.run([caddy_bin, "adapt", "--config", "Caddyfile", "--adapter", "caddyfile"], cwd=tmp_path,
                       capture_output=True, text=True, env=caddy_env, timeout=60)
    assert p.returncode == 0, p.stderr
    ours = adapt(text.encode(), "Caddyfile")[0]
    assert '"automation"' in ours
    assert ours + "\n" == p.stdout
