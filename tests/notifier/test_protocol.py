"""Go-compatible encoding (§2.3) and strict request parsing (§2.6, §13.15)."""
from __future__ import annotations

import pytest

from caddy_py.modules.websocket_notifier import protocol as p


def test_omits_empty_fields_and_keeps_order() -> None:
    assert p.verify("", [], [], "", "tok") == b'{"operation":"verify","resume_token":"tok"}\n'
    assert p.verify("r", ["a"], ["b"], "m", "t") == (
        b'{"operation":"verify","request_id":"r","accept":["a"],"reject":["b"],"message":"m","resume_token":"t"}\n')


def test_go_escapes_and_controls() -> None:
    assert p.unsubscribed(["<a>&\u2028\u2029\n\x01é"]) == (
        b'{"operation":"unsubscribed","channels":["\\u003ca\\u003e\\u0026\\u2028\\u2029\\n\\u0001\xc3\xa9"]}\n')


def test_metadata_sorted_and_empty_values_kept() -> None:
    assert p.backend_subscribe("t", "", [], "", {"b": "", "a": "1"}) == (
        b'{"operation":"subscribe","subscription_id":"t","metadata":{"a":"1","b":""}}\n')
    assert p.backend_subscribe("t", "", [], "", {}) == b'{"operation":"subscribe","subscription_id":"t"}\n'


def test_resume_success_has_recovered_last() -> None:
    assert p.resume_success(["a"], False) == b'{"operation":"resume_success","channels":["a"],"recovered":false}\n'


def test_payload_compacted_verbatim() -> None:
    raw = b'{ "n" : 2.50 , "e" : "\\u00e9" , "l" : [ 1e3 , true , null ] , "h":"<&>" }'
    assert p.compact_raw(raw) == b'{"n":2.50,"e":"\\u00e9","l":[1e3,true,null],"h":"\\u003c\\u0026\\u003e"}'
    assert p.event(p.event_prefix([], b"1"), 7) == b'{"operation":"event","payload":1,"seq":7}\n'


def test_parse_request_fields() -> None:
    r = p.parse_request(b' {"operation":"resume","resume_token":"x","seq":18446744073709551615,"zz":{}} {')
    assert (r.operation, r.resume_token, r.seq) == ("resume", "x", 2**64 - 1)
    r = p.parse_request(b'{"channels":null,"seq":null,"credential":null,"request_id":"\\ud800"}')
    assert r.channels == () and r.seq == 0 and r.request_id == "\ufffd"


@pytest.mark.parametrize("bad", [b"", b" ", b"[]", b"1", b'{"seq":true}', b'{"credential":1}',
                                 b'{"resume_token":[]}', b"Infinity", b'{"a":NaN}'])
def test_parse_request_rejects(bad: bytes) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_request(bad)


@pytest.mark.parametrize("raw,expected", [
    (rb'{"operation":"x\ud800"}', "x\ufffd"),
    (rb'{"operation":"\u0041\udc00"}', "A\ufffd"),
    (rb'{"operation":"\ud83d\ude00\ud800"}', "\U0001f600\ufffd"),
    (rb'{"operation":"\\ud800"}', "\\ud800"),
    (b'{"operation":"a\xffb"}', "a\ufffdb"),
])
def test_backend_lone_surrogates_and_bad_utf8_become_replacement(raw: bytes, expected: str) -> None:
    assert p.parse_backend(raw).operation == expected


def test_backend_malformed_still_raises() -> None:
    import msgspec

    with pytest.raises(msgspec.DecodeError):
        p.parse_backend(b'{"operation":')
