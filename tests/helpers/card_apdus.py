"""Helpers for the bench tests: a minimal BER-TLV reader (independent of the card layer's), a T=0
reader, and process probes."""

from __future__ import annotations


def parse_tlv(data: bytes) -> list[tuple[str, bytes]]:
    """Top-level (tag hex, value) pairs; stops at 00 padding."""
    out, i = [], 0
    while i < len(data) and data[i] != 0x00:
        start = i
        i += 1
        if data[start] & 0x1F == 0x1F:
            while data[i] & 0x80:
                i += 1
            i += 1
        tag = data[start:i].hex().upper()
        n = data[i]
        i += 1
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(data[i : i + k], "big")
            i += k
        out.append((tag, data[i : i + n]))
        i += n
    return out


class T0Reader:
    """What a T=0-aware reader does: GET RESPONSE on 61xx, resend with Le=xx on 6Cxx.

    *transmit* takes a C-APDU and returns the R-APDU (a card object, or pyscard through pcscd).
    """

    def __init__(self, transmit):
        self.transmit = transmit
        self.log: list[tuple[str, str]] = []

    def raw(self, hexapdu: str) -> tuple[bytes, int]:
        r = self.transmit(bytes.fromhex(hexapdu))
        self.log.append((hexapdu, r.hex().upper()))
        return r[:-2], int.from_bytes(r[-2:], "big")

    def send(self, hexapdu: str) -> tuple[bytes, int]:
        data, sw = self.raw(hexapdu)
        if sw >> 8 == 0x6C:
            data, sw = self.raw(hexapdu[:-2] + f"{sw & 0xFF:02X}")
        out = data
        while sw >> 8 == 0x61:
            data, sw = self.raw(f"00C00000{sw & 0xFF:02X}")
            out += data
        return out, sw

    def read_file(self) -> bytes:
        """cardpeek style: READ BINARY in 256-byte steps until a short answer."""
        out, offset = b"", 0
        while True:
            data, sw = self.send(f"00B0{(offset >> 8) & 0x7F:02X}{offset & 0xFF:02X}00")
            if sw != 0x9000:
                return out
            out += data
            if len(data) != 256:
                return out
            offset += 256


def fields(template: bytes) -> dict[str, bytes]:
    return dict(parse_tlv(template))


def processes_mentioning(text: str) -> list[int]:
    """Live (non-zombie) processes whose command line contains *text* (a /proc scan)."""
    import os

    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z" and int(entry) != os.getpid():
            found.append(int(entry))
    return found


def pid_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
