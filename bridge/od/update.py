"""``vitale-bridge od update``: the newest TOD file from where IT puts it, checked like an import.

Practices cannot fetch the TOD from the GIE's site by hand every few months, so IT sets
``odUpdateSource`` in the system configuration (:mod:`bridge.sysconfig`): a folder (a network
share) or an ``https://`` URL of the organisation's own. ``od update`` (run by hand, or by a
scheduled task IT sets up) then:

1. takes the newest file of the folder (``.csv``, ``.zip`` or ``.txt``, by modification time,
   then name; hidden and Office lock files are skipped), or downloads the URL (https only, also
   after redirects; :data:`MAX_FILE_BYTES` and :data:`TIMEOUT` enforced);
2. does nothing when that file (by SHA-256) is the active or the previous table: an update
   never re-imports what the user just rolled back;
3. imports it like ``od import``: whole-file check, the guard of :mod:`bridge.od.diff` (unless
   ``--force``), the SHA-256 and the origin recorded in the table's provenance.

The bridge never reaches out on its own: nothing runs unless ``od update`` is called, and it
needs a configured source (or ``--source``). The recorded origin of a URL keeps scheme, host
and path only: a query string or user name may hold a secret of IT's, and ``od info`` shows it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import ssl
import stat
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field

from bridge.errors import SetupError
from bridge.od.files import MAX_FILE_BYTES, read_bytes
from bridge.od.models import OdImportReport
from bridge.od.official import parse_official
from bridge.od.store import OdStore
from bridge.wire import WireModel

#: Seconds for the connection and for each read of a download.
TIMEOUT = 30
SUFFIXES = (".csv", ".zip", ".txt")


class OdUpdateReport(WireModel):
    """What ``od update`` did (CLI ``--json`` output)."""

    status: Literal["imported", "alreadyImported"]
    origin: str = Field(description="The folder or URL (scheme, host and path) and the file taken.")
    file_name: str
    sha256: str
    imported: OdImportReport | None = Field(default=None, description="Null when nothing was imported.")


@dataclass(frozen=True)
class Fetched:
    data: bytes
    name: str
    origin: str


def configured_source() -> str | None:
    """``odUpdateSource`` of the system configuration (None when IT has not set one)."""
    from bridge.sysconfig import load_system_config

    return load_system_config().od_update_source


def update(store: OdStore, source: str, *, force: bool = False) -> OdUpdateReport:
    fetched = fetch(source)
    sha256 = hashlib.sha256(fetched.data).hexdigest()
    if sha256 in store.known_sha256():
        return OdUpdateReport(status="alreadyImported", origin=fetched.origin, file_name=fetched.name, sha256=sha256)
    parsed = parse_official(fetched.data, fetched.name)
    report = store.import_parsed(parsed, origin=fetched.origin, force=force)
    return OdUpdateReport(
        status="imported", origin=fetched.origin, file_name=fetched.name, sha256=sha256, imported=report
    )


def fetch(source: str) -> Fetched:
    """The bytes of the newest TOD file at *source* (a folder, a file, or an https:// URL)."""
    if "://" in source:
        return _download(source)
    path = Path(source).expanduser()
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise SetupError(f"The OD update source {path} cannot be read ({exc.strerror or exc}).") from None
    if stat.S_ISDIR(mode):
        path = _newest(path)
    return Fetched(read_bytes(path), path.name, str(path.absolute()))


def _newest(folder: Path) -> Path:
    candidates = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith((".", "~$")) or not name.lower().endswith(SUFFIXES):
                    continue
                if entry.is_file():  # follows links; devices and FIFOs are not files
                    candidates.append((entry.stat().st_mtime_ns, name, Path(entry.path)))
    except OSError as exc:
        raise SetupError(f"The OD update folder {folder} cannot be listed ({exc.strerror or exc}).") from None
    if not candidates:
        raise SetupError(
            f"The OD update folder {folder} holds no TOD file ({', '.join(SUFFIXES)}); "
            "put the file downloaded from sesam-vitale.fr there."
        )
    return max(candidates)[2]


class _HttpsOnly(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another https:// URL (never downgrade to plain HTTP)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme.lower() != "https":
            raise urllib.error.URLError("redirected to a non-https URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def public_url(url: str) -> str:
    """scheme://host[:port]/path: what may be shown and recorded of a URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _download(url: str) -> Fetched:
    shown = public_url(url)
    if urlsplit(url).scheme.lower() != "https":
        raise SetupError(f"The OD update source {shown} is not an https:// URL: only https (or a folder) is accepted.")
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=ssl.create_default_context()), _HttpsOnly()
    )
    request = urllib.request.Request(url, headers={"User-Agent": "vitale-bridge od update"})  # noqa: S310 - https only, checked above
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_FILE_BYTES:
                raise SetupError(f"{shown} is {length} bytes: larger than a TOD file can be ({MAX_FILE_BYTES}).")
            data = response.read(MAX_FILE_BYTES + 1)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SetupError(f"Cannot download the TOD from {shown} ({reason}). The active table was not changed.") from None
    if len(data) > MAX_FILE_BYTES:
        raise SetupError(f"{shown} sent more than {MAX_FILE_BYTES} bytes: that is not a TOD file.")
    name = Path(urlsplit(url).path).name or "tod.csv"
    return Fetched(data, name, shown)
