"""The ``vitale-bridge`` command: one entry point, one module per group of subcommands."""
