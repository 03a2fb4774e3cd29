"""Getting the bytes of a TOD file, and its text, without trusting what the path points to.

``od import``, ``od diff`` and ``od update`` take a path from the user or from IT's share. A
path can name a device (``/dev/zero`` never ends), a FIFO (blocks until someone writes) or a
file that grows while it is read. So the file is opened without blocking, refused unless it is
a regular file (checked on the open descriptor, not on the name, so a swap between the check
and the read changes nothing), and read with the size limit enforced on the bytes actually
read, not on what ``stat`` said.

Decoding is decided here too: UTF-8 when the bytes are valid UTF-8 (a BOM is accepted), else
Latin-1, with bytes 0x80-0x9F read as Windows-1252 (``€``, ``’``, ``–``: what they are in the
copies seen). A UTF-16 file (what Excel's "Unicode text" writes) is recognised and refused with
how to convert it, rather than as "contains NUL bytes".
"""

from __future__ import annotations

import io
import lzma
import os
import re
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from bridge.errors import OdTableInvalidError

#: Largest file accepted (the official file is about 100 kB; this leaves room for growth).
MAX_FILE_BYTES = 16 * 1024 * 1024

_C1_BYTES = re.compile(rb"[\x80-\x9f]")

UTF16_HINT = (
    "convert it to UTF-8 or Latin-1 first: in a text editor, 'Save as' with the encoding UTF-8; "
    "or 'iconv -f UTF-16 -t UTF-8 FILE > tod.csv' (Linux, macOS); or in PowerShell "
    "'Get-Content FILE | Set-Content -Encoding UTF8 tod.csv'"
)


def error(name: str, line: int | None, problem: str, **details: object) -> OdTableInvalidError:
    """The one shape of a file error: where, what, and that nothing changed."""
    where = f"{name}, line {line}" if line is not None else name
    return OdTableInvalidError(f"{where}: {problem}. The active table was not changed.", file=name, line=line, **details)


def read_bytes(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The content of the regular file *path*, at most *limit* bytes, or OdTableInvalidError.

    Refuses devices, FIFOs, sockets and folders before reading anything from them.
    """
    path = Path(path)
    limit = MAX_FILE_BYTES if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise OdTableInvalidError(
            f"Cannot read {path}: {exc.strerror or exc}. The active table was not changed.", file=path.name
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
            raise error(path.name, None, f"{kind}, not a regular file; give the path of the TOD file itself")
        if os.name == "posix":
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise OdTableInvalidError(
            f"Cannot read {path}: {exc.strerror or exc}. The active table was not changed.", file=path.name
        ) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(
            path.name, None, f"larger than {limit} bytes; a TOD file is far smaller. Check that this is the TOD CSV"
        )
    return data


_ZIP_DAMAGE = (
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError,
    RuntimeError, NotImplementedError, ValueError, OverflowError, struct.error,
)


def unzip(data: bytes, name: str) -> tuple[bytes, str]:
    """The one CSV of a ZIP archive (the form of the download), and its name for messages."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            csvs = [m for m in members if m.filename.lower().endswith((".csv", ".txt"))]
            if len(csvs) != 1:
                raise error(name, None, f"the ZIP archive holds {len(csvs)} CSV files; extract the TOD CSV and import it")
            member = csvs[0]
            if member.file_size > MAX_FILE_BYTES:
                raise error(name, None, f"{member.filename} in the archive is too large")
            with archive.open(member) as f:
                content = f.read(MAX_FILE_BYTES + 1)
    except _ZIP_DAMAGE as exc:
        # A damaged archive fails wherever the damage is: headers (BadZipFile), the compressed
        # stream (zlib/lzma/bz2 errors, EOF), flags or methods zipfile cannot read (encrypted:
        # RuntimeError; unknown method: NotImplementedError). All are the same user error.
        raise error(name, None, f"the ZIP archive is damaged or unreadable ({type(exc).__name__})") from None
    if len(content) > MAX_FILE_BYTES:
        raise error(name, None, "the CSV in the archive is too large")
    return content, f"{name}:{Path(member.filename).name}"


def looks_utf16(data: bytes) -> bool:
    """A UTF-16 BOM, or (without one) NUL bytes on every other position of the start."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    head = data[:512]
    if len(head) < 8:
        return False
    even, odd = head[0::2], head[1::2]
    return odd.count(0) > 0.9 * len(odd) or even.count(0) > 0.9 * len(even)


def decode(data: bytes, name: str = "") -> tuple[str, str]:
    """(text, encoding name) of a TOD file's bytes, or OdTableInvalidError for bytes that are not text."""
    if looks_utf16(data):
        raise error(name, None, f"the file is UTF-16 text (as Excel's 'Unicode text' writes it); {UTF16_HINT}")
    if b"\x00" in data:
        raise error(name, None, "the file contains NUL bytes: it is not a CSV text file")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise error(name, None, f"the file starts with a UTF-8 mark but is not UTF-8 ({exc.reason})") from None
    if data.isascii():
        return data.decode("ascii"), "ascii"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _C1_BYTES.search(data):
        try:
            return data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"
