"""Go's %v/%#v renderings of config values that Caddy puts in error messages; the expected texts
are what caddy 2.11.7 printed for the same values."""
from __future__ import annotations

from caddy_py.httpcaddyfile.addresses import AddressesWithProtocols
from caddy_py.httpcaddyfile.gorepr import go_client_auth_v, go_value
from caddy_py.httpcaddyfile.logging import NamedCustomLog


def test_client_auth_v() -> None:
    assert go_client_auth_v(None) == "<nil>"
    assert go_client_auth_v({"mode": "request"}) == (
        "&{CARaw:[] ca:<nil> TrustedCACerts:[] TrustedCACertPEMFiles:[] TrustedLeafCerts:[] VerifiersRaw:[] "
        "verifiers:[] Mode:request existingVerifyPeerCert:<nil>}")
    inline = {"ca": {"provider": "inline", "trusted_ca_certs": ["AA"]}}
    assert go_client_auth_v(inline).startswith("&{CARaw:[123 34 112 114 111 118 105 100 101 114 34 58 34 105 110 108 ")
    assert go_client_auth_v(inline).endswith(" 34 65 65 34 93 125] ca:<nil> TrustedCACerts:[] TrustedCACertPEMFiles:[] "
                                             "TrustedLeafCerts:[] VerifiersRaw:[] verifiers:[] Mode: "
                                             "existingVerifyPeerCert:<nil>}")


def test_values() -> None:
    assert go_value(AddressesWithProtocols(["1.2.3.4"], None)) == (
        'httpcaddyfile.addressesWithProtocols{addresses:[]string{"1.2.3.4"}, protocols:[]string(nil)}')
    assert go_value(NamedCustomLog(hostnames=["a", 'b"c'], no_hostname=True)) == (
        'httpcaddyfile.namedCustomLog{name:"", hostnames:[]string{"a", "b\\"c"}, log:(*caddy.CustomLog)(nil), '
        'noHostname:true}')
