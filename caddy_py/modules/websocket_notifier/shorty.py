"""Shorty: the adaptive-Huffman codec of the Go notifier (PROTOCOL.md Appendix A), byte-exact.

One `Shorty` holds one tree; a connection keeps one per direction. The tree is stored as
flat parallel lists (symbol, up, weight, and the two children of node n at kids[2n],
kids[2n+1]) plus a symbol→node dict, so that the swaps and look-ups Go does with linear scans
are O(1) here and `copy()` is a few slices (shared outbound states copy a tree per event).
Bits are gathered in a Python int and flushed a few bytes at a time.
"""
from __future__ import annotations

import re

MAX_NODES = 2046
_PUNCT = re.escape(b"=[],.:\"'{}")
_BIT_VALUES = bytes.maketrans(b"01", b"\x00\x01")


def _tokenizer(token_size: int) -> re.Pattern[bytes]:
    # `.` with DOTALL is the any-byte fallback: sre matches it faster than a [\x00-\xff] set
    if token_size <= 1:
        return re.compile(rb".", re.S)
    t = str(token_size).encode()
    return re.compile(rb"[A-Za-z]{1,%s}|[%s]{1,%s}|." % (t, _PUNCT, t), re.S)


class Shorty:
    __slots__ = ("token_size", "_tok", "_len_bits", "sym", "up", "weight", "kids", "index", "nyt",
                 "codes")

    def __init__(self, token_size: int = 10) -> None:
        self.token_size = token_size
        self._tok = _tokenizer(token_size)
        # the weights (8, 4, 2, 1) of the token-length bits Go writes for this token size
        self._len_bits = tuple(b for b, lim in ((8, 8), (4, 4), (2, 2), (1, 1)) if token_size > lim)
        self.reset()

    def reset(self) -> None:
        """Forget the tree (Go's Reset(true)); the peer must reset at the same point."""
        self.sym: list[bytes | None] = [None]
        self.up: list[int] = [0]
        self.weight: list[int] = [0]
        self.kids: list[int] = [0, 0]  # 0: no child (the root is nobody's child)
        self.index: dict[bytes, int] = {}
        self.nyt = 0
        # token -> (node, bits, length of its code): a node's code and a token's node only
        # change when a swap moves them (about one token in 80 on event traffic), so any swap
        # simply empties the cache
        self.codes: dict[bytes, tuple[int, int, int]] = {}

    def copy(self) -> "Shorty":
        """An independent codec in the same state (a few list slices and two dict copies)."""
        c = Shorty.__new__(Shorty)
        c.token_size = self.token_size
        c._tok = self._tok
        c._len_bits = self._len_bits
        c.sym = self.sym[:]
        c.up = self.up[:]
        c.weight = self.weight[:]
        c.kids = self.kids[:]
        c.index = self.index.copy()
        c.nyt = self.nyt
        c.codes = self.codes.copy()
        return c

    # -- tree maintenance --------------------------------------------------------------
    def _code(self, n: int) -> tuple[int, int]:
        """(bits, length) of the path root→n; the leaf's bit is the least significant."""
        up = self.up
        val = 0
        length = 0
        while n:
            val |= (n & 1) << length
            length += 1
            n = up[n]
        return val, length

    def _add(self, token: bytes) -> None:
        nodes = len(self.sym)
        if nodes >= MAX_NODES:
            return
        old = self.nyt
        self.sym += (token, None)
        self.up += (old, old)
        self.weight += (1, 0)
        kids = self.kids
        kids += (0, 0, 0, 0)
        kids[2 * old] = nodes + 1  # kids[2n + bit] is the child for bit
        kids[2 * old + 1] = nodes
        self.index[token] = nodes
        self.weight[old] += 1
        self.nyt = nodes + 1
        if old != 0:  # Go: the old NYT is not the root
            self._balance(self.up[old])

    def _swap(self, a: int, b: int) -> None:
        self.codes.clear()
        sym, weight, up, kids, index = self.sym, self.weight, self.up, self.kids, self.index
        sa, sb = sym[a], sym[b]
        sym[a], sym[b] = sb, sa
        if sb is not None:
            index[sb] = a
        if sa is not None:
            index[sa] = b
        weight[a], weight[b] = weight[b], weight[a]
        i, j = 2 * a, 2 * b
        a0, a1, b0, b1 = kids[i], kids[i + 1], kids[j], kids[j + 1]
        if a0:
            up[a0] = up[a1] = b
        if b0:
            up[b0] = up[b1] = a
        kids[i], kids[i + 1], kids[j], kids[j + 1] = b0, b1, a0, a1

    def _balance(self, x: int) -> None:
        weight, up = self.weight, self.up
        while x:  # the root (0) is the only node that is its own parent
            w = weight[x]
            if weight[x - 1] == w and x > 1:  # rare: x is not the first of its weight block
                m = x - 1
                while m > 1 and weight[m - 1] == w:
                    m -= 1
                if m != up[x]:
                    self._swap(m, x)
                    x = m
            weight[x] = w + 1
            x = up[x]
        weight[0] += 1

    # -- codec -------------------------------------------------------------------------
    def deflate(self, data: bytes) -> bytes:
        out = bytearray()
        acc = 0
        nb = 0
        index = self.index
        up = self.up
        weight = self.weight
        swap = self._swap
        balance = self._balance
        codes = self.codes
        n_len = len(self._len_bits)
        len_mask = (1 << n_len) - 1
        sym = self.sym
        kids = self.kids
        for tok in self._tok.findall(data):
            c = codes.get(tok)
            if c is not None:
                x, v, n = c
                acc = (acc << n) | v
                nb += n
                while x:  # _balance(x), inlined
                    w = weight[x]
                    if weight[x - 1] == w and x > 1:
                        m = x - 1
                        while m > 1 and weight[m - 1] == w:
                            m -= 1
                        if m != up[x]:
                            swap(m, x)
                            x = m
                    weight[x] = w + 1
                    x = up[x]
                weight[0] += 1
            else:
                x = index.get(tok, 0)
                if x:
                    # code(x) and balance(x) in one walk: while balance makes no swap it
                    # climbs exactly the path code(x) reads, so the bits are picked up on the
                    # way. At the first swap the rest of the code is read from the still
                    # untouched path, then balance goes on alone.
                    v = 0
                    n = 0
                    x0 = x
                    while x:  # the root (0) is the only node that is its own parent
                        w = weight[x]
                        if weight[x - 1] == w and x > 1:
                            m = x - 1
                            while m > 1 and weight[m - 1] == w:
                                m -= 1
                            if m != up[x]:
                                y = x
                                while y:
                                    v |= (y & 1) << n
                                    n += 1
                                    y = up[y]
                                swap(m, x)
                                weight[m] = w + 1
                                balance(up[m])
                                break
                        weight[x] = w + 1
                        v |= (x & 1) << n
                        n += 1
                        x = up[x]
                    else:
                        weight[0] += 1
                        codes[tok] = (x0, v, n)
                    acc = (acc << n) | v
                    nb += n
                else:
                    v = 0
                    n = 0
                    y = self.nyt
                    while y:
                        v |= (y & 1) << n
                        n += 1
                        y = up[y]
                    # the length bits (weights 8, 4, 2, 1 down to the token size) are the low
                    # bits of len - 1
                    k = len(tok)
                    v = (v << n_len) | ((k - 1) & len_mask)
                    n += n_len
                    acc = (((acc << n) | v) << (k * 8)) | int.from_bytes(tok, "big")
                    nb += n + k * 8
                    nodes = len(sym)
                    if nodes < MAX_NODES:  # _add(tok), inlined
                        old = self.nyt
                        sym += (tok, None)
                        up += (old, old)
                        weight += (1, 0)
                        kids += (0, 0, 0, 0)
                        kids[2 * old] = nodes + 1
                        kids[2 * old + 1] = nodes
                        index[tok] = nodes
                        weight[old] += 1
                        self.nyt = nodes + 1
                        if old:
                            balance(up[old])
            if nb >= 64:
                q = nb & ~7
                rest = nb - q
                out += (acc >> rest).to_bytes(q >> 3, "big")
                acc &= (1 << rest) - 1
                nb = rest
        if nb & 7:
            v, n = self._code(self.nyt)
            acc = ((acc << n) | v) << 8
            nb += n + 8
        q = nb & ~7
        if q:
            out += (acc >> (nb - q)).to_bytes(q >> 3, "big")
        return bytes(out)

    def inflate(self, data: bytes) -> bytes:
        out = bytearray()
        total = len(data) * 8
        # one byte (0 or 1) per bit, made in C: the walk below then costs one index per bit
        bits = format(int.from_bytes(data, "big"), "0%db" % total).encode().translate(_BIT_VALUES)
        pos = 0
        sym, weight, kids, index, up = self.sym, self.weight, self.kids, self.index, self.up
        swap = self._swap
        len_bits = self._len_bits
        while True:
            tok: bytes | None = None
            if self.nyt != 0:
                node = 0
                while True:  # from the root, which is internal once the tree has a symbol
                    if pos >= total:
                        return bytes(out)
                    node = kids[2 * node + bits[pos]]
                    pos += 1
                    tok = sym[node]
                    if tok is not None or not weight[node]:
                        break
            if tok is None:  # NYT: a literal follows
                if pos + len(len_bits) > total:
                    return bytes(out)
                ll = 0
                for b in len_bits:
                    if bits[pos]:
                        ll += b
                    pos += 1
                n = ll + 1
                if pos + n * 8 > total:
                    return bytes(out)
                start = pos >> 3
                off = pos & 7
                if off == 0:
                    tok = bytes(data[start:start + n])
                else:
                    chunk = int.from_bytes(data[start:start + n + 1], "big")
                    tok = ((chunk >> (8 - off)) & ((1 << (n * 8)) - 1)).to_bytes(n, "big")
                pos += n * 8
            out += tok
            x = index.get(tok, 0)
            if x:
                while x:  # _balance(x), inlined
                    w = weight[x]
                    if weight[x - 1] == w and x > 1:
                        m = x - 1
                        while m > 1 and weight[m - 1] == w:
                            m -= 1
                        if m != up[x]:
                            swap(m, x)
                            x = m
                    weight[x] = w + 1
                    x = up[x]
                weight[0] += 1
            else:
                self._add(tok)
