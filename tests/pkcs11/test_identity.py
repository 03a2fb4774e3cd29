"""cps.identity through a real PKCS#11 module (SoftHSM2), in process: the holder, the choice
of certificate, the typed errors, and where the module comes from."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bridge.cards import pkcs11 as p11
from bridge.errors import CardCommunicationError, NoCertificateError, NoTokenError, Pkcs11UnavailableError
from tests.helpers import certs
from tests.helpers.softhsm import AUTH_LABEL, MODULE


async def read(identity_bridge, **settings):
    async with identity_bridge(**settings) as bridge:
        return await bridge.cps_identity.identity()


@pytest.mark.parametrize(
    ("name", "holder", "kind", "libelle"),
    [
        ("zoe", certs.ZOE, "rpps", "RPPS"),
        ("luc", certs.LUC, "rpps", "RPPS"),
        ("ines", certs.INES, "adeli", "ADELI"),
    ],
)
async def test_the_holder_of_each_card(use_hsm, identity_bridge, name, holder, kind, libelle):
    use_hsm(name)
    identity = await read(identity_bridge)
    assert (identity.nom, identity.prenom, identity.profession) == (holder.nom, holder.prenom, holder.profession)
    assert identity.identifiant_national == holder.identifiant
    assert (identity.type_identifiant, identity.type_identifiant_libelle) == (kind, libelle)
    assert identity.numero == holder.numero
    assert identity.expired is False
    cert = identity.certificate
    assert cert.label == AUTH_LABEL  # preferred over the signature certificate listed first
    assert cert.issuer == "CN=TEST AC IGC-SANTE PERSONNES,O=VITALE-BRIDGE TESTS,C=FR"
    assert cert.validity.not_before < dt.datetime.now(dt.UTC) < cert.validity.not_after
    assert [(e.oid, e.value) for e in cert.private_extensions] == [("1.2.250.1.71.1.2.7", "13023130")]
    assert identity.token.match == "singleToken"
    assert identity.token.module == MODULE
    assert identity.reader is None  # a software token is tied to no reader


async def test_an_expired_certificate_is_flagged(use_hsm, identity_bridge):
    use_hsm("paul")
    identity = await read(identity_bridge)
    assert identity.nom == certs.OLD.nom
    assert identity.expired is True and identity.certificate.validity.expired is True
    assert identity.certificate.validity.not_after < dt.datetime.now(dt.UTC)


async def test_the_wire_form_is_camel_case(use_hsm, identity_bridge):
    use_hsm("zoe")
    wire = (await read(identity_bridge)).to_wire()
    assert {"identifiantNational", "typeIdentifiant", "typeIdentifiantLibelle", "numero", "nom", "prenom",
            "profession", "expired", "certificate", "token", "reader"} == set(wire)
    assert set(wire["certificate"]["validity"]) == {"notBefore", "notAfter", "expired", "notYetValid"}
    assert wire["token"]["match"] == "singleToken"
    json.dumps(wire)


async def test_no_initialised_token_is_no_token(use_hsm, identity_bridge):
    use_hsm("empty")
    with pytest.raises(NoTokenError) as caught:
        await read(identity_bridge)
    assert caught.value.code == "NO_TOKEN" and "Insert the CPS" in caught.value.message


async def test_several_tokens_that_nothing_ties_to_a_reader(use_hsm, identity_bridge):
    use_hsm("pair")
    with pytest.raises(NoTokenError) as caught:
        await read(identity_bridge)
    assert caught.value.details["tokens"] == 2


@pytest.mark.parametrize("name", ["plain", "nocert"])
async def test_no_practitioner_certificate(use_hsm, identity_bridge, name):
    use_hsm(name)
    with pytest.raises(NoCertificateError) as caught:
        await read(identity_bridge)
    assert caught.value.code == "NO_CERTIFICATE"
    assert caught.value.details["certificates"] == (1 if name == "plain" else 0)


async def test_a_missing_module_names_the_install(identity_bridge, tmp_path):
    with pytest.raises(Pkcs11UnavailableError) as caught:
        await read(identity_bridge, pkcs11_module=str(tmp_path / "nothing.so"))
    error = caught.value
    assert error.code == "PKCS11_UNAVAILABLE" and error.rpc_code == -32050
    assert "Cryptolib CPS" in error.message and "--pkcs11-module" in error.message


async def test_a_library_that_is_not_pkcs11_is_unavailable(identity_bridge, tmp_path):
    fake = tmp_path / "libfake.so"
    fake.write_bytes(b"\x7fELF not really")
    with pytest.raises(Pkcs11UnavailableError) as caught:
        await read(identity_bridge, pkcs11_module=str(fake))
    assert "could not be loaded" in caught.value.message


async def test_the_system_configuration_names_the_module(use_hsm, identity_bridge, tmp_path, monkeypatch):
    use_hsm("ines")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"pkcs11Module": MODULE}), encoding="utf-8")
    monkeypatch.setenv("VITALE_BRIDGE_SYSTEM_CONFIG", str(config))
    monkeypatch.setattr(p11, "CANDIDATES", [])
    identity = await read(identity_bridge, pkcs11_module=None)
    assert identity.nom == certs.INES.nom
    async with identity_bridge(pkcs11_module=None) as bridge:
        await bridge.cps_identity.identity()
        assert bridge.cps_identity.module.choice == p11.ModuleChoice(MODULE, "systemConfig")


async def test_discovery_takes_the_first_installed_candidate(use_hsm, identity_bridge, tmp_path, monkeypatch):
    use_hsm("zoe")
    monkeypatch.setenv("VITALE_BRIDGE_SYSTEM_CONFIG", str(tmp_path / "absent.json"))
    monkeypatch.setattr(p11, "CANDIDATES", [str(tmp_path / "libcps3_pkcs11_lux.so"), MODULE])
    async with identity_bridge(pkcs11_module=None) as bridge:
        assert (await bridge.cps_identity.identity()).nom == certs.ZOE.nom
        assert bridge.cps_identity.module.choice == p11.ModuleChoice(MODULE, "discovered")
    monkeypatch.setattr(p11, "CANDIDATES", [str(tmp_path / "libcps3_pkcs11_lux.so")])
    with pytest.raises(Pkcs11UnavailableError) as caught:
        await read(identity_bridge, pkcs11_module=None)
    assert caught.value.details["searched"] == [str(tmp_path / "libcps3_pkcs11_lux.so")]


def test_documented_install_locations():
    """The Cryptolib CPS first (ANS release notes), then OpenSC (its wiki), per platform."""
    assert p11.candidates("linux")[0] == "/opt/santesocial/CPS/lib/libcps3_pkcs11_lux.so"
    assert p11.candidates("darwin")[:2] == ["/usr/local/lib/libcps3_pkcs11_osx.dylib", "/Library/OpenSC/lib/opensc-pkcs11.so"]
    windows = p11.candidates("win32")
    assert windows[0].endswith("System32\\cps3_pkcs11_w64.dll") or windows[0].endswith("System32/cps3_pkcs11_w64.dll")
    assert windows[1].endswith("opensc-pkcs11.dll")


async def test_a_pkcs11_failure_is_a_card_error_not_a_crash(use_hsm, identity_bridge):
    """A slot that vanished between listing and reading: CARD_REMOVED; other PKCS#11 errors
    become CARD_COMMUNICATION with the binding's error name only."""
    use_hsm("zoe")
    async with identity_bridge() as bridge:
        await bridge.cps_identity.identity()
        module = bridge.cps_identity.module
        from bridge.errors import CardRemovedError

        with pytest.raises(CardRemovedError):
            module.certificates(10**9)
        import pkcs11.exceptions

        with pytest.raises(CardCommunicationError) as caught:
            with p11._translated(MODULE):
                raise pkcs11.exceptions.GeneralError()
        assert caught.value.details == {"pkcs11Error": "GeneralError", "module": MODULE}


async def test_a_named_reader_that_is_not_there(use_hsm, identity_bridge):
    from bridge.errors import ReaderNotFoundError

    use_hsm("zoe")
    async with identity_bridge() as bridge:
        with pytest.raises(ReaderNotFoundError):
            await bridge.cps_identity.identity("no such reader")


async def test_a_build_without_the_binding_says_so(use_hsm, identity_bridge, monkeypatch):
    import sys

    use_hsm("zoe")
    monkeypatch.setitem(sys.modules, "pkcs11", None)  # import pkcs11 now raises ImportError
    monkeypatch.setitem(sys.modules, "pkcs11.exceptions", None)
    with pytest.raises(Pkcs11UnavailableError) as caught:
        await read(identity_bridge)
    assert "python-pkcs11" in caught.value.message
