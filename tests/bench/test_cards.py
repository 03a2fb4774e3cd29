"""The virtual cards, APDU by APDU, without pcscd: both Vitale 2 reading styles, T=0 behaviours,
error status words, the CPS and the Vitale 1. (The same cards behind pcscd: test_pcsc.py.)"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge import profiles
from bridge.virtualcards import make_card
from bridge.virtualcards.cps import CpsCard
from bridge.virtualcards.vitale1 import Vitale1Card
from bridge.virtualcards.vitale2 import Vitale2Card
from tests.helpers.card_apdus import T0Reader, fields, parse_tlv

# Spelt from the public notes, independently of the cards' own constants.
AID_VITALE = bytes.fromhex("D250000002564954414C45")
AID_MF_VITALE = bytes.fromhex("D2500000024D465F564954414C45")

SELECT_MF = "00A40000023F00"
SELECT_VITALE = "00A404000B" + AID_VITALE.hex()


def Reader(card) -> T0Reader:
    card.power_on()
    reader = T0Reader(card.transmit)
    reader.card = card
    return reader


def vitale(name="famille") -> Reader:
    return Reader(Vitale2Card(profiles.load(name)))


def test_rufus_style_reads_identity_then_nir():
    profile = profiles.load("famille")
    r = vitale()
    assert r.send(SELECT_MF)[1] == 0x9000
    identity, sw = r.send("00B0820000")
    assert sw == 0x9000
    templates = [fields(v) for t, v in parse_tlv(identity) if t == "65"]
    assert [(t["80"].decode(), t["81"].decode(), t["82"].decode()) for t in templates] == [
        (b.nom, b.prenom, b.date_naissance) for b in profile.beneficiaries
    ]
    # Twins: same birth date, rang de naissance 1 and 2 (tag 83, a bench choice).
    assert [t["83"] for t in templates[2:]] == [b"1", b"2"]
    assert r.send(SELECT_VITALE)[1] == 0x9000
    nirs, sw = r.send("00B0820000")
    assert sw == 0x9000
    assert [fields(v)["93"].decode() for t, v in parse_tlv(nirs) if t == "65"] == [
        b.nir for b in profile.beneficiaries
    ]


def test_cardpeek_style_directory_lists_readable_and_protected_files():
    profile = profiles.load("famille")
    r = vitale()
    assert r.send(SELECT_VITALE + "00")[1] == 0x9000
    assert r.send("00A40200022001")[1] == 0x9000
    directory = r.read_file()
    (tag, value), = parse_tlv(directory)
    assert tag == "E0"
    inner = parse_tlv(value)
    assert inner[0][0] == "A0"
    apps = {v[:2]: v[4:] for t, v in parse_tlv(inner[0][1]) if t == "82"}
    files = [(v[:8].decode().strip(), v[8:10], v[10:12].hex().upper()) for t, v in inner[1:] if t == "80"]
    assert set(apps.values()) == {AID_VITALE, AID_MF_VITALE}
    contents = {}
    for label, entry, fid in files:
        assert r.send("00A404" + "00" + f"{len(apps[entry]):02X}" + apps[entry].hex())[1] == 0x9000
        assert r.send("00A4020002" + fid)[1] == 0x9000
        data, sw = r.send("00B0000000")
        contents[label] = (data, sw)
    assert contents["AMO_ASSU"][1] == contents["AMO_BENE"][1] == 0x6982
    identity = [fields(v) for t, v in parse_tlv(contents["IDENTITE"][0]) if t == "65"]
    assert [t["81"].decode() for t in identity] == [b.prenom for b in profile.beneficiaries]
    assert identity[0]["90"] == b"FRA"  # the profile's extra tags ride along
    card = fields(parse_tlv(contents["CARTE"][0])[0][1])
    assert card["80"].decode() == profile.validity_start
    cert = contents["CERTIF"][0]
    assert cert[:2] == b"\x7f\x21" and cert[2] == 0x81  # BER long form


def test_long_form_length_inside_a_beneficiary_template():
    r = vitale("cnda-test")
    r.send(SELECT_MF)
    data, sw = r.send("00B0820000")
    assert sw == 0x9000 and data[:2] == b"\x65\x81"
    template = fields(parse_tlv(data)[0][1])
    assert template["DF02"] == bytes.fromhex("A5" * 130)


def test_missing_century_date_is_six_characters():
    r = vitale("siecle-manquant")
    r.send(SELECT_MF)
    data, _ = r.send("00B0820000")
    assert fields(parse_tlv(data)[0][1])["82"] == b"470923"


def test_t0_select_answers_61xx_and_get_response_gives_the_fcp():
    r = vitale()
    data, sw = r.raw(SELECT_MF)
    assert data == b"" and sw >> 8 == 0x61
    fcp, sw2 = r.raw(f"00C00000{sw & 0xFF:02X}")
    assert sw2 == 0x9000 and fcp[0] == 0x62 and len(fcp) == sw & 0xFF
    assert r.raw("00C0000010")[1] == 0x6985  # nothing pending any more


def test_t0_get_response_in_pieces_and_wrong_le():
    r = vitale()
    _, sw = r.raw(SELECT_VITALE)
    total = sw & 0xFF
    assert r.raw("00C0000000")[1] == 0x6C00 | total  # Le=00 asks 256: exact length needed
    part, sw = r.raw("00C0000004")
    assert len(part) == 4 and sw == 0x6100 | (total - 4)
    rest, sw = r.raw(f"00C00000{total - 4:02X}")
    assert sw == 0x9000 and len(rest) == total - 4


def test_t0_read_binary_le00_on_a_short_file_answers_6cxx():
    r = vitale()
    r.send(SELECT_MF)
    data, sw = r.raw("00B0820000")
    assert data == b"" and sw >> 8 == 0x6C
    size = sw & 0xFF
    data, sw = r.raw(f"00B08200{size:02X}")
    assert sw == 0x9000 and len(data) == size and data.endswith(b"\x00")  # padded with 00
    assert r.raw(f"00B0{size >> 8:02X}{size & 0xFF:02X}01")[1] == 0x6B00  # past the end
    assert r.raw("00B0000004")[1] == 0x9000  # the SFI read made the EF current


def test_select_with_p2_0c_answers_9000_without_data():
    r = vitale()
    assert r.raw("00A4000C023F00") == (b"", 0x9000)


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("80A40000023F00", 0x6E00),  # unknown class
        ("00CA000000", 0x6D00),  # unknown instruction
        ("00A40400045A5A5A5A", 0x6A82),  # unknown AID
        ("00A40000021234", 0x6A82),  # unknown FID
        ("00A4000003123456", 0x6700),  # FID of 3 bytes
        ("00A4001002 3F00".replace(" ", ""), 0x6A86),  # bad P2
        ("00B0000010", 0x6986),  # READ BINARY without a current EF
        ("00B09F0000", 0x6A82),  # no file with SFI 31
        ("00B0", 0x6700),  # not an APDU
        ("00A4000005 3F00".replace(" ", ""), 0x6700),  # Lc does not match
    ],
)
def test_error_status_words(apdu, sw):
    assert vitale().raw(apdu)[1] == sw


def test_protected_file_answers_security_status_even_by_sfi():
    r = vitale()
    r.send(SELECT_VITALE)
    assert r.raw("00B0900000")[1] == 0x6982  # SFI 16 = AMO_ASSU


def test_reset_clears_the_selection():
    r = vitale()
    r.send(SELECT_VITALE)
    r.card.reset()
    r.send("00B0820000")  # SFI 2 of the MF again: identity, not NIRs
    data, _ = r.send("00B0820000")
    assert fields(parse_tlv(data)[0][1]).keys() >= {"80", "81", "82"}


def test_cps_card_number_and_pin_counters_only():
    profile = profiles.load("cps3")
    r = Reader(CpsCard(profile))
    data, sw = r.raw("00A40904043F00D003")
    assert sw >> 8 == 0x61
    fcp, sw = r.raw(f"00C00000{sw & 0xFF:02X}")
    assert sw == 0x9000 and fields(parse_tlv(fcp)[0][1])["83"] == b"\xd0\x03"
    data, sw = r.raw("00B000000C")
    assert sw == 0x9000 and data == b"\x5a\x0a" + bytes.fromhex(profile.card_number)
    assert r.raw("00B0000000")[1] == 0x6C0C
    counters, sw = r.send("00CB3FFF0A4D087006BF810102A080")
    assert sw == 0x9000
    inner = fields(fields(fields(counters)["70"])["BF8101"])["A0"]
    assert fields(inner) == {"9A": bytes([profile.pin_tries_max]), "9B": bytes([profile.pin_tries_remaining])}
    assert r.raw("0020000108" + "31" * 8)[1] == 0x6D00  # no VERIFY: PINs go through PKCS#11


def test_cps4_and_blocked_pin_profiles():
    assert make_card("cps4").atr.hex().upper().startswith("3BDC18FF")
    r = Reader(make_card("cps3-pin-bloque"))
    counters, _ = r.send("00CB3FFF0A4D087006BF810102A080")
    assert counters.endswith(b"\x9b\x01\x00")


def test_vitale1_answers_admax_in_class_bc_only():
    card = make_card("vitale1")
    assert isinstance(card, Vitale1Card)
    assert card.atr[0] == 0x3F  # inverse convention
    r = Reader(card)
    data, sw = r.raw("BCC0000008")
    assert sw == 0x9000 and len(data) == 8
    assert r.raw("BCC0000000")[1] == 0x6C08
    assert r.raw("BCB0028810")[1] == 0x6D00
    assert r.raw(SELECT_MF)[1] == 0x6E00
    assert r.raw("00C0000008")[1] == 0x6E00


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=300))
def test_any_bytes_get_a_status_word_never_an_exception(raw):
    for card in (Vitale2Card(profiles.load("famille")), make_card("cps3"), make_card("vitale1")):
        card.power_on()
        answer = card.transmit(raw)
        assert len(answer) >= 2
