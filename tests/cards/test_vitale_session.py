"""VitaleSession against scripted cards: the exact APDUs, the parsing, the fallbacks."""

import datetime as dt

import pytest

from bridge.cards import tlv
from bridge.cards.vitale import VitaleSession, parse_directory, parse_files
from bridge.errors import CardCommunicationError, CardRemovedError, UnsupportedCardError
from tests.helpers.scripted import ScriptedConnection

ATR = "3B751300004509EA9000"
SELECT_MF = "00A40000023F00"
SELECT_VITALE = "00A404000BD250000002564954414C45"
READ_SFI2 = "00B0820000"


def ident(nom, prenom, date, extra=b""):
    return tlv.encode(0x65, tlv.encode(0x80, nom) + tlv.encode(0x81, prenom) + tlv.encode(0x82, date) + extra)


def nir_t(nir):
    return tlv.encode(0x65, tlv.encode(0x93, nir))


def hx(b: bytes) -> str:
    return b.hex().upper()


FAMILY_IDENTITY = (
    ident(b"MARTIN", b"PAUL", b"19800512")
    + ident(b"MARTIN", b"JULIE", b"19820013")
    + ident(b"MARTIN", b"LEA", b"150704", tlv.encode(0x90, b"FRA"))
    + ident(b"MARTIN", b"LOUIS", b"20150704")
    + tlv.encode(0x66, tlv.encode(0x80, b"20190301") + tlv.encode(0x81, b"20291231"))
)
FAMILY_NIRS = nir_t(b"180057512345627") + nir_t(b"282039912611136") + nir_t(b"555555123456712") + nir_t(b"253072B07300470")


def short_script(identity: bytes, nirs: bytes, *, pad_to: int | None = None):
    if pad_to:
        identity = identity + bytes(pad_to - len(identity))
    return [
        (SELECT_MF, "6115"),
        (READ_SFI2, f"6C{len(identity) & 0xFF:02X}"),
        (f"00B08200{len(identity) & 0xFF:02X}", hx(identity) + "9000"),
        (SELECT_VITALE, "6120"),
        (READ_SFI2, f"6C{len(nirs):02X}"),
        (f"00B08200{len(nirs):02X}", hx(nirs) + "9000"),
    ]


def test_family_read_short_path_exact_apdus():
    conn = ScriptedConnection(ATR, short_script(FAMILY_IDENTITY, FAMILY_NIRS))
    data = VitaleSession(conn).read_clear()
    assert conn.script == []
    assert len(conn.sent) == 6  # no GET RESPONSE for the SELECTs' FCI, nothing read twice
    assert data.path == "short"
    names = [(b.nom, b.prenom) for b in data.beneficiaries]
    assert names == [("MARTIN", "PAUL"), ("MARTIN", "JULIE"), ("MARTIN", "LEA"), ("MARTIN", "LOUIS")]
    paul, julie, lea, louis = data.beneficiaries
    assert paul.date_naissance.iso == dt.date(1980, 5, 12) and paul.nir.key_valid
    assert julie.date_naissance.lunar and julie.date_naissance.iso is None and julie.date_naissance.raw == "19820013"
    assert lea.date_naissance.missing_century and lea.nir.provisional
    assert [(u.tag, u.value, u.path) for u in lea.unknown_tags] == [("90", "465241", "MF/02/65[2]")]
    assert louis.nir.number == "253072B073004" and louis.nir.key_valid
    assert data.validity.start == dt.date(2019, 3, 1) and data.validity.raw_start == "20190301"
    assert [(u.tag, u.path) for u in data.unknown_tags] == [("81", "MF/02/66")]


def test_padded_files_and_exact_le():
    """A card that answers Le=00 with the whole (padded) file: one APDU per file."""
    identity = ident(b"DURAND", b"ANNE", b"19750101") + bytes(20)
    nirs = nir_t(b"275017512345661") + bytes(9)
    conn = ScriptedConnection(ATR, [
        (SELECT_MF, "9000"),
        (READ_SFI2, hx(identity) + "9000"),
        (SELECT_VITALE, "9000"),
        (READ_SFI2, hx(nirs) + "9000"),
    ])
    data = VitaleSession(conn).read_clear()
    assert len(conn.sent) == 4
    assert data.beneficiaries[0].nir.key_valid


def test_file_longer_than_256_bytes_is_read_in_steps():
    identity = b"".join(ident(b"NOM%02d" % i, b"PRENOM%02d" % i, b"19800101") for i in range(12))
    assert len(identity) > 256
    nirs = b"".join(nir_t(b"180057512345627") for _ in range(12))
    rest = identity[256:]
    conn = ScriptedConnection(ATR, [
        (SELECT_MF, "9000"),
        (READ_SFI2, hx(identity[:256]) + "9000"),
        ("00B0010000", f"6C{len(rest):02X}"),
        (f"00B00100{len(rest):02X}", hx(rest) + "9000"),
        (SELECT_VITALE, "9000"),
        (READ_SFI2, f"6C{len(nirs):02X}"),
        (f"00B08200{len(nirs):02X}", hx(nirs) + "9000"),
    ])
    data = VitaleSession(conn).read_clear()
    assert len(data.beneficiaries) == 12 and conn.script == []
    assert data.beneficiaries[11].prenom == "PRENOM11"


def test_full_step_ending_in_padding_needs_no_second_read():
    identity = ident(b"A", b"B", b"19800101")
    identity += bytes(256 - len(identity))
    nirs = nir_t(b"180057512345627")
    conn = ScriptedConnection(ATR, [
        (SELECT_MF, "9000"),
        (READ_SFI2, hx(identity) + "9000"),
        (SELECT_VITALE, "9000"),
        (READ_SFI2, hx(nirs) + "9000"),
    ])
    assert len(VitaleSession(conn).read_clear().beneficiaries) == 1


def test_directory_path_when_short_path_is_refused():
    identity = ident(b"DURAND", b"ANNE", b"19750101")
    nirs = nir_t(b"275017512345661")
    aid_mf = bytes.fromhex("D2500000024D465F564954414C45")
    aid_vitale = bytes.fromhex("D250000002564954414C45")
    directory = tlv.encode(
        0xE0,
        tlv.encode(0xA0, tlv.encode(0x82, b"\x00\x01\x00\x00" + aid_mf) + tlv.encode(0x82, b"\x00\x02\x00\x00" + aid_vitale))
        + tlv.encode(0x80, b"IDENTITE\x00\x01\x20\x02")
        + tlv.encode(0x80, b"NIR     \x00\x02\x20\x04")
        + tlv.encode(0x80, b"AMO_ASSU\x00\x02\x20\x10"),
    )
    conn = ScriptedConnection(ATR, [
        (SELECT_MF, "6A82"),
        (SELECT_VITALE, "9000"),
        ("00A40200022001", "9000"),
        ("00B0000000", f"6C{len(directory):02X}"),
        (f"00B00000{len(directory):02X}", hx(directory) + "9000"),
        ("00A404000E" + hx(aid_mf), "9000"),
        ("00A40200022002", "6112"),
        ("00B0000000", hx(identity) + "9000"),
        (SELECT_VITALE, "9000"),
        ("00A40200022004", "9000"),
        ("00B0000000", hx(nirs) + "9000"),
        ("00A40200022010", "9000"),
        ("00B0000000", "6982"),
    ])
    data = VitaleSession(conn).read_clear()
    assert conn.script == []
    assert data.path == "directory"
    assert data.protected_files == ["AMO_ASSU"]
    [anne] = data.beneficiaries
    assert (anne.nom, anne.nir.key) == ("DURAND", "61")


def test_parse_directory():
    directory = tlv.encode(0xE0, tlv.encode(0xA0, tlv.encode(0x82, b"\x00\x02\x00\x00\xd2\x50")) + tlv.encode(0x80, b"NIR     \x00\x02\x20\x04"))
    assert parse_directory(directory) == [("NIR", b"\xd2\x50", b"\x20\x04")]


def test_vitale1_is_identified_then_refused_without_apdus():
    conn = ScriptedConnection("3F6525002209F99000", [])
    with pytest.raises(UnsupportedCardError) as info:
        VitaleSession(conn)
    assert info.value.details["cardType"] == "vitale1"
    assert "not public" in info.value.message or "licensed" in info.value.message
    assert conn.sent == []


def test_cps_is_not_a_vitale():
    with pytest.raises(UnsupportedCardError):
        VitaleSession(ScriptedConnection("3BAC00402A001225006480000310009000", []))


def test_unknown_card_without_vitale_application():
    conn = ScriptedConnection("3B8F8001804F0CA000000306030001000000006A", [
        (SELECT_MF, "9000"),
        (READ_SFI2, "6A82"),
        (SELECT_VITALE, "6A82"),
    ])
    with pytest.raises(UnsupportedCardError):
        VitaleSession(conn).read_clear()


def test_removed_mid_read_gives_no_partial_result():
    conn = ScriptedConnection(ATR, [*short_script(FAMILY_IDENTITY, FAMILY_NIRS)[:4], (READ_SFI2, "REMOVED")])
    with pytest.raises(CardRemovedError):
        VitaleSession(conn).read_clear()


def test_lying_length_is_a_card_error():
    bad = bytes.fromhex("65 20 80 03 414243".replace(" ", ""))
    conn = ScriptedConnection(ATR, [
        (SELECT_MF, "9000"),
        (READ_SFI2, hx(bad) + "9000"),
        (SELECT_VITALE, "9000"),
        (READ_SFI2, hx(nir_t(b"180057512345627")) + "9000"),
    ])
    with pytest.raises(CardCommunicationError):
        VitaleSession(conn).read_clear()


def test_latin1_names():
    data = parse_files([("f", ident(b"L\xc9ON", b"Z\xc9LIE", b"19800101"))])
    assert (data.beneficiaries[0].nom, data.beneficiaries[0].prenom) == ("LÉON", "ZÉLIE")


def test_more_nir_templates_than_identity():
    data = parse_files([("id", ident(b"A", b"B", b"19800101")), ("nir", nir_t(b"180057512345627") * 2)])
    assert len(data.beneficiaries) == 2 and data.beneficiaries[1].nom == ""


def test_no_beneficiary_is_an_error():
    with pytest.raises(CardCommunicationError):
        parse_files([("id", bytes(32))])
