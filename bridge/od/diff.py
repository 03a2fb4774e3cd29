"""What a TOD file would change in the active table, and when that is too much to be right.

A file can be valid line by line and still be the wrong file: cut at a line boundary, an
extract of one régime, last year's copy. Imported blindly it replaces the whole routing table
and cards that resolved yesterday answer ``OD_NOT_FOUND`` today. So ``od import`` and
``od update`` compare the file with the active table first (the embedded default counts as
active) and refuse, with :class:`~bridge.errors.OdImportSuspiciousError` carrying this
comparison, a file that:

- removes more than 5 % of the active rows (:data:`REMOVED_SHARE`). A real update removes few
  rows: caisse mergers remove one row per merged caisse and régime, tens at most in a table of
  thousands; a truncated or partial file removes hundreds;
- removes every row of a régime the active table routes (a régime vanishing from the TOD is a
  national event; a file without it is far more likely an extract);
- re-routes more than 10 % of the keys both tables have (:data:`REROUTED_SHARE`): updates do
  re-route (mergers move caisses to another OD), so this allows more than removals, but a tenth
  of the routing changing at once is another table, not an update;
- has an older version than the active table (going back is what ``od rollback`` is for).

``--force`` imports anyway. The comparison is only codes, libellés and counts: nothing personal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bridge.od.models import MAX_DIFF_EXAMPLES as MAX_EXAMPLES
from bridge.od.models import OdDiff, OdRegimeDiff, OdRowChange, OdSuspicion, OdTableSummary
from bridge.od.table import OdRow, OdTable

REMOVED_SHARE = 0.05
REROUTED_SHARE = 0.10
def version_key(version: str | None) -> tuple[int, ...] | None:
    """``"3.70"`` -> (3, 70); None when the version is unknown or not numbers."""
    try:
        return tuple(int(p) for p in (version or "").split("."))
    except ValueError:
        return None


def _change(kind: str, old: OdRow | None, new: OdRow | None) -> OdRowChange:
    row = new or old
    if row is None:
        raise ValueError("a row change needs the old row, the new one or both")
    return OdRowChange(
        change=kind,
        regime=row.regime, caisse=row.caisse, centre=row.centre, libelle=row.libelle,
        od=old.od if old else None,
        code_centre_informatique=old.code_centre_informatique if old else None,
        new_od=new.od if new else None,
        new_code_centre_informatique=new.code_centre_informatique if new else None,
    )


def _summary(version: str, rows: Iterable[OdRow], source: str, sha256: str | None) -> OdTableSummary:
    rows = list(rows)
    return OdTableSummary(
        version=version, row_count=len(rows), regime_count=len({r.regime for r in rows}), source=source, sha256=sha256
    )


def compare(active: OdTable, rows: tuple[OdRow, ...], *, version: str, source: str, sha256: str | None) -> OdDiff:
    """What replacing *active* with *rows* (a checked file) would change."""
    old = {r.key: r for r in active.rows}
    new = {r.key: r for r in rows}
    removed = [old[k] for k in old.keys() - new.keys()]
    added = [new[k] for k in new.keys() - old.keys()]
    common = old.keys() & new.keys()
    rerouted = [
        (old[k], new[k]) for k in common
        if (old[k].od, old[k].code_centre_informatique) != (new[k].od, new[k].code_centre_informatique)
    ]
    counts = {
        "active": Counter(r.regime for r in active.rows), "file": Counter(r.regime for r in rows),
        "added": Counter(r.regime for r in added), "removed": Counter(r.regime for r in removed),
        "rerouted": Counter(o.regime for o, _ in rerouted),
    }
    names = {**active.regime_names, **{r.regime: r.regime_name for r in rows if r.regime_name}}
    regimes = [
        OdRegimeDiff(
            regime=code, regime_libelle=names.get(code), active_rows=counts["active"][code],
            file_rows=counts["file"][code], added=counts["added"][code], removed=counts["removed"][code],
            rerouted=counts["rerouted"][code],
        )
        for code in sorted(set(counts["active"]) | set(counts["file"]))
    ]
    examples = (
        [_change("removed", r, None) for r in sorted(removed)]
        + [_change("rerouted", o, n) for o, n in sorted(rerouted)]
        + [_change("added", None, r) for r in sorted(added)]
    )
    active_source = "embedded" if active.source.kind == "embedded" else (active.source.file_name or "imported")
    diff = OdDiff(
        active=_summary(active.version, active.rows, active_source, active.source.sha256),
        file=_summary(version, rows, source, sha256),
        added=len(added), removed=len(removed), rerouted=len(rerouted),
        unchanged_routing=len(common) - len(rerouted),
        regimes=regimes, changes=examples[:MAX_EXAMPLES], more_changes=max(0, len(examples) - MAX_EXAMPLES),
        suspicious=[],
    )
    return diff.model_copy(update={"suspicious": suspicions(diff)})


def suspicions(diff: OdDiff) -> list[OdSuspicion]:
    """The reasons (see the module's docstring) this change is not imported without --force."""
    out: list[OdSuspicion] = []
    active, file = diff.active, diff.file
    if active.row_count and diff.removed > REMOVED_SHARE * active.row_count:
        out.append(OdSuspicion(
            reason="manyRemoved",
            message=f"it removes {diff.removed} of the {active.row_count} active rows "
            f"({diff.removed / active.row_count:.0%}; a normal update removes under {REMOVED_SHARE:.0%})",
        ))
    gone = [r for r in diff.regimes if r.active_rows and not r.file_rows]
    if gone:
        listed = ", ".join(r.regime for r in gone)
        out.append(OdSuspicion(
            reason="regimeRemoved",
            message=f"it has no row for régime{'s' if len(gone) > 1 else ''} {listed}, which the active table routes",
        ))
    common = diff.rerouted + diff.unchanged_routing
    if common and diff.rerouted > REROUTED_SHARE * common:
        out.append(OdSuspicion(
            reason="manyRerouted",
            message=f"it routes {diff.rerouted} of the {common} keys both tables have to another OD or "
            f"centre informatique ({diff.rerouted / common:.0%}; more than {REROUTED_SHARE:.0%})",
        ))
    old, new = version_key(active.version), version_key(file.version)
    if old is not None and new is not None and new < old:
        out.append(OdSuspicion(
            reason="olderVersion",
            message=f"its version {file.version} is older than the active {active.version} "
            "(to go back, 'vitale-bridge od rollback')",
        ))
    return out


def describe(diff: OdDiff) -> str:
    """One sentence for an error message: what is wrong with this file."""
    return "; ".join(s.message for s in diff.suspicious)
