"""The benchmark's Caddyfile: N sites of typical directives (matchers, reverse_proxy with a
block, header, encode, root, file_server); every tenth an intranet name on `tls internal`, every
fifth with a redirect, so TLS policy consolidation has real work. No imports: the adapter tests
check our output on a small file of this shape against the real `caddy adapt`."""
from __future__ import annotations


def site(i: int) -> str:
    intranet = i % 10 == 3
    name = f"app{i}.corp.internal" if intranet else f"site{i}.example.com, www.site{i}.example.com"
    extra = "\ttls internal\n" if intranet else ""
    if i % 5 == 1:
        extra += f"\tredir /old/* /new{i}/{{uri}} permanent\n"
    return (
        f"{name} {{\n{extra}"
        f"\t@api path /api/* /v{i % 7}/*\n"
        f"\treverse_proxy @api 127.0.0.1:{9000 + i % 100} {{\n"
        f"\t\tlb_policy round_robin\n"
        f"\t\theader_up X-Site {i}\n"
        f"\t}}\n"
        f"\theader X-Frame-Options DENY\n"
        f"\tencode gzip zstd\n"
        f"\troot * /srv/site{i}\n"
        f"\tfile_server\n"
        f"}}\n"
    )


def caddyfile(n: int) -> str:
    return "{\n\tadmin off\n}\n\n" + "\n".join(site(i) for i in range(n))
