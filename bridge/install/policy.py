"""Browser policies that deploy and configure the extension for an organisation (pure data).

``vitale-bridge policy`` prints or writes them; IT can also copy the JSON into its own tools.
For each browser, one policy document holds:

- the extension's **managed storage** (``3rdparty`` → ``extensions`` / ``Extensions`` → our id):
  ``allowedOrigins`` (pre-approved exact origins, no consent window), ``blockedOrigins`` (never
  allowed, no prompt), ``transport`` and ``websocketPort``, the keys of the extension's
  ``managed_schema``;
- Chromium family: ``NativeMessagingAllowlist`` with our host, so a ``NativeMessagingBlocklist``
  of ``*`` set by the organisation does not cut the extension off from it;
- when a location is given, the force-install entry: ``ExtensionInstallForcelist``
  (``<id>;<update URL>``) for the Chromium family, ``ExtensionSettings`` with ``install_url``
  for Firefox.

Chromium-family browsers read every ``*.json`` of their ``policies/managed`` folder, so ours is
a file of its own. Firefox reads one ``policies.json``: ours is merged into it
(:func:`merge_firefox`) and taken out again by :func:`unmerge_firefox`, leaving the rest intact.

Linux only: Windows reads policies from the registry (ADMX / GPO) and macOS from configuration
profiles; docs/install.md gives their keys.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bridge.identity import CHROME_EXTENSION_ID, FIREFOX_ADDON_ID, NATIVE_HOST_NAME
from bridge.install.locations import BROWSERS, FAMILY

#: Where each Chromium-family browser reads the organisation's policies on Linux.
CHROMIUM_POLICY_DIRS = {
    "chrome": "/etc/opt/chrome/policies/managed",
    "chromium": "/etc/chromium/policies/managed",
    "edge": "/etc/opt/edge/policies/managed",
    "brave": "/etc/brave/policies/managed",
}
#: Firefox (and Debian's firefox-esr: its application name is "Firefox") on Linux.
FIREFOX_POLICIES = "/etc/firefox/policies/policies.json"
#: Our file in each Chromium-family folder.
POLICY_FILE_NAME = "vitale-bridge.json"
TRANSPORTS = ("auto", "native", "websocket")
#: Hosts whose plain-http pages the extension serves (its content script matches only these).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: A host name or IPv4 address, as browsers write them in an origin (no wildcards).
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*", re.IGNORECASE)


@dataclass(frozen=True)
class ManagedSettings:
    """What the organisation sets in the extension's managed storage."""

    allowed_origins: tuple[str, ...]
    blocked_origins: tuple[str, ...] = ()
    transport: str | None = None
    websocket_port: int | None = None

    def storage(self) -> dict[str, Any]:
        """The managed storage object (keys of the extension's ``managed_schema``)."""
        out: dict[str, Any] = {"allowedOrigins": list(self.allowed_origins)}
        if self.blocked_origins:
            out["blockedOrigins"] = list(self.blocked_origins)
        if self.transport is not None:
            out["transport"] = self.transport
        if self.websocket_port is not None:
            out["websocketPort"] = self.websocket_port
        return out


@dataclass(frozen=True)
class PolicyFile:
    path: str
    browsers: tuple[str, ...]
    #: The policy document (Chromium family) or our part of ``policies.json`` (Firefox).
    content: dict[str, Any]
    #: True for Firefox: merged into the existing file rather than replacing it.
    merged: bool


def web_origin(origin: str) -> str:
    """*origin* if it is an exact web origin a page of the extension can have, else ValueError."""
    parts = urlsplit(origin)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number in range
        hostname = parts.hostname or ""
        host_ok = bool(hostname) and (parts.netloc.startswith("[") or _HOST.fullmatch(hostname) is not None)
    except ValueError:
        host_ok = False
    shape_ok = (
        parts.scheme in ("https", "http")
        and host_ok
        and not (parts.path or parts.query or parts.fragment or parts.username or parts.password)
        and origin == origin.strip()
    )
    if not shape_ok:
        raise ValueError(f"{origin!r} is not an origin: write it as https://host[:port], e.g. https://ehr.example.fr")
    if origin != origin.lower():
        raise ValueError(f"{origin!r}: browsers write origins in lower case; write {origin.lower()!r}")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise ValueError(f"{origin!r}: the extension serves plain http only on localhost; use https://")
    if (parts.scheme, parts.port) in (("https", 443), ("http", 80)):
        raise ValueError(f"{origin!r}: browsers leave the default port out; write {parts.scheme}://{parts.hostname}")
    return origin


def https_url(url: str, what: str, *, file_ok: bool = False) -> str:
    parts = urlsplit(url)
    allowed = ("https", "file") if file_ok else ("https",)
    if parts.scheme not in allowed or (parts.scheme == "https" and not parts.netloc) or url != url.strip():
        where = "an https:// (or file:///) URL" if file_ok else "an https:// URL"
        raise ValueError(f"the {what} must be {where}")
    return url


def managed_settings(
    allowed: list[str], blocked: list[str] | None = None, transport: str | None = None, port: int | None = None
) -> ManagedSettings:
    """Checked settings: exact origins, no origin both allowed and blocked, a known transport."""
    allowed_t = tuple(dict.fromkeys(web_origin(o) for o in allowed))
    blocked_t = tuple(dict.fromkeys(web_origin(o) for o in blocked or []))
    both = sorted(set(allowed_t) & set(blocked_t))
    if both:
        raise ValueError(f"{', '.join(both)} cannot be both allowed and blocked")
    if transport is not None and transport not in TRANSPORTS:
        raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}")
    if port is not None and not 1024 <= port <= 65535:
        raise ValueError("the WebSocket port must be between 1024 and 65535")
    return ManagedSettings(allowed_t, blocked_t, transport, port)


def chromium_document(settings: ManagedSettings, update_url: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "3rdparty": {"extensions": {CHROME_EXTENSION_ID: settings.storage()}},
        "NativeMessagingAllowlist": [NATIVE_HOST_NAME],
    }
    if update_url:
        doc["ExtensionInstallForcelist"] = [f"{CHROME_EXTENSION_ID};{update_url}"]
    return doc


def firefox_fragment(settings: ManagedSettings, install_url: str | None) -> dict[str, Any]:
    policies: dict[str, Any] = {"3rdparty": {"Extensions": {FIREFOX_ADDON_ID: settings.storage()}}}
    if install_url:
        policies["ExtensionSettings"] = {
            FIREFOX_ADDON_ID: {"installation_mode": "force_installed", "install_url": install_url}
        }
    return {"policies": policies}


def make_policy_plan(
    *,
    browsers: tuple[str, ...],
    settings: ManagedSettings,
    update_url: str | None = None,
    firefox_install_url: str | None = None,
) -> tuple[PolicyFile, ...]:
    """The policy files for *browsers* (Linux paths), built from the arguments only."""
    unknown = sorted(set(browsers) - set(BROWSERS))
    if unknown:
        raise ValueError(f"unknown browser {', '.join(unknown)}: choose from {', '.join(BROWSERS)}")
    if update_url:
        https_url(update_url, "update URL")
    if firefox_install_url:
        https_url(firefox_install_url, "Firefox install URL", file_ok=True)
    files = []
    for b in BROWSERS:
        if b not in browsers:
            continue
        if FAMILY[b] == "firefox":
            files.append(PolicyFile(FIREFOX_POLICIES, (b,), firefox_fragment(settings, firefox_install_url), True))
        else:
            path = f"{CHROMIUM_POLICY_DIRS[b]}/{POLICY_FILE_NAME}"
            files.append(PolicyFile(path, (b,), chromium_document(settings, update_url), False))
    return tuple(files)


# --- Firefox's single policies.json ---------------------------------------------------------


def merge_firefox(existing: dict[str, Any] | None, fragment: dict[str, Any]) -> dict[str, Any]:
    """*existing* policies.json with our entries set (replacing our previous ones only)."""
    doc = copy.deepcopy(existing) if existing is not None else {}
    policies = _object(doc, "policies", "the file")
    for name, ours in fragment["policies"].items():
        if name == "3rdparty":
            extensions = _object(_object(policies, "3rdparty", "policies"), "Extensions", "policies.3rdparty")
            extensions.update(copy.deepcopy(ours["Extensions"]))
        else:  # ExtensionSettings: keyed by add-on id
            _object(policies, name, "policies").update(copy.deepcopy(ours))
    return doc


def unmerge_firefox(existing: dict[str, Any]) -> dict[str, Any]:
    """*existing* without our entries; containers we emptied are dropped."""
    doc = copy.deepcopy(existing)
    policies = doc.get("policies")
    if not isinstance(policies, dict):
        return doc
    third = policies.get("3rdparty")
    if isinstance(third, dict) and isinstance(third.get("Extensions"), dict):
        third["Extensions"].pop(FIREFOX_ADDON_ID, None)
        if not third["Extensions"]:
            del third["Extensions"]
        if not third:
            del policies["3rdparty"]
    settings = policies.get("ExtensionSettings")
    if isinstance(settings, dict):
        settings.pop(FIREFOX_ADDON_ID, None)
        if not settings:
            del policies["ExtensionSettings"]
    return doc


def _object(parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = parent.setdefault(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"{where}: '{key}' is not a JSON object; fix policies.json by hand first")
    return value
