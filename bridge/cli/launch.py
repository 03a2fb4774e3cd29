"""Recognise a launch by a browser's native messaging (argv carries the caller's identity)."""

from __future__ import annotations


def browser_launch(argv: list[str]) -> int | None:
    """Run the native host if the browser started us, else return None.

    Chrome passes ``chrome-extension://<id>/`` (plus ``--parent-window=N`` on Windows); Firefox
    passes the manifest path and the add-on id. Which arguments mean a browser is decided by
    :func:`bridge.transport.native.caller_origin`, the same rule the host uses to name its peer.
    """
    if not argv or not (argv[0].startswith("chrome-extension://") or argv[0].endswith(".json")):
        return None  # the common case, decided without importing the native host
    from bridge.transport import native

    if native.caller_origin(argv) is None:
        return None
    return native.main_from_browser(argv)
