"""Certificate sources and lifecycle details: inline PEM, folders, reloading changed files,
`automatic_https.skip`, the intermediate's renewal, storage names for wildcards."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from caddy_py.tls.automation import local_ca
from caddy_py.tls.storage import FileStorage
from tests.tls.conftest import free_port, ScratchCA, client_context, host_route, https_get, ports


def server(tls: dict[str, Any], routes: list[dict[str, Any]] | None = None, **srv: Any) -> dict[str, Any]:
    s = {"listen": ["127.0.0.1:0"], "routes": routes or [{"handle": [{"handler": "static_response",
                                                                       "body": "ok"}]}],
         "tls_connection_policies": [{}], **srv}
    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": s}}, "tls": tls}}


def subject_org(obj: Any) -> str:
    return dict(x[0] for x in obj.getpeercert()["subject"]).get("organizationName", "")


async def test_load_pem_and_folders(runtime, test_ca: ScratchCA, tmp_path: Path) -> None:
    crt, key = test_ca.issue(["pem.example"], "pem")
    folder = tmp_path / "certs"
    folder.mkdir()
    c2, k2 = test_ca.issue(["folder.example"], "folder")
    (folder / "combined.pem").write_bytes(c2.read_bytes() + k2.read_bytes())
    (folder / "ignored.txt").write_text("not a certificate")
    tls = {"certificates": {"load_pem": [{"certificate": crt.read_text(), "key": key.read_text()}],
                            "load_folders": [str(folder)]}}
    rt = await runtime(server(tls))
    ctx = client_context(test_ca.pem_path)
    for name in ("pem.example", "folder.example"):
        status, _, obj = await https_get(ports(rt)[0], name, ctx)
        assert status == 200 and ("DNS", name) in obj.getpeercert()["subjectAltName"]


async def test_reload_picks_up_replaced_certificate_files(runtime, test_ca: ScratchCA) -> None:
    crt, key = test_ca.issue(["r.example"], "r", org="Before")
    tls = {"certificates": {"load_files": [{"certificate": str(crt), "key": str(key)}]}}
    port = free_port()
    rt = await runtime(server(tls, listen=[f"127.0.0.1:{port}"]))
    ctx = client_context(test_ca.pem_path)
    assert subject_org((await https_get(port, "r.example", ctx))[2]) == "Before"
    test_ca.issue(["r.example"], "r", org="After")  # same paths, new pair
    await rt.load(server(tls, listen=[f"127.0.0.1:{port}"]))  # the same pooled listener
    assert subject_org((await https_get(port, "r.example", ctx))[2]) == "After"


async def test_automatic_https_skip(runtime, data_home: Path) -> None:
    routes = [host_route("managed.localhost", "m"), host_route("skipped.localhost", "s")]
    cfg = server({}, routes=routes, automatic_https={"skip": ["skipped.localhost"], "disable_redirects": True})
    rt = await runtime(cfg)
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    assert set(manager.names) == {"managed.localhost"}
    root = data_home / "pki" / "authorities" / "local" / "root.crt"
    status, body, _ = await https_get(ports(rt)[0], "managed.localhost", client_context(root))
    assert (status, body) == (200, "m")


def test_intermediate_renewed_in_its_last_third(tmp_path: Path) -> None:
    storage = FileStorage(str(tmp_path))
    ca = local_ca(storage)
    first = ca.inter
    assert first is not None and not ca.renew_intermediate_if_due()
    later = first.not_valid_after_utc - dt.timedelta(days=1)  # 1 of 7 days left
    assert ca.renew_intermediate_if_due(later)
    assert ca.inter is not None and ca.inter.serial_number != first.serial_number
    assert (tmp_path / "pki" / "authorities" / "local" / "intermediate.crt").read_bytes() == ca.intermediate_pem
    leaf = ca.issue(["*.wild.localhost"])
    assert leaf.names == ["*.wild.localhost"]
    assert FileStorage.safe_name("*.wild.localhost") == "wildcard_.wild.localhost"
