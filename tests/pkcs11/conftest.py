"""SoftHSM2 stands in for the CPS's PKCS#11 view (see tests/helpers/softhsm.py).

``hsm`` (session) builds one private SoftHSM folder per situation; each test points
``SOFTHSM2_CONF`` at the one it needs. A bridge loads the module on its first identity read
and unloads it when it stops, so the next bridge of the same process reads the new folder.
"""

from __future__ import annotations

import os
import shutil

import pytest

from bridge.app import Bridge
from bridge.settings import Settings
from tests.helpers import certs
from tests.helpers.browser_fixtures import artifacts, demo_server, extension_build, playwright
from tests.helpers.softhsm import AUTH_LABEL, MODULE, SIGN_LABEL, SoftHsm, available

__all__ = ["artifacts", "demo_server", "extension_build", "playwright"]  # browser fixtures of test_popup.py


def _unavailable(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class Hsms:
    """The SoftHSM folders of the session, by situation."""

    def __init__(self, root) -> None:
        self.root = root
        self.made: dict[str, SoftHsm] = {}

    def one(self, name: str, *certificates: tuple[bytes, str]) -> SoftHsm:
        """A folder with one token holding *certificates* (der, label)."""
        hsm = SoftHsm.create(self.root / name)
        hsm.add_token(f"CPS {name}")
        for i, (der, label) in enumerate(certificates, 1):
            hsm.write_certificate(f"CPS {name}", der, label, object_id=f"{i:02X}")
        self.made[name] = hsm
        return hsm


@pytest.fixture(scope="session")
def hsm(tmp_path_factory):
    if not available():
        _unavailable("SoftHSM2 and pkcs11-tool are needed: apt-get install softhsm2 opensc (bash installer/setup.sh --test)")
    hsms = Hsms(tmp_path_factory.mktemp("softhsm"))
    for holder in (certs.ZOE, certs.LUC, certs.INES, certs.OLD):
        # The signature certificate first: the authentication one must still be preferred.
        hsms.one(
            holder.prenom.lower().replace("é", "e").replace("è", "e"),
            (certs.certificate_der(holder), SIGN_LABEL),
            (certs.certificate_der(holder), AUTH_LABEL),
        )
    hsms.one("plain", (certs.plain_certificate_der(), "VPN"))
    hsms.one("nocert")
    empty = SoftHsm.create(hsms.root / "empty")  # only SoftHSM's spare, uninitialised slot
    hsms.made["empty"] = empty
    pair = SoftHsm.create(hsms.root / "pair")
    for holder, label in ((certs.ZOE, "CPS A"), (certs.LUC, "CPS B")):
        pair.add_token(label)
        pair.write_certificate(label, certs.certificate_der(holder), AUTH_LABEL)
    hsms.made["pair"] = pair
    yield hsms
    shutil.rmtree(hsms.root, ignore_errors=True)


@pytest.fixture
def use_hsm(monkeypatch, hsm):
    """``use_hsm(name)``: point this process's SoftHSM at that folder."""

    def use(name: str) -> SoftHsm:
        chosen = hsm.made[name]
        monkeypatch.setenv("SOFTHSM2_CONF", str(chosen.conf))
        return chosen

    return use


@pytest.fixture
def identity_bridge(paths):
    """``async with identity_bridge(**settings) as bridge``: a simulator bridge using SoftHSM."""

    def make(**overrides) -> Bridge:
        options = {"paths": paths, "port": 0, "ipv6": False, "driver": "simulator", "pkcs11_module": MODULE, **overrides}
        return Bridge(Settings(**options))

    return make
