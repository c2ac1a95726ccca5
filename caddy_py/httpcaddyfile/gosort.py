"""Go's sort.SliceStable, step for step (insertion sort on blocks of 20, then SymMerge).

Caddy's comparators are not always consistent (the `vars` one says "less" for two equal
routes), so only the exact same sequence of comparisons and swaps gives Caddy's order.
"""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T")


def slice_stable(data: list[T], less: Callable[[T, T], bool]) -> None:
    """Sort `data` in place exactly as Go's sort.SliceStable(data, less) would."""
    n = len(data)

    def lt(i: int, j: int) -> bool:
        return less(data[i], data[j])

    def swap(i: int, j: int) -> None:
        data[i], data[j] = data[j], data[i]

    def insertion_sort(a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and lt(j, j - 1):
                swap(j, j - 1)
                j -= 1

    def swap_range(a: int, b: int, k: int) -> None:
        for i in range(k):
            swap(a + i, b + i)

    def rotate(a: int, m: int, b: int) -> None:
        i, j = m - a, b - m
        while i != j:
            if i > j:
                swap_range(m - i, m, j)
                i -= j
            else:
                swap_range(m - i, m + j - i, i)
                j -= i
        swap_range(m - i, m, i)

    def sym_merge(a: int, m: int, b: int) -> None:
        if m - a == 1:
            i, j = m, b
            while i < j:
                h = (i + j) >> 1
                if lt(h, a):
                    i = h + 1
                else:
                    j = h
            for k in range(a, i - 1):
                swap(k, k + 1)
            return
        if b - m == 1:
            i, j = a, m
            while i < j:
                h = (i + j) >> 1
                if not lt(m, h):
                    i = h + 1
                else:
                    j = h
            for k in range(m, i, -1):
                swap(k, k - 1)
            return
        mid = (a + b) >> 1
        n2 = mid + m
        if m > mid:
            start, r = n2 - b, mid
        else:
            start, r = a, m
        p = n2 - 1
        while start < r:
            c = (start + r) >> 1
            if not lt(p - c, c):
                start = c + 1
            else:
                r = c
        end = n2 - start
        if start < m < end:
            rotate(start, m, end)
        if a < start < mid:
            sym_merge(a, start, mid)
        if mid < end < b:
            sym_merge(mid, end, b)

    try:
        _sort(n, insertion_sort, sym_merge)
    finally:
        # the nested helpers refer to each other (sym_merge to itself): clearing them breaks
        # the cycle, so `data` and `less` are freed by refcounting, not the cyclic collector
        insertion_sort = sym_merge = rotate = swap_range = lt = swap = None  # type: ignore[assignment]


def _sort(n: int, insertion_sort: Callable[[int, int], None], sym_merge: Callable[[int, int, int], None]) -> None:
    block = 20
    a, b = 0, block
    while b <= n:
        insertion_sort(a, b)
        a = b
        b += block
    insertion_sort(a, n)
    while block < n:
        a, b = 0, 2 * block
        while b <= n:
            sym_merge(a, a + block, b)
            a = b
            b += 2 * block
        m = a + block
        if m < n:
            sym_merge(a, m, n)
        block *= 2
