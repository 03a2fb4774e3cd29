"""Recognise a launch by a browser's native messaging (argv carries the caller's identity)."""

from __future__ import annotations


def browser_launch(argv: list[str]) -> int | None:
    """Run the native host if the browser started us, else return None.

    Chrome passes ``chrome-extension://<id>/`` (plus ``--parent-window=N`` on Windows); Firefox
    passes the manifest path and the add-on id.
    """
    if not argv:
        return None
    first = argv[0]
    if first.startswith("chrome-extension://") or (first.endswith(".json") and len(argv) >= 2 and "@" in argv[1]):
        try:
            from bridge.transport import native  # noqa: F401
        except ImportError:
            return None
        return native.main_from_browser(argv)
    return None
