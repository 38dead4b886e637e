"""GOST R 34.10-2012 signatures and GOST R 34.11-2012 (Streebog) digests (pure: no Django import).

NCA RK's GOST 2015 keys (ST RK GOST R 34.10-2015) use the GOST R 34.10-2012 algorithm on the TC26
curves. Streebog is ``streebog.py`` (integer-state, table-driven; gostcrypto's tables and constants,
checked against gostcrypto); the curve arithmetic is ours because gostcrypto's affine arithmetic
inverts on every addition and is several times slower: Jacobian coordinates with no inversion in
the loop, a fixed-base signed-window table for each curve's base point (built once per process),
the same for trusted CA keys (``precompute``), and wNAF for a key seen for the first time, so that
u1*G + u2*Q costs one doubling per bit of u2 and additions only. Verified against the standards'
published examples (``tests/test_gost.py``).

Encodings (RFC 4491 / RFC 7091 / RFC 9215, what CryptoPro, OpenSSL's GOST engine and NCA's Java
library exchange):

* a digest is the byte string Streebog outputs; as the integer alpha of the standard it is read
  **little-endian** (the standard prints numbers most significant byte first, implementations
  emit bytes in the other order);
* a signature value is ``s || r``, each big-endian, each ``size`` bytes (32 or 64);
* a public key is an OCTET STRING (inside the SubjectPublicKeyInfo BIT STRING) holding
  ``x || y``, each **little-endian**.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from gostcrypto.gostsignature import CURVES_R_1323565_1_024_2019 as _GC_CURVES
from gostcrypto.gostsignature import MODE_256, MODE_512
from gostcrypto.gostsignature import new as _gc_signer

from . import streebog as _streebog

try:  # GMP integers: a 512-bit multiply-and-reduce is ~4x cheaper than with Python's int
    from gmpy2 import mpz as _num
except ImportError:  # pragma: no cover - gmpy2 is a locked dependency; int gives the same answers
    _num = int

# --- OIDs (RFC 9215 / TC26; the GOST 2015 family NCA RK issues) -----------------------------------
OID_KEY_256 = "1.2.643.7.1.1.1.1"  # id-tc26-gost3410-12-256
OID_KEY_512 = "1.2.643.7.1.1.1.2"  # id-tc26-gost3410-12-512
OID_DIGEST_256 = "1.2.643.7.1.1.2.2"  # id-tc26-gost3411-12-256
OID_DIGEST_512 = "1.2.643.7.1.1.2.3"  # id-tc26-gost3411-12-512
OID_SIGN_256 = "1.2.643.7.1.1.3.2"  # id-tc26-signwithdigest-gost3410-12-256
OID_SIGN_512 = "1.2.643.7.1.1.3.3"  # id-tc26-signwithdigest-gost3410-12-512

# NCA RK's own arc, as Kalkan writes it (seen in public NCANode / Kalkan integration code, not in a
# published NCA specification): signature and digest identifiers of GOST R 34.10/34.11-2015.
KZ_SIGN_256 = "1.2.398.3.10.1.1.2.3.1"
KZ_SIGN_512 = "1.2.398.3.10.1.1.2.3.2"
KZ_DIGEST_256 = "1.2.398.3.10.1.3.2"
KZ_DIGEST_512 = "1.2.398.3.10.1.3.3"
# GOST 34.310-2004 with GOST 34.311-95 (the older Kazakh standard): recognised only to refuse it by name.
KZ_GOST_2004_SIGN = "1.2.398.3.10.1.1.1.2"
KZ_GOST_2004_KEY = "1.2.398.3.10.1.1.1.1"
KZ_GOST_34311_95 = "1.2.398.3.10.1.3.1"

DIGEST_NAMES = {
    OID_DIGEST_256: "streebog256",
    OID_DIGEST_512: "streebog512",
    KZ_DIGEST_256: "streebog256",
    KZ_DIGEST_512: "streebog512",
}
# signature algorithm -> the Streebog it goes with (SignerInfo may also carry the key OID itself)
SIGNATURE_DIGESTS = {
    OID_SIGN_256: "streebog256",
    OID_KEY_256: "streebog256",
    KZ_SIGN_256: "streebog256",
    OID_SIGN_512: "streebog512",
    OID_KEY_512: "streebog512",
    KZ_SIGN_512: "streebog512",
}
# SubjectPublicKeyInfo algorithms -> coordinate size. NCA's own key OID for 2015 keys is not confirmed
# from public sources; ``register_key_oid`` adds it (and ``register_paramset`` its curve) by configuration.
KEY_SIZES = {OID_KEY_256: 32, OID_KEY_512: 64}


class GostError(ValueError):
    """A GOST key, parameter set or signature this module cannot use."""


def streebog256(data: bytes) -> bytes:
    return _streebog.streebog256(data)


def streebog512(data: bytes) -> bytes:
    return _streebog.streebog512(data)


def digest(oid_or_name: str, data: bytes) -> bytes:
    name = DIGEST_NAMES.get(oid_or_name, oid_or_name)
    if name == "streebog256":
        return streebog256(data)
    if name == "streebog512":
        return streebog512(data)
    raise GostError(f"unknown GOST digest {oid_or_name}")


# --- curves ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Curve:
    name: str
    p: int
    a: int
    b: int
    q: int  # order of the base point
    x: int
    y: int
    size: int = field(default=0)  # bytes of a coordinate / of r and s
    # the arithmetic's own copies (gmpy2 mpz when installed); the public fields stay int
    mp: Any = field(init=False, repr=False, compare=False)
    ma: Any = field(init=False, repr=False, compare=False)
    a_is_minus_3: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mp", _num(self.p))
        object.__setattr__(self, "ma", _num(self.a))
        object.__setattr__(self, "a_is_minus_3", self.a == self.p - 3)

    def contains(self, x: int, y: int) -> bool:
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + self.a * x + self.b)) % p == 0


def _from_gostcrypto(name: str) -> Curve:
    params = _GC_CURVES[name]
    mode = MODE_512 if "512" in name else MODE_256
    obj = _gc_signer(mode, params)  # converts the twisted Edwards sets to Weierstrass form
    size = 64 if mode == MODE_512 else 32
    return Curve(name, obj._p, obj._a, obj._b, obj._q, obj._x, obj._y, size)


# The examples of GOST R 34.10-2012 Appendix A (A.1: 256 bits, A.2: 512 bits); tests only.
TEST_CURVE_256 = Curve(
    "GOST R 34.10-2012 A.1 (test)",
    p=0x8000000000000000000000000000000000000000000000000000000000000431,
    a=7,
    b=0x5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E,
    q=0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
    x=2,
    y=0x08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8,
    size=32,
)
TEST_CURVE_512 = Curve(
    "GOST R 34.10-2012 A.2 (test)",
    p=int(
        "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
        "F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373",
        16,
    ),
    a=7,
    b=int(
        "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43"
        "61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC",
        16,
    ),
    q=int(
        "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
        "A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF",
        16,
    ),
    x=int(
        "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762"
        "FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A",
        16,
    ),
    y=int(
        "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C"
        "83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E",
        16,
    ),
    size=64,
)

# Parameter set OIDs -> gostcrypto's names (R 1323565.1.024-2019; RFC 9215; CryptoPro sets of RFC 4357
# that TC26 re-uses under 2012 keys).
_PARAMSET_NAMES = {
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-A
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",  # CryptoPro-B
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-C
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-XchA
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-XchB
    "1.2.643.7.1.2.1.2.1": "id-tc26-gost-3410-12-512-paramSetA",
    "1.2.643.7.1.2.1.2.2": "id-tc26-gost-3410-12-512-paramSetB",
    "1.2.643.7.1.2.1.2.3": "id-tc26-gost-3410-2012-512-paramSetC",
}
PARAMSET_256_A = "1.2.643.7.1.2.1.1.1"


def register_key_oid(oid: str, size: int) -> None:
    """Accept ``oid`` as a GOST 2015 public key algorithm of ``size`` (32 or 64) bytes (configuration)."""
    if size not in (32, 64):
        raise GostError("a GOST 2015 key is 32 or 64 bytes a coordinate")
    KEY_SIZES[oid] = size


def register_paramset(oid: str, same_as: str) -> None:
    """Take curve parameter set ``oid`` as the same curve as the known set ``same_as`` (configuration)."""
    if same_as not in _PARAMSET_NAMES:
        raise GostError(f"unknown GOST curve parameter set {same_as}")
    _PARAMSET_NAMES[oid] = _PARAMSET_NAMES[same_as]
    curve_for.cache_clear()


PARAMSET_512_A = "1.2.643.7.1.2.1.2.1"


@cache
def curve_for(paramset_oid: str) -> Curve:
    name = _PARAMSET_NAMES.get(paramset_oid)
    if name is None:
        raise GostError(f"unknown GOST curve parameter set {paramset_oid}")
    return _from_gostcrypto(name)


# --- arithmetic (Jacobian coordinates; None is the point at infinity) --------------------------------
_Jac = tuple[int, int, int] | None


def _double(c: Curve, pt: _Jac) -> _Jac:
    if pt is None:
        return None
    x, y, z = pt
    if y == 0:
        return None
    p = c.mp
    yy = y * y % p
    yyyy = yy * yy % p
    zz = z * z % p
    s = 4 * x * yy % p
    # a = -3 (the TC26 512-bit sets, CryptoPro A-C): 3*(X - Z^2)*(X + Z^2), two products fewer
    m = 3 * (x - zz) * (x + zz) % p if c.a_is_minus_3 else (3 * x * x + c.ma * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * yyyy) % p
    z3 = 2 * y * z % p
    return x3, y3, z3


def _add_affine(c: Curve, p1: _Jac, x2: int, y2: int) -> _Jac:
    """p1 + (x2, y2) with the second point affine (Z = 1): the table points of ``_shamir``."""
    if p1 is None:
        return x2, y2, _num(1)
    p = c.mp
    x1, y1, z1 = p1
    z1z1 = z1 * z1 % p
    u2 = x2 * z1z1 % p
    s2 = y2 * z1 * z1z1 % p
    if x1 == u2:
        return _double(c, p1) if y1 == s2 else None
    h = (u2 - x1) % p
    r = (s2 - y1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = x1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - y1 * hhh) % p
    z3 = h * z1 % p
    return x3, y3, z3


def _normalise(c: Curve, points: list[_Jac]) -> list[tuple[int, int] | None]:
    """Affine forms of several points with one inversion (Montgomery's trick)."""
    p = c.mp
    zs = [pt[2] for pt in points if pt is not None]
    prefix = [1]
    for z in zs:
        prefix.append(prefix[-1] * z % p)
    inv = pow(prefix[-1], -1, p)
    inverses = [0] * len(zs)
    for i in range(len(zs) - 1, -1, -1):
        inverses[i] = inv * prefix[i] % p
        inv = inv * zs[i] % p
    out: list[tuple[int, int] | None] = []
    k = 0
    for pt in points:
        if pt is None:
            out.append(None)
            continue
        zi = inverses[k]
        k += 1
        zi2 = zi * zi % p
        out.append((pt[0] * zi2 % p, pt[1] * zi2 * zi % p))
    return out


def _add(c: Curve, p1: _Jac, p2: _Jac) -> _Jac:
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    p = c.mp
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    if u1 == u2:
        return _double(c, p1) if s1 == s2 else None
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = h * z1 * z2 % p
    return x3, y3, z3


def _affine(c: Curve, pt: _Jac) -> tuple[int, int] | None:
    if pt is None:
        return None
    x, y, z = pt
    p = c.mp
    zi = pow(z, -1, p)
    zi2 = zi * zi % p
    return x * zi2 % p, y * zi2 * zi % p


def _mul(c: Curve, k: int, x: int, y: int) -> _Jac:
    acc: _Jac = None
    base: _Jac = (x, y, 1)
    for bit in bin(k)[2:]:
        acc = _double(c, acc)
        if bit == "1":
            acc = _add(c, acc, base)
    return acc


class FixedBase:
    """Signed-window table of one point ``P``: ``rows[i][j - 1] = j * 2^(w*i) * P`` (affine) for
    j in 1..2^(w-1). ``k*P`` is then one mixed addition per window of ``k`` and no doubling at all.
    Built once per curve for the base point and at load for trusted CA keys (see ``precompute``)."""

    def __init__(self, c: Curve, point: tuple[int, int], window: int) -> None:
        self.window = window
        half = 1 << (window - 1)
        windows = (c.q.bit_length() + window - 1) // window + 1  # +1: the carry of the signed digits
        jac: list[_Jac] = []
        base: _Jac = (_num(point[0]), _num(point[1]), _num(1))
        for _ in range(windows):
            row = [base]
            for _ in range(half - 1):
                row.append(_add(c, row[-1], base))
            jac.extend(row)
            base = _double(c, row[-1])  # 2^(w-1) * base doubled: the next window's base
        flat = _normalise(c, jac)
        self.rows: list[list[tuple[int, int] | None]] = [
            flat[i * half : (i + 1) * half] for i in range(windows)
        ]

    def add_multiple(self, c: Curve, acc: _Jac, k: int) -> _Jac:
        """acc + k*P."""
        k = int(k)
        w = self.window
        mask = (1 << w) - 1
        half = 1 << (w - 1)
        full = 1 << w
        p = c.mp
        for row in self.rows:
            if not k:
                break
            d = k & mask
            k >>= w
            if d > half:
                d -= full
                k += 1
            if d > 0:
                entry = row[d - 1]
                assert entry is not None  # noqa: S101 - multiples below the order are never infinity
                acc = _add_affine(c, acc, entry[0], entry[1])
            elif d < 0:
                entry = row[-d - 1]
                assert entry is not None  # noqa: S101
                acc = _add_affine(c, acc, entry[0], p - entry[1])
        return acc


_BASE_WINDOW = 7  # 512 bits: 75 windows x 64 points (~1 MB, built once per curve per process)
_KEY_WINDOW = 5  # a CA key's table: 104 windows x 16 points, built in a few ms
_MAX_KEY_TABLES = 256


@cache
def _base_table(c: Curve) -> FixedBase:
    return FixedBase(c, (c.x, c.y), _BASE_WINDOW)


def prepare(c: Curve) -> None:
    """Build the curve's base-point table now (at trust-store load) rather than in the first request."""
    _base_table(c)


_key_tables: dict[tuple[str, int, int], FixedBase] = {}


def precompute(c: Curve, point: tuple[int, int]) -> None:
    """Keep a fixed-base table for ``point`` (a trusted CA's key, which verifies many certificates and
    revocation answers): its verifications then cost no doublings. Bounded; idempotent."""
    key = (c.name, point[0], point[1])
    if key in _key_tables or not c.contains(*point):
        return
    if len(_key_tables) >= _MAX_KEY_TABLES:
        _key_tables.pop(next(iter(_key_tables)))
    _key_tables[key] = FixedBase(c, point, _KEY_WINDOW)


def _wnaf(k: int, width: int) -> list[int]:
    """Width-``width`` non-adjacent form of k, least significant digit first (odd digits or 0)."""
    digits = []
    full = 1 << width
    half = full >> 1
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        digits.append(d)
        k >>= 1
    return digits


def _add_variable_multiple(c: Curve, k: int, q: tuple[int, int]) -> _Jac:
    """k*Q for a point seen for the first time: wNAF (w = 5) over 8 odd multiples made affine once,
    so the loop is one doubling per bit and a mixed addition every ~6 bits."""
    q1: _Jac = (_num(q[0]), _num(q[1]), _num(1))
    q2 = _double(c, q1)
    odd = [q1]
    for _ in range(7):
        odd.append(_add(c, odd[-1], q2))
    table = _normalise(c, odd)
    p = c.mp
    acc: _Jac = None
    for d in reversed(_wnaf(int(k), 5)):
        acc = _double(c, acc)
        if d > 0:
            entry = table[d >> 1]
            assert entry is not None  # noqa: S101 - odd multiples below the order
            acc = _add_affine(c, acc, entry[0], entry[1])
        elif d < 0:
            entry = table[(-d) >> 1]
            assert entry is not None  # noqa: S101
            acc = _add_affine(c, acc, entry[0], p - entry[1])
    return acc


def _combination(c: Curve, k1: int, k2: int, q: tuple[int, int]) -> _Jac:
    """k1*G + k2*Q: G always from its fixed-base table; Q from its table when it is a precomputed
    (trusted CA) key, else by wNAF. The G part is added into the Q part, so no extra doubling."""
    table = _key_tables.get((c.name, q[0], q[1]))
    acc = table.add_multiple(c, None, k2) if table is not None else _add_variable_multiple(c, k2, q)
    return _base_table(c).add_multiple(c, acc, k1)


# --- the algorithm (GOST R 34.10-2012 section 6) --------------------------------------------------------
def public_key(c: Curve, d: int) -> tuple[int, int]:
    pt = _affine(c, _base_table(c).add_multiple(c, None, d))
    assert pt is not None  # noqa: S101 - d in [1, q-1]
    return int(pt[0]), int(pt[1])


def new_private_key(c: Curve) -> int:
    return 1 + secrets.randbelow(c.q - 1)


def _e(c: Curve, alpha: int) -> int:
    return alpha % c.q or 1


def sign_e(c: Curve, d: int, alpha: int, k: int | None = None) -> tuple[int, int]:
    """(r, s) for the integer alpha of a digest; ``k`` only for the standard's examples."""
    e = _e(c, alpha)
    while True:
        kk = k if k is not None else new_private_key(c)
        # not constant-time: signing here serves the test PKI and the demo signer, never a client's key
        pt = _affine(c, _base_table(c).add_multiple(c, None, kk))
        assert pt is not None  # noqa: S101
        r = int(pt[0]) % c.q
        s = (r * d + kk * e) % c.q
        if r and s:
            return r, s
        if k is not None:
            raise GostError("the given k yields r = 0 or s = 0")


def verify_e(c: Curve, q: tuple[int, int], alpha: int, r: int, s: int) -> bool:
    if not (0 < r < c.q and 0 < s < c.q):
        return False
    if not c.contains(*q):
        return False
    e = _e(c, alpha)
    v = pow(e, -1, c.q)
    z1 = s * v % c.q
    z2 = (c.q - r * v) % c.q
    pt = _affine(c, _combination(c, z1, z2, q))
    if pt is None:
        return False
    return hmac.compare_digest((int(pt[0]) % c.q).to_bytes(c.size, "big"), r.to_bytes(c.size, "big"))


# --- byte encodings used in certificates and CMS -----------------------------------------------------
def digest_to_int(digest_bytes: bytes) -> int:
    return int.from_bytes(digest_bytes, "little")


def encode_signature(c: Curve, r: int, s: int) -> bytes:
    return s.to_bytes(c.size, "big") + r.to_bytes(c.size, "big")


def decode_signature(c: Curve, value: bytes) -> tuple[int, int]:
    if len(value) != 2 * c.size:
        raise GostError(f"GOST signature of {len(value)} bytes, {2 * c.size} expected")
    return int.from_bytes(value[c.size :], "big"), int.from_bytes(value[: c.size], "big")


def encode_public_key(c: Curve, q: tuple[int, int]) -> bytes:
    return q[0].to_bytes(c.size, "little") + q[1].to_bytes(c.size, "little")


def decode_public_key(c: Curve, raw: bytes) -> tuple[int, int]:
    if len(raw) != 2 * c.size:
        raise GostError(f"GOST public key of {len(raw)} bytes, {2 * c.size} expected")
    point = int.from_bytes(raw[: c.size], "little"), int.from_bytes(raw[c.size :], "little")
    if not c.contains(*point):
        raise GostError("GOST public key is not a point of its curve")
    return point


def sign_digest(c: Curve, d: int, digest_bytes: bytes) -> bytes:
    r, s = sign_e(c, d, digest_to_int(digest_bytes))
    return encode_signature(c, r, s)


def verify_digest(c: Curve, q: tuple[int, int], digest_bytes: bytes, signature: bytes) -> bool:
    try:
        r, s = decode_signature(c, signature)
    except GostError:
        return False
    return verify_e(c, q, digest_to_int(digest_bytes), r, s)
