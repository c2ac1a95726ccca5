"""Shorty codec: own cases plus the Go ground-truth vectors (read in place when present)."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from caddy_py.modules.websocket_notifier.shorty import MAX_NODES, Shorty


def roundtrip(msgs: list[bytes], token_size: int = 10) -> list[bytes]:
    enc, dec = Shorty(token_size), Shorty(token_size)
    return [dec.inflate(enc.deflate(m)) for m in msgs]


def test_known_small_encodings() -> None:
    # worked by hand from Appendix A: NYT code is empty, 4 length bits, then the literal
    assert Shorty().deflate(b"a") == bytes.fromhex("0610")
    assert Shorty().deflate(b"") == b""


def test_empty_message_leaves_tree_alone() -> None:
    s = Shorty()
    s.deflate(b"")
    assert s.nyt == 0 and len(s.sym) == 1


def test_tree_persists_across_messages_and_shrinks_repeats() -> None:
    s = Shorty()
    first = s.deflate(b'{"operation":"event","seq":1}\n')
    second = s.deflate(b'{"operation":"event","seq":1}\n')
    assert len(second) < len(first)
    assert roundtrip([b'{"operation":"event","seq":1}\n'] * 3) == [b'{"operation":"event","seq":1}\n'] * 3


def test_reset_resynchronises() -> None:
    enc, dec = Shorty(), Shorty()
    dec.inflate(enc.deflate(b"hello world"))
    enc.reset()
    dec.reset()
    assert dec.inflate(enc.deflate(b"again hello")) == b"again hello"


def test_tree_stops_growing_at_limit() -> None:
    rnd = random.Random(7)
    words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(1500)]
    msg = b" ".join(words)
    enc, dec = Shorty(), Shorty()
    assert dec.inflate(enc.deflate(msg)) == msg
    assert len(enc.sym) <= MAX_NODES + 1
    assert dec.inflate(enc.deflate(msg)) == msg


def test_garbage_never_raises() -> None:
    rnd = random.Random(1)
    s = Shorty()
    for _ in range(200):
        s.inflate(bytes(rnd.randrange(256) for _ in range(rnd.randrange(40))))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=6), st.sampled_from([2, 3, 5, 9, 10, 16]))
def test_roundtrip_property(msgs: list[bytes], token_size: int) -> None:
    assert roundtrip(msgs, token_size) == msgs


def _vectors(shared_dir: Path) -> dict:
    return json.loads((shared_dir / "vectors" / "shorty.json").read_text())


def test_go_deflate_sequences(shared_dir: Path) -> None:
    for seq in _vectors(shared_dir)["deflate_sequences"]:
        enc, dec = Shorty(seq["token_size"]), Shorty(seq["token_size"])
        for i, m in enumerate(seq["messages"]):
            if m.get("reset_full"):
                enc.reset()
                dec.reset()
                continue
            data = bytes.fromhex(m["input_hex"])
            got = enc.deflate(data)
            assert got.hex() == m["deflated_hex"], f"{seq['name']}[{i}] deflate"
            assert dec.inflate(got).hex() == m["inflated_hex_go"], f"{seq['name']}[{i}] inflate"


def test_go_inflate_cases(shared_dir: Path) -> None:
    for case in _vectors(shared_dir)["inflate_cases"]:
        s = Shorty(case["token_size"])
        for i, step in enumerate(case["fresh_instance_sequence"]):
            got = s.inflate(bytes.fromhex(step["data_hex"]))
            assert got.hex() == step["inflated_hex"], f"{case['name']}[{i}]"
