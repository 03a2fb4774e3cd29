"""Entry point of the PyInstaller build: the same ``vitale-bridge`` command as the pip install."""

from bridge.cli.main import main

raise SystemExit(main())
