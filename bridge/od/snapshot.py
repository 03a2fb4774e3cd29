"""The bridge's own file format for a checked table: the embedded default and every import.

An imported official file is parsed once, at import; what is stored is this snapshot (JSON,
UTF-8, rows as arrays) so that a server (re)loads it in a few milliseconds and never parses CSV
on the request path. The format carries the version and the provenance, so ``od info`` can
always say what answers.
"""

from __future__ import annotations

import json
from typing import Any

from bridge.errors import OdTableInvalidError
from bridge.od.codes import WIDTHS
from bridge.od.models import OdSource
from bridge.od.table import ROW_FIELDS, DuplicateKeyError, OdRow, OdTable

FORMAT = "vitale-bridge/od-table/1"
#: Row columns in the snapshot: every OdRow field (``line`` = line in the original file).
COLUMNS = list(ROW_FIELDS)

_CODE_INDEXES = [(COLUMNS.index(n), w) for n, w in WIDTHS.items()]


def dump(
    rows: tuple[OdRow, ...] | list[OdRow],
    *,
    version: str,
    source: OdSource,
    regime_names: dict[str, str],
    warnings: list[str] | tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
) -> bytes:
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": version,
        "source": source.model_dump(mode="json", by_alias=True, exclude_none=True),
        **(extra or {}),
        "regimes": dict(sorted(regime_names.items())),
        "warnings": list(warnings),
        "columns": COLUMNS,
        "rows": [[getattr(r, c) for c in COLUMNS] for r in rows],
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    # One row per line: readable diffs of the embedded file, still compact.
    text = text.replace(',"rows":[[', ',"rows":[\n[').replace("],[", "],\n[")
    return (text + "\n").encode("utf-8")


def load(data: bytes, name: str) -> OdTable:
    """An :class:`OdTable` from snapshot bytes; OdTableInvalidError if the file is damaged."""
    try:
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        if document.get("columns") != COLUMNS:
            raise ValueError("unexpected columns")
        rows = []
        for i, values in enumerate(document["rows"]):
            if not isinstance(values, list) or len(values) != len(COLUMNS):
                raise ValueError(f"row {i} has the wrong shape")
            for index, width in _CODE_INDEXES:
                code = values[index]
                if not (isinstance(code, str) and len(code) == width and code.isdigit()):
                    raise ValueError(f"row {i}: bad code {code!r}")
            rows.append(OdRow._make(values))
        source = OdSource.model_validate(document["source"])
        return OdTable(
            rows,
            version=str(document["version"]),
            source=source,
            regime_names=document.get("regimes") or {},
            warnings=document.get("warnings") or (),
        )
    except (ValueError, KeyError, TypeError, DuplicateKeyError) as exc:
        raise OdTableInvalidError(
            f"The stored OD table {name} is damaged ({exc}). Import the TOD file again with "
            "'vitale-bridge od import FILE', or roll back with 'vitale-bridge od rollback'.",
            file=name,
        ) from None
