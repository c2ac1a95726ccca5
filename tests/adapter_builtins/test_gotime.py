"""Go's value parsers with Go's error text (durations with days, byte sizes, integers)."""
from __future__ import annotations

import pytest

from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, format_duration, parse_bytes, parse_duration, parse_float


@pytest.mark.parametrize("text,ns", [
    ("0", 0), ("1s", 10**9), ("1.5s", 1_500_000_000), ("1h30m", 5400 * 10**9), ("-2ms", -2_000_000),
    ("1d", 86400 * 10**9), ("1.5d", 129600 * 10**9), ("2d3h", (48 + 3) * 3600 * 10**9), ("100us", 100_000),
    ("1\u00b5s", 1000), (".5s", 500_000_000),
])
def test_durations(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text,msg", [
    ("", 'time: invalid duration ""'),
    ("abc", 'time: invalid duration "abc"'),
    ("5", 'time: missing unit in duration "5"'),
    ("5x", 'time: unknown unit "x" in duration "5x"'),
    ("xd", 'strconv.ParseFloat: parsing "x": invalid syntax'),
])
def test_duration_errors(text: str, msg: str) -> None:
    with pytest.raises(GoValueError) as e:
        parse_duration(text)
    assert str(e.value) == msg


@pytest.mark.parametrize("text,n", [("256k", 256000), ("256KiB", 262144), ("1MB", 10**6), ("1,000", 1000),
                                    ("1.5 GiB", 1610612736), ("42", 42)])
def test_bytes(text: str, n: int) -> None:
    assert parse_bytes(text) == n


def test_bytes_errors() -> None:
    with pytest.raises(GoValueError, match="unhandled size name: zz"):
        parse_bytes("1zz")
    with pytest.raises(GoValueError, match='strconv.ParseFloat: parsing "": invalid syntax'):
        parse_bytes("k")


def test_atoi_and_float() -> None:
    assert atoi("+7") == 7
    with pytest.raises(GoValueError, match='strconv.Atoi: parsing "7a": invalid syntax'):
        atoi("7a")
    assert parse_float("1e3") == 1000.0
    with pytest.raises(GoValueError, match='strconv.ParseFloat: parsing "0x": invalid syntax'):
        parse_float("0x")


@pytest.mark.parametrize("ns,text", [
    (0, "0s"), (1, "1ns"), (1500, "1.5\u00b5s"), (2_500_000, "2.5ms"), (1_500_000_000, "1.5s"),
    (3600 * 10**9, "1h0m0s"), (-3600 * 10**9, "-1h0m0s"), (90 * 10**9, "1m30s"), (86400 * 10**9 + 1, "24h0m0.000000001s"),
])
def test_format_duration(ns: int, text: str) -> None:
    assert format_duration(ns) == text
