"""``vitale-bridge doctor [--json]``: check the installation and say how to fix what is wrong."""

from __future__ import annotations

import argparse

from bridge.cli.common import add_json, add_port, paths_from, print_json


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="check the installation (manifests, PC/SC, readers, TOD table, port, token)")
    add_port(p)
    add_json(p, "print the report as JSON (for a support ticket)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from bridge import doctor

    logging.getLogger("vitale_bridge").setLevel(logging.ERROR)  # the report is the output
    checks = doctor.run_checks(paths_from(args), doctor.port_to_check(args.port))
    if args.json:
        print_json(doctor.report_json(checks))
    else:
        for line in doctor.report_text(checks):
            print(line)
    return 1 if any(c.status == doctor.FAIL for c in checks) else 0
