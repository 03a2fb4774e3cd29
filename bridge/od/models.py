"""Wire models of the OD table: what ``od.*`` methods return and ``od.tableChanged`` carries.

:class:`OrganismeDestinataire` is also what other parts of the bridge embed (``vitale.read``
resolves the card's codes with it), so its field names are part of the public API.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from bridge.wire import WireModel

Matched = Literal["exact", "centreWildcard"]
SourceKind = Literal["embedded", "imported"]


class OrganismeDestinataire(WireModel):
    """The organisme that receives the claims (FSE) of a (régime, caisse, centre).

    ``regime``, ``caisse`` and ``centre`` are those of the table row that matched: with
    ``matched == "centreWildcard"`` the row is the caisse's ``0000`` row, so ``centre`` is
    ``"0000"`` whatever centre was asked for.
    """

    od: str = Field(description="Organisme destinataire, 3 digits.", examples=["752"])
    code_centre_informatique: str = Field(description="3 digits.", examples=["044"])
    libelle: str = Field(examples=["LMDE Paris"])
    regime: str = Field(description="Code régime, 2 digits.", examples=["99"])
    regime_libelle: str | None = Field(default=None, examples=["AUTRES MUTUELLES"])
    caisse: str = Field(description="Caisse gestionnaire, 3 digits.", examples=["751"])
    centre: str = Field(description="Centre gestionnaire of the matching row, 4 digits.", examples=["0601"])
    adresse1: str | None = None
    adresse2: str | None = None
    commune: str | None = None
    code_postal: str | None = None
    cedex: str | None = None
    telephone: str | None = None
    fax: str | None = None
    table_version: str = Field(description="Version of the TOD that answered.", examples=["3.37"])
    matched: Matched | None = Field(
        description="'exact': the row of this very centre; 'centreWildcard': the caisse's "
        "centre 0000 row, used because no row names this centre. Null in `od.search` results: "
        "a search finds rows and resolves nothing (the hit's `matchedOn` says what matched)."
    )


class OdSource(WireModel):
    """Where the active table comes from."""

    kind: SourceKind
    file_name: str | None = Field(default=None, description="Name of the imported or embedded file.")
    sha256: str | None = Field(default=None, description="Of the file as read (imported) or built (embedded).")
    origin: str | None = Field(
        default=None,
        description="Where the imported file was taken from: the path given to `od import`, or the "
        "folder or URL of `od update` with the file's name. Null for the embedded table.",
    )
    description: str = ""
    imported_at: dt.datetime | None = None


class OdInfo(WireModel):
    """Result of ``od.info``."""

    version: str = Field(examples=["3.37"])
    source: OdSource
    row_count: int = Field(description="Data rows (the version pseudo-row is not counted).")
    wildcard_count: int = Field(description="Rows whose centre is 0000.")
    regime_count: int
    has_addresses: bool
    loaded_at: dt.datetime
    age_days: int | None = Field(
        default=None,
        description="Whole days since the active table was imported; null for the embedded table, "
        "whose publication date its source does not record (see `notice`).",
    )
    can_rollback: bool
    previous_version: str | None = Field(default=None, description="Version 'od rollback' would restore.")
    notice: str | None = Field(
        default=None, description="What the user should know, e.g. that the embedded table is old."
    )
    warnings: list[str] = Field(default_factory=list, description="Reported when the table was read.")


class OdRegime(WireModel):
    code: str = Field(examples=["01"])
    libelle: str | None = Field(default=None, examples=["REGIME GENERAL"])
    row_count: int = Field(description="Rows of the active table in this régime.")


class OdRegimes(WireModel):
    """Result of ``od.regimes``."""

    table_version: str
    regimes: list[OdRegime]


class OdSearchHit(WireModel):
    organisme: OrganismeDestinataire
    score: int = Field(description="Higher is better; only the order is meaningful.")
    matched_on: Literal["code", "od", "libelle", "commune", "codePostal", "regimeLibelle", "usualName"] = Field(
        description="What matched the query: the row's code (key or caisse), OD, libellé, commune, postal "
        "code, régime name, or a usual name of its régime or organisation (see `usualName`)."
    )
    usual_name: str | None = Field(
        default=None,
        description="With matchedOn 'usualName': which one (e.g. 'MSA', 'régime local Alsace-Moselle').",
        examples=["MSA"],
    )


class OdSearchResult(WireModel):
    """Result of ``od.search``."""

    query: str
    table_version: str
    total: int = Field(description="Matches before the limit was applied.")
    results: list[OdSearchHit]


class OdTableChanged(WireModel):
    """Params of the ``od.tableChanged`` notification."""

    version: str
    previous_version: str | None = None
    source: SourceKind
    row_count: int
    reason: Literal["import", "rollback", "external"] = Field(
        description="'external': another process (the CLI) changed the table."
    )


# --- comparing a file with the active table (od diff, the import guard) ----------------------

#: Changed rows listed by name in a comparison (the counts are always complete).
MAX_DIFF_EXAMPLES = 20

Reason = Literal["manyRemoved", "regimeRemoved", "manyRerouted", "olderVersion"]


class OdTableSummary(WireModel):
    version: str = Field(examples=["3.70"])
    row_count: int
    regime_count: int
    source: str = Field(description="'embedded', or the name of the imported file.")
    sha256: str | None = None


class OdRegimeDiff(WireModel):
    regime: str = Field(examples=["02"])
    regime_libelle: str | None = None
    active_rows: int
    file_rows: int
    added: int
    removed: int
    rerouted: int


class OdRowChange(WireModel):
    change: Literal["added", "removed", "rerouted"]
    regime: str
    caisse: str
    centre: str
    libelle: str
    od: str | None = Field(description="In the active table (null: the row is added).")
    code_centre_informatique: str | None
    new_od: str | None = Field(description="In the file (null: the row is removed).")
    new_code_centre_informatique: str | None


class OdSuspicion(WireModel):
    reason: Reason
    message: str


class OdDiff(WireModel):
    """Result of ``od diff``; ``data`` of ``OD_IMPORT_SUSPICIOUS``."""

    active: OdTableSummary
    file: OdTableSummary
    added: int = Field(description="Keys in the file only.")
    removed: int = Field(description="Keys in the active table only.")
    rerouted: int = Field(description="Keys in both, with another OD or code centre informatique.")
    unchanged_routing: int = Field(description="Keys in both with the same routing.")
    regimes: list[OdRegimeDiff] = Field(description="Every régime of either table, by code.")
    changes: list[OdRowChange] = Field(description=f"At most {MAX_DIFF_EXAMPLES}: removed, then re-routed, then added.")
    more_changes: int = Field(description="Changes not listed in `changes`.")
    suspicious: list[OdSuspicion] = Field(description="Why `od import` refuses this file without --force (empty: it imports).")


class OdImportReport(WireModel):
    """What ``od import`` did (CLI ``--json`` output)."""

    version: str
    row_count: int
    wildcard_count: int
    layout: Literal["sixColumn", "fourteenColumn", "other"]
    encoding: str
    quoted: bool
    header: bool
    previous_version: str | None
    sha256: str
    stored_as: str
    forced: bool = Field(description="The guard found the file suspicious and --force imported it anyway.")
    comparison: OdDiff = Field(description="What the import changed (as `od diff` shows it).")
    warnings: list[str] = Field(default_factory=list)
