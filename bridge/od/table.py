"""One TOD table in memory: immutable, indexed for resolution, swapped whole by the store.

Resolution is two dictionary look-ups at most: the exact (régime, caisse, centre) row, then the
caisse's centre ``0000`` row. Nothing else is inferred: the public table is the only routing
knowledge the bridge has (the full rules of the régimes are licensed documents), so a code
absent from both look-ups is "not found", never a guess.

The answer models are frozen, so each one is built once per key and then reused: after the
first call, resolving a known key costs one ``dict.get`` on a tuple.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from bridge.errors import OdNotFoundError
from bridge.od.codes import WILDCARD_CENTRE, normalize
from bridge.od.models import OdRegime, OdSource, OrganismeDestinataire

if TYPE_CHECKING:
    from bridge.od.search import SearchIndex

#: Results kept per table for keys that only match through the wildcard (bounded: a client
#: sending random centres must not grow memory without limit).
MAX_CACHED_WILDCARD_KEYS = 65_536

Key = tuple[str, str, str]


class OdRow(NamedTuple):
    """One data row of the TOD, codes already normalised to their full width.

    A named tuple: immutable, and cheap to build (a 2,000-row file is read in a few ms).
    """

    regime: str
    caisse: str
    centre: str
    libelle: str
    od: str
    code_centre_informatique: str
    regime_name: str | None = None
    adresse1: str | None = None
    adresse2: str | None = None
    commune: str | None = None
    code_postal: str | None = None
    cedex: str | None = None
    telephone: str | None = None
    fax: str | None = None
    #: Line of the source file (imported tables), for error reports; not on the wire.
    line: int | None = None

    @property
    def key(self) -> Key:
        return (self.regime, self.caisse, self.centre)


ROW_FIELDS: tuple[str, ...] = OdRow._fields
#: The fields only the historic 14-column layout fills.
ADDRESS_FIELDS: tuple[str, ...] = ROW_FIELDS[ROW_FIELDS.index("adresse1") : ROW_FIELDS.index("line")]


class DuplicateKeyError(ValueError):
    def __init__(self, first: OdRow, second: OdRow) -> None:
        self.first, self.second = first, second
        super().__init__(f"duplicate key {'/'.join(first.key)}")


class OdTable:
    """An immutable TOD: rows, version, provenance, and the indexes built from them."""

    __slots__ = (
        "_cache",
        "_rows_by_key",
        "_search_index",
        "_wildcard_cached",
        "_wildcard_models",
        "_wildcards",
        "loaded_at",
        "regime_names",
        "rows",
        "source",
        "version",
        "warnings",
    )

    def __init__(
        self,
        rows: Iterable[OdRow],
        *,
        version: str,
        source: OdSource,
        regime_names: Mapping[str, str] | None = None,
        warnings: Iterable[str] = (),
    ) -> None:
        self.rows: tuple[OdRow, ...] = tuple(rows)
        self.version = version
        self.source = source
        self.regime_names: dict[str, str] = dict(regime_names or {})
        self.warnings: tuple[str, ...] = tuple(warnings)
        self.loaded_at = dt.datetime.now(dt.UTC)
        by_key: dict[Key, OdRow] = {}
        for row in self.rows:
            seen = by_key.get(row.key)
            if seen is not None:
                raise DuplicateKeyError(seen, row)
            by_key[row.key] = row
        self._rows_by_key = by_key
        self._wildcards: dict[tuple[str, str], OdRow] = {
            (r.regime, r.caisse): r for r in self.rows if r.centre == WILDCARD_CENTRE
        }
        self._cache: dict[Key, OrganismeDestinataire] = {}
        self._wildcard_models: dict[tuple[str, str], OrganismeDestinataire] = {}
        self._wildcard_cached = 0
        self._search_index: SearchIndex | None = None

    # --- resolution ----------------------------------------------------------------------------

    def resolve(self, regime: str, caisse: str, centre: str) -> OrganismeDestinataire:
        """The OD of (régime, caisse, centre): exact row, else the caisse's centre 0000 row.

        Raises :class:`~bridge.od.codes.InvalidOdCodeError` (a ValueError) for a code that is
        not digits of the right width, :class:`~bridge.errors.OdNotFoundError` when neither row
        exists.
        """
        hit = self._cache.get((regime, caisse, centre))
        if hit is not None:
            return hit
        return self._resolve_slow(regime, caisse, centre)

    def _resolve_slow(self, regime: object, caisse: object, centre: object) -> OrganismeDestinataire:
        key = (normalize("regime", regime), normalize("caisse", caisse), normalize("centre", centre))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        row = self._rows_by_key.get(key)
        if row is not None:
            return self.exact(row)
        row = self._wildcards.get(key[:2])
        if row is None:
            raise OdNotFoundError(
                f"No organisme destinataire is listed for these codes in TOD {self.version} (no "
                "exact row and no centre 0000 row for this caisse). Check the codes, or import the "
                "current table with 'vitale-bridge od import FILE'.",
                regime=key[0],
                caisse=key[1],
                centre=key[2],
                tableVersion=self.version,
            )
        model = self._wildcard_models.get(key[:2])
        if model is None:
            model = self._wildcard_models[key[:2]] = self.answer(row, "centreWildcard")
        if self._wildcard_cached < MAX_CACHED_WILDCARD_KEYS:
            self._cache[key] = model
            self._wildcard_cached += 1
        return model

    def answer(self, row: OdRow, matched: str | None) -> OrganismeDestinataire:
        """The wire model for *row* (built once per row and rule).

        Every field of the row but ``line`` is a field of the answer under the same name but
        one (the row's ``regime_name`` is the answer's ``regime_libelle``, the wire's word for a
        code's label), so the answer is the row itself plus what the table adds: a régime name
        the row lacks, the version and the rule that matched.
        """
        fields = row._asdict()
        del fields["line"]
        fields["regime_libelle"] = fields.pop("regime_name") or self.regime_names.get(row.regime)
        return OrganismeDestinataire(**fields, table_version=self.version, matched=matched)

    def exact(self, row: OdRow) -> OrganismeDestinataire:
        """The ``exact`` answer for one of this table's rows (resolution of a key it lists)."""
        model = self._cache.get(row.key)
        if model is None:
            model = self._cache[row.key] = self.answer(row, "exact")
        return model

    # --- facts ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def wildcard_count(self) -> int:
        return len(self._wildcards)

    @property
    def has_addresses(self) -> bool:
        return any(getattr(r, f) for r in self.rows for f in ADDRESS_FIELDS)

    def regimes(self) -> list[OdRegime]:
        """Every régime the table routes, plus the named régimes it has no row for (count 0)."""
        counts = Counter(r.regime for r in self.rows)
        codes = sorted(set(counts) | set(self.regime_names))
        return [
            OdRegime(code=c, libelle=self.regime_name(c), row_count=counts.get(c, 0)) for c in codes
        ]

    def regime_name(self, code: str) -> str | None:
        """The régime's name: the table's list of names, else the first row that names it."""
        name = self.regime_names.get(code)
        if name:
            return name
        return next((r.regime_name for r in self.rows if r.regime == code and r.regime_name), None)

    def search_index(self) -> SearchIndex:
        """Built on first use only, so that loading stays fast; once, even from two threads
        (the store builds it in a worker thread while a search may arrive)."""
        if self._search_index is None:
            with _INDEX_LOCK:
                if self._search_index is None:
                    from bridge.od.search import SearchIndex

                    index = SearchIndex(self)
                    index.search("0", 1)  # and the answer models' validators, built on first use
                    self._search_index = index
        return self._search_index


_INDEX_LOCK = threading.Lock()
