"""GOST R 34.11-2012 (Streebog, RFC 6986) on 512-bit Python integers (pure: no Django import).

gostcrypto's Streebog works on bytearrays (a new bytearray and a Python-level loop for every XOR
and every 512-bit addition) and costs about five times this for 1 KB, more than the elliptic-curve
part of a 512-bit verification. Here the 512-bit values (h, N, Sigma, the round keys) are Python
``int`` (bytes read little-endian, as every implementation lays them out), so XOR and addition are
one C operation, and the whole LPS transform (substitution, byte transposition, linear map) is one
lookup per input byte into eight 256-entry tables of 64-bit words (LPS is linear once S is folded
into the tables). The tables and round constants are gostcrypto's (the standard's).
Checked against the standard's examples and against gostcrypto on many lengths (``tests/test_gost.py``).
"""

from __future__ import annotations

from gostcrypto.gosthash.gost_34_11_2012 import _C as _GC_CONSTANTS
from gostcrypto.gosthash.gost_34_11_2012 import _T as _GC_TABLES

_MASK = (1 << 512) - 1
_BLOCK = 64

# gostcrypto's tables: output word i (bytes 8i..8i+7) = XOR over j of _T[j][byte 8j + i]. Written out
# (64 lookups of 64-bit words, shifted into place once per word): about twice as fast as folding
# 64 pre-shifted 512-bit table entries, and four times gostcrypto's bytearray version.
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = (list(t) for t in _GC_TABLES)
_ROUND_CONSTANTS: list[int] = [int.from_bytes(bytes(c), "little") for c in _GC_CONSTANTS]


def _lps(x: int) -> int:
    d = x.to_bytes(_BLOCK, "little")
    t0, t1, t2, t3, t4, t5, t6, t7 = _T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7
    return (
        (t0[d[0]] ^ t1[d[8]] ^ t2[d[16]] ^ t3[d[24]] ^ t4[d[32]] ^ t5[d[40]] ^ t6[d[48]] ^ t7[d[56]])
        | (t0[d[1]] ^ t1[d[9]] ^ t2[d[17]] ^ t3[d[25]] ^ t4[d[33]] ^ t5[d[41]] ^ t6[d[49]] ^ t7[d[57]]) << 64
        | (t0[d[2]] ^ t1[d[10]] ^ t2[d[18]] ^ t3[d[26]] ^ t4[d[34]] ^ t5[d[42]] ^ t6[d[50]] ^ t7[d[58]])
        << 128
        | (t0[d[3]] ^ t1[d[11]] ^ t2[d[19]] ^ t3[d[27]] ^ t4[d[35]] ^ t5[d[43]] ^ t6[d[51]] ^ t7[d[59]])
        << 192
        | (t0[d[4]] ^ t1[d[12]] ^ t2[d[20]] ^ t3[d[28]] ^ t4[d[36]] ^ t5[d[44]] ^ t6[d[52]] ^ t7[d[60]])
        << 256
        | (t0[d[5]] ^ t1[d[13]] ^ t2[d[21]] ^ t3[d[29]] ^ t4[d[37]] ^ t5[d[45]] ^ t6[d[53]] ^ t7[d[61]])
        << 320
        | (t0[d[6]] ^ t1[d[14]] ^ t2[d[22]] ^ t3[d[30]] ^ t4[d[38]] ^ t5[d[46]] ^ t6[d[54]] ^ t7[d[62]])
        << 384
        | (t0[d[7]] ^ t1[d[15]] ^ t2[d[23]] ^ t3[d[31]] ^ t4[d[39]] ^ t5[d[47]] ^ t6[d[55]] ^ t7[d[63]])
        << 448
    )


def _g(h: int, n: int, m: int) -> int:
    """The compression function g_N(h, m) = E(LPS(h ^ N), m) ^ h ^ m."""
    lps = _lps
    k = lps(h ^ n)
    state = k ^ m
    for c in _ROUND_CONSTANTS:
        state = lps(state)
        k = lps(k ^ c)
        state ^= k
    return state ^ h ^ m


def _digest(data: bytes, h: int) -> int:
    n = 0
    sigma = 0
    full = len(data) - len(data) % _BLOCK
    for i in range(0, full, _BLOCK):
        m = int.from_bytes(data[i : i + _BLOCK], "little")
        h = _g(h, n, m)
        n = (n + 512) & _MASK
        sigma = (sigma + m) & _MASK
    tail = data[full:]
    m = int.from_bytes(tail, "little") | (1 << (8 * len(tail)))  # padding: the bits, then 0x01, zeros
    h = _g(h, n, m)
    n = (n + 8 * len(tail)) & _MASK
    sigma = (sigma + m) & _MASK
    h = _g(h, 0, n)
    return _g(h, 0, sigma)


_IV_256 = int.from_bytes(b"\x01" * _BLOCK, "little")


def streebog512(data: bytes) -> bytes:
    return _digest(bytes(data), 0).to_bytes(_BLOCK, "little")


def streebog256(data: bytes) -> bytes:
    # the 256-bit hash is the most significant half of the final state: its upper 32 bytes
    return _digest(bytes(data), _IV_256).to_bytes(_BLOCK, "little")[32:]
