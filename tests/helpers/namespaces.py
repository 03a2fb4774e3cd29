"""Whether a test can run something in a private mount namespace (``unshare -m``).

Tests that must put files where the machine's own programs look (``/run/pcscd``,
``/etc/chromium``) do it in a private mount namespace, so the machine never sees them. That needs
root, unshare(1), and a root file system whose propagation can be made private: a chroot whose
``/`` is not a mount point (``../shared/tools/fresh-debian.sh``) cannot, and the test must then say
so rather than risk mounts leaking to the host.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess


@functools.cache
def why_no_private_mount_namespace() -> str | None:
    """None when ``unshare --mount --propagation private`` works here; else the reason."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return "needs root and unshare(1)"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"],
        capture_output=True, text=True, timeout=30, check=False,
    )
    if probe.returncode != 0:
        return (f"no private mount namespace on this machine ({probe.stderr.strip()}); a chroot whose / is "
                "not a mount point cannot make / private, and mounts must not leak to the host")
    return None
