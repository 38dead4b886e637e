"""GOST primitives against the standards' own published examples (R-ONB-4, R-SIGN-1: NCA RK GOST keys).

GOST R 34.11-2012 (= RFC 6986) section 10 / Appendix A examples M1 and M2; GOST R 34.10-2012
(= RFC 7091) Appendix A examples 1 (256 bits) and 2 (512 bits). The standards print messages and
digests as numbers, most significant byte first, so their hex is reversed into byte strings here.
"""

from __future__ import annotations

import pytest

from qaryz.signatures import gost

REQS = ("R-ONB-4", "R-SIGN-1")

M1 = bytes.fromhex(
    "323130393837363534333231303938373635343332313039383736353433323130"
    "393837363534333231303938373635343332313039383736353433323130"
)[::-1]
M2 = bytes.fromhex(
    "fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202c"
    "e8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1"
)[::-1]


def _std(hex_number: str) -> bytes:
    return bytes.fromhex(hex_number)[::-1]


@pytest.mark.req(*REQS)
def test_streebog_m1_matches_the_standard() -> None:
    assert M1 == b"012345678901234567890123456789012345678901234567890123456789012"
    assert gost.streebog512(M1) == _std(
        "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00"
        "fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b"
    )
    assert gost.streebog256(M1) == _std("00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d")


@pytest.mark.req(*REQS)
def test_streebog_m2_matches_the_standard() -> None:
    assert M2.decode("cp1251").startswith("Се ветри, Стрибожи внуци")
    assert gost.streebog512(M2) == _std(
        "28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f03"
        "7613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e"
    )
    assert gost.streebog256(M2) == _std("508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d")
    assert gost.digest(gost.OID_DIGEST_256, M2) == gost.streebog256(M2)


EXAMPLE_256 = {
    "d": 0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28,
    "qx": 0x7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B,
    "qy": 0x26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA,
    "e": 0x2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5,
    "k": 0x77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3,
    "r": 0x41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493,
    "s": 0x01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40,
}
EXAMPLE_512 = {
    "d": int(
        "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020"
        "72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
        16,
    ),
    "qx": int(
        "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD"
        "5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
        16,
    ),
    "qy": int(
        "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61"
        "EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
        16,
    ),
    "e": int(
        "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591"
        "7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
        16,
    ),
    "k": int(
        "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658"
        "86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
        16,
    ),
    "r": int(
        "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3"
        "5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
        16,
    ),
    "s": int(
        "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5"
        "823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
        16,
    ),
}


@pytest.mark.req(*REQS)
@pytest.mark.parametrize(
    ("curve", "example"),
    [(gost.TEST_CURVE_256, EXAMPLE_256), (gost.TEST_CURVE_512, EXAMPLE_512)],
    ids=["A.1-256", "A.2-512"],
)
def test_gost_34_10_2012_appendix_a_examples(curve: gost.Curve, example: dict[str, int]) -> None:
    assert curve.contains(curve.x, curve.y)
    q = (example["qx"], example["qy"])
    assert gost.public_key(curve, example["d"]) == q
    assert gost.sign_e(curve, example["d"], example["e"], k=example["k"]) == (example["r"], example["s"])
    assert gost.verify_e(curve, q, example["e"], example["r"], example["s"])
    # any change of message, r, s or key fails
    assert not gost.verify_e(curve, q, example["e"] + 1, example["r"], example["s"])
    assert not gost.verify_e(curve, q, example["e"], example["r"], example["s"] + 1)
    assert not gost.verify_e(curve, q, example["e"], example["r"] + 1, example["s"])
    assert not gost.verify_e(curve, q, example["e"], 0, example["s"])
    assert not gost.verify_e(curve, q, example["e"], example["r"], curve.q)
    other = gost.public_key(curve, 12345)
    assert not gost.verify_e(curve, other, example["e"], example["r"], example["s"])
    # the encoded form: s || r, big-endian
    value = gost.encode_signature(curve, example["r"], example["s"])
    assert value.hex() == f"{example['s']:0{curve.size * 2}x}{example['r']:0{curve.size * 2}x}"
    assert gost.decode_signature(curve, value) == (example["r"], example["s"])


@pytest.mark.req(*REQS)
@pytest.mark.parametrize("paramset", sorted(gost._PARAMSET_NAMES))
def test_tc26_curves_are_consistent(paramset: str) -> None:
    curve = gost.curve_for(paramset)
    assert curve.contains(curve.x, curve.y)
    assert gost._mul(curve, curve.q, curve.x, curve.y) is None  # q is the base point's order
    assert curve.size == (64 if ".2.1.2." in paramset else 32)


@pytest.mark.req(*REQS)
@pytest.mark.parametrize("paramset", [gost.PARAMSET_256_A, gost.PARAMSET_512_A])
def test_sign_and_verify_digest_round_trip_with_little_endian_key(paramset: str) -> None:
    curve = gost.curve_for(paramset)
    d = gost.new_private_key(curve)
    q = gost.public_key(curve, d)
    raw = gost.encode_public_key(curve, q)
    assert raw[: curve.size] == q[0].to_bytes(curve.size, "big")[::-1]  # x little-endian first
    assert gost.decode_public_key(curve, raw) == q
    name = "streebog512" if curve.size == 64 else "streebog256"
    dgst = gost.digest(name, b"document")
    sig = gost.sign_digest(curve, d, dgst)
    assert len(sig) == 2 * curve.size
    assert gost.verify_digest(curve, q, dgst, sig)
    assert not gost.verify_digest(curve, q, gost.digest(name, b"documenT"), sig)
    assert not gost.verify_digest(curve, q, dgst, sig[curve.size :] + sig[: curve.size])  # r || s is wrong
    assert not gost.verify_digest(curve, q, dgst, sig[:-1])


@pytest.mark.req(*REQS)
def test_public_key_off_the_curve_is_refused() -> None:
    curve = gost.curve_for(gost.PARAMSET_256_A)
    with pytest.raises(gost.GostError):
        gost.decode_public_key(curve, b"\x01" * 64)
    with pytest.raises(gost.GostError):
        gost.curve_for("1.2.643.7.1.2.1.9.9")


@pytest.mark.req(*REQS)
@pytest.mark.parametrize("paramset", [gost.PARAMSET_256_A, gost.PARAMSET_512_A, "1.2.643.7.1.2.1.1.2"])
def test_public_key_agrees_with_gostcrypto_affine_arithmetic(paramset: str) -> None:
    """Our Jacobian arithmetic (a = -3 shortcut on the 512 A / CryptoPro sets) against gostcrypto's own."""
    from gostcrypto.gostsignature import CURVES_R_1323565_1_024_2019, MODE_256, MODE_512
    from gostcrypto.gostsignature import new as gc_new

    curve = gost.curve_for(paramset)
    name = gost._PARAMSET_NAMES[paramset]
    other = gc_new(MODE_512 if curve.size == 64 else MODE_256, CURVES_R_1323565_1_024_2019[name])
    d = gost.new_private_key(curve)
    raw = bytes(other.public_key_generate(bytearray(d.to_bytes(curve.size, "big"))))
    assert gost.public_key(curve, d) == (
        int.from_bytes(raw[: curve.size], "big"),
        int.from_bytes(raw[curve.size :], "big"),
    )


@pytest.mark.req(*REQS)
def test_integer_streebog_agrees_with_gostcrypto_on_every_length_around_the_block() -> None:
    """Our table-driven Streebog against gostcrypto's byte-wise one: empty input, every length up to two
    blocks and a half (padding and the N/Sigma carries), and a long one."""
    import random

    from gostcrypto import gosthash

    rng = random.Random(16)
    lengths = [*range(0, 161), 511, 512, 513, 4097]
    for n in lengths:
        data = bytes(rng.getrandbits(8) for _ in range(n))
        for name, ours in (("streebog256", gost.streebog256), ("streebog512", gost.streebog512)):
            assert ours(data) == bytes(gosthash.new(name, data=bytearray(data)).digest()), (name, n)
    # 0xFF blocks make Sigma's 512-bit addition carry out of every byte
    data = b"\xff" * 192
    assert gost.streebog512(data) == bytes(gosthash.new("streebog512", data=bytearray(data)).digest())


@pytest.mark.req(*REQS)
@pytest.mark.parametrize("paramset", [gost.PARAMSET_256_A, gost.PARAMSET_512_A])
def test_fixed_base_and_wnaf_multiples_agree_with_double_and_add(paramset: str) -> None:
    """The tables (base point, a precomputed key) and wNAF give the plain ladder's points, including
    the edge scalars (1, 2^w boundaries, q-1 where the sum ends in -G)."""
    import random

    curve = gost.curve_for(paramset)
    rng = random.Random(34)
    d = gost.new_private_key(curve)
    q = gost.public_key(curve, d)
    gost.precompute(curve, q)
    table = gost._key_tables[(curve.name, q[0], q[1])]
    scalars = [1, 2, 3, 63, 64, 65, 127, 128, 129, 2**64 + 1, curve.q - 1, curve.q - 2]
    scalars += [rng.randrange(1, curve.q) for _ in range(6)]
    for k in scalars:
        expected_g = gost._affine(curve, gost._mul(curve, k, curve.x, curve.y))
        assert gost._affine(curve, gost._base_table(curve).add_multiple(curve, None, k)) == expected_g
        expected_q = gost._affine(curve, gost._mul(curve, k, q[0], q[1]))
        assert gost._affine(curve, table.add_multiple(curve, None, k)) == expected_q
        assert gost._affine(curve, gost._add_variable_multiple(curve, k, q)) == expected_q
    # k*G + (q-k)*G is the point at infinity whichever way Q's part is computed
    assert gost._combination(curve, 5, curve.q - 5, (curve.x, curve.y)) is None


@pytest.mark.req(*REQS)
def test_signature_verifies_the_same_with_and_without_the_key_table() -> None:
    curve = gost.curve_for(gost.PARAMSET_512_A)
    d = gost.new_private_key(curve)
    q = gost.public_key(curve, d)
    dgst = gost.streebog512(b"contract")
    sig = gost.sign_digest(curve, d, dgst)
    assert gost.verify_digest(curve, q, dgst, sig)
    assert not gost.verify_digest(curve, q, gost.streebog512(b"contracT"), sig)
    gost.precompute(curve, q)
    assert (curve.name, q[0], q[1]) in gost._key_tables
    assert gost.verify_digest(curve, q, dgst, sig)
    assert not gost.verify_digest(curve, q, gost.streebog512(b"contracT"), sig)
    gost.precompute(curve, (q[0], (q[1] + 1) % curve.p))  # not a curve point: no table
    assert (curve.name, q[0], (q[1] + 1) % curve.p) not in gost._key_tables
