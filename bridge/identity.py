"""Fixed identities shared by the host, the extension and the installer.

The Chrome-family extension id is derived from the public key in extension/manifest.json
(first 32 hex digits of sha256(DER key), mapped 0-f -> a-p); tests check they agree.
"""

#: Name of the native messaging host (lowercase, dots and underscores only, as Chrome requires).
NATIVE_HOST_NAME = "fr.vitale_bridge.host"

#: Public key (base64 DER) in the extension manifest's "key": it fixes the Chrome extension id.
EXTENSION_PUBLIC_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxOEl7P5j9eNIzjyKOf5GH4A4uIJaOlbuf6siDur2lXGf2C7ERLyPC7ci3yJp0/8T4JA/YE+ZWolD/v9t3PWgrNeCqeFlgKlzqx49e1nlRURrBS5N6+pFRjUiV5IbJqzXZA52VlT1gnddgQ3gJ8q6eB8JNpIeiTlRiMDpEm8dTW7afpogFZIzdBOJ26w1lOBjcXtThfsyaq+kCBNWV6cWaqYcXlnOhhUkRmpqrZ6id3iA5t/8scSPzmEIW+t4hnvMPLgEU72l/ZyyPNS6+JWvb7wXWIRxEnmNM56/S6EJ3vRg3SFdbm47c7LlzahDZF2oe1sxVlx63UJErkZLWzzbIwIDAQAB"

#: Chrome / Chromium / Edge / Brave extension id, derived from EXTENSION_PUBLIC_KEY.
CHROME_EXTENSION_ID = "pjlklnmdipclnjibhckdcmjjdeinefpd"

#: Firefox add-on id (browser_specific_settings.gecko.id).
FIREFOX_ADDON_ID = "vitale-bridge@vitale-bridge.org"

#: Default TCP port of the localhost WebSocket (documented in README and docs/websocket.md).
DEFAULT_PORT = 27815


def chrome_extension_id(public_key_b64: str) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def extension_origins() -> list[str]:
    """Origins the WebSocket accepts without any user step: our Chrome-family extension."""
    return [f"chrome-extension://{CHROME_EXTENSION_ID}"]
