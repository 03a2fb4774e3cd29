"""Fixtures of the OD tests: the small official-format files, and a writer for variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.od_testdata import FIXTURES, write_tod


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def tod_file(tmp_path):
    """Call with lines (header first) to get a Latin-1 CRLF TOD file."""
    counter = iter(range(1000))

    def make(lines: list[str], **options) -> Path:
        return write_tod(tmp_path / f"tod-{next(counter)}.csv", lines, **options)

    return make
