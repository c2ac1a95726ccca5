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


# -- reference oracle: Appendix A written out literally (linear scans, one bit at a time) ------
class RefShorty:
    """The codec as the spec words it; slow and obvious, used only to check the fast one."""

    def __init__(self, token_size: int = 10) -> None:
        self.t = token_size
        self.sym: list[bytes | None] = [None]
        self.up = [0]
        self.weight = [0]
        self.nyt = 0

    def tokens(self, data: bytes) -> list[bytes]:
        out, i, punct = [], 0, b"=[],.:\"'{}"
        while i < len(data):
            j = i + 1
            if self.t > 1:
                for cls in (lambda c: chr(c).isascii() and chr(c).isalpha(), lambda c: c in punct):
                    if cls(data[i]):
                        while j < len(data) and j - i < self.t and cls(data[j]):
                            j += 1
            out.append(data[i:j])
            i = j
        return out

    def code(self, n: int) -> list[int]:
        bits = []
        while n:
            bits.append(n & 1)
            n = self.up[n]
        return bits[::-1]

    def find(self, t: bytes) -> int:
        return max((i for i in range(1, len(self.sym)) if self.sym[i] == t), default=0)

    def add(self, t: bytes) -> None:
        n = len(self.sym)
        if n >= MAX_NODES:
            return
        old = self.nyt
        self.sym += [t, None]
        self.up += [old, old]
        self.weight += [1, 0]
        self.weight[old] += 1
        self.nyt = n + 1
        if old != 0:
            self.balance(self.up[old])

    def swap(self, a: int, b: int) -> None:
        s, w = self.sym, self.weight
        s[a], s[b], w[a], w[b] = s[b], s[a], w[b], w[a]
        for n in range(1, len(self.up)):
            self.up[n] = b if self.up[n] == a else a if self.up[n] == b else self.up[n]

    def balance(self, x: int) -> None:
        while True:
            m = x
            while m > 1 and self.weight[m - 1] == self.weight[x]:
                m -= 1
            if m != x and m != self.up[x]:
                self.swap(m, x)
                x = m
            self.weight[x] += 1
            if self.up[x] == x:
                return
            x = self.up[x]

    def len_weights(self) -> list[int]:
        return [b for b in (8, 4, 2, 1) if self.t > b]

    def deflate(self, data: bytes) -> bytes:
        bits: list[int] = []
        for t in self.tokens(data):
            x = self.find(t)
            if x:
                bits += self.code(x)
                self.balance(x)
            else:
                bits += self.code(self.nyt)
                bits += [1 if (len(t) - 1) & b else 0 for b in self.len_weights()]
                bits += [(c >> (7 - k)) & 1 for c in t for k in range(8)]
                self.add(t)
        if len(bits) % 8:
            bits += self.code(self.nyt) + [0] * 8
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits) - 7, 8))

    def inflate(self, data: bytes) -> bytes:
        bits = [(c >> (7 - k)) & 1 for c in data for k in range(8)]
        pos, out = 0, b""
        while True:
            node = 0
            if self.nyt != 0:
                while True:
                    if pos >= len(bits):
                        return out
                    bit = bits[pos]
                    kids = [c for c, u in enumerate(self.up) if c and u == node and c & 1 == bit]
                    pos += 1
                    node = min(kids)
                    if self.sym[node] is not None or self.weight[node] == 0:
                        break
            t = self.sym[node]
            if t is None:
                lw = self.len_weights()
                if pos + len(lw) > len(bits):
                    return out
                n = 1 + sum(b for b, bit in zip(lw, bits[pos:]) if bit)
                pos += len(lw)
                if pos + 8 * n > len(bits):
                    return out
                chunks = (bits[pos + 8 * i:pos + 8 * i + 8] for i in range(n))
                t = bytes(int("".join(map(str, c)), 2) for c in chunks)
                pos += 8 * n
            out += t
            x = self.find(t)
            if x:
                self.balance(x)
            else:
                self.add(t)


def test_reference_oracle_matches_go_vectors(shared_dir: Path) -> None:
    for seq in _vectors(shared_dir)["deflate_sequences"]:
        if seq["name"].startswith("tree_full") or "random" in seq["name"]:
            continue  # the oracle is too slow for the big trees; the fast codec covers them
        enc = RefShorty(seq["token_size"])
        for m in seq["messages"]:
            if m.get("reset_full"):
                enc = RefShorty(seq["token_size"])
                continue
            got = enc.deflate(bytes.fromhex(m["input_hex"]))
            assert got.hex() == m["deflated_hex"], seq["name"]


_JSON_PIECES = [b"{", b"}", b'"', b":", b",", b"seq", b"operation", b"event",
                b"0", b"7", b"42", b" ", b"\n", b"\xc3\xa9", b"abcdefghijkl"]
_json_ish = st.lists(st.sampled_from(_JSON_PIECES), max_size=60).map(b"".join)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.one_of(_json_ish, st.binary(max_size=80)), max_size=8),
       st.sampled_from([1, 2, 3, 5, 9, 10, 16]))
def test_deflate_and_inflate_equal_the_oracle(msgs: list[bytes], token_size: int) -> None:
    fast, ref = Shorty(token_size), RefShorty(token_size)
    fast_in, ref_in = Shorty(token_size), RefShorty(token_size)
    for m in msgs:
        z = fast.deflate(m)
        assert z == ref.deflate(m)
        assert fast_in.inflate(z) == ref_in.inflate(z)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=6), st.sampled_from([1, 3, 10]))
def test_inflate_of_garbage_equals_the_oracle(blobs: list[bytes], token_size: int) -> None:
    fast, ref = Shorty(token_size), RefShorty(token_size)
    for b in blobs:
        assert fast.inflate(b) == ref.inflate(b)


def test_full_tree_equals_the_oracle() -> None:
    rnd = random.Random(3)
    letters = b"abcdefghijklmnopqrstuvwxyz"
    words = [bytes(rnd.choice(letters) for _ in range(6)) for _ in range(1100)]
    msgs = [b" ".join(words[:600]), b",".join(words[500:]), b'{"seq":12,"x":"' + words[7] + b'"}']
    fast, ref, fast_in = Shorty(), RefShorty(), Shorty()
    for m in msgs:
        z = fast.deflate(m)
        assert z == ref.deflate(m)
        assert fast_in.inflate(z) == m
    assert len(fast.sym) == len(ref.sym) == MAX_NODES + 1
