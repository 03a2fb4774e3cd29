"""Find organismes without a card at hand: by libellé, commune, postal code or code prefix.

Ranking is a handful of explicit scores rather than a fuzzy metric, so that the order can be
explained to a user: a query that *is* the code or the name comes first, then names that start
with it, then names containing every word of it, then communes, then the régime's name.
Comparison ignores accents, case and punctuation (:func:`bridge.od.text.fold`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.od.codes import WIDTHS
from bridge.od.models import OdSearchHit, OdSearchResult
from bridge.od.table import OdRow
from bridge.od.text import fold

if TYPE_CHECKING:
    from bridge.od.table import OdTable

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 100

_CODE_QUERY = re.compile(r"^[0-9]+(?:[ /.\-][0-9]+){0,2}$")


@dataclass(frozen=True, slots=True)
class _Entry:
    row: OdRow
    key: str  # régime + caisse + centre, 9 digits
    libelle: str
    libelle_words: tuple[str, ...]
    commune: str
    commune_words: tuple[str, ...]
    regime_words: tuple[str, ...]
    #: Every folded text of the row in one string: a token missing from it cannot match any
    #: rule below, so most rows are ruled out by one substring test (keeps a search ~10x
    #: cheaper, and the event loop free, under load).
    haystack: str


def _words_start(tokens: list[str], words: tuple[str, ...]) -> bool:
    return all(any(w.startswith(t) for w in words) for t in tokens)


class SearchIndex:
    """Folded text of every row of one table, built once on the first search."""

    def __init__(self, table: OdTable) -> None:
        self.table = table
        entries = []
        for row in table.rows:
            libelle = fold(row.libelle)
            commune = fold(row.commune or "")
            regime_name = fold(row.regime_name or table.regime_names.get(row.regime, ""))
            entries.append(
                _Entry(
                    row=row,
                    key=row.regime + row.caisse + row.centre,
                    libelle=libelle,
                    libelle_words=tuple(libelle.split()),
                    commune=commune,
                    commune_words=tuple(commune.split()),
                    regime_words=tuple(regime_name.split()),
                    haystack=f"{libelle} {commune} {regime_name}",
                )
            )
        self.entries = tuple(entries)

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> OdSearchResult:
        limit = max(1, min(int(limit), MAX_LIMIT))
        query = query[:MAX_QUERY_LENGTH]
        folded = fold(query)
        scored: list[tuple[int, str, _Entry]] = []
        if folded:
            matcher = self._code_matcher(query.strip()) if _CODE_QUERY.match(query.strip()) else None
            tokens = folded.split()
            for entry in self.entries:
                hit = matcher(entry) if matcher else self._text_score(folded, tokens, entry)
                if hit is not None:
                    scored.append((hit[0], hit[1], entry))
        scored.sort(key=lambda s: (-s[0], s[2].key))
        table = self.table
        return OdSearchResult(
            query=query,
            table_version=table.version,
            total=len(scored),
            results=[
                OdSearchHit(organisme=table.exact(e.row), score=score, matched_on=on)  # type: ignore[arg-type]
                for score, on, e in scored[:limit]
            ],
        )

    @staticmethod
    def _code_matcher(query: str):  # type: ignore[no-untyped-def]
        """Digits: a (régime, caisse, centre) prefix, an OD code, a caisse or a postal code."""
        parts = re.split(r"[ /.\-]", query)
        if len(parts) > 1:
            widths = list(WIDTHS.values())[: len(parts)]
            if any(len(p) > w for p, w in zip(parts, widths)):
                return lambda entry: None
            # Every part but the last is complete, so pad it; the last may be a prefix. With all
            # three parts, the padded last one is also tried as the whole centre (601 = 0601).
            prefix = "".join(p.zfill(w) for p, w in zip(parts[:-1], widths)) + parts[-1]
            whole = "".join(p.zfill(w) for p, w in zip(parts, widths)) if len(parts) == 3 else prefix
        else:
            prefix = whole = query
        digits = query if len(parts) == 1 else None

        def match(entry: _Entry) -> tuple[int, str] | None:
            row = entry.row
            if entry.key == prefix or entry.key == whole:
                return 100, "code"
            if digits is not None:
                if len(digits) == 5 and row.code_postal == digits:
                    return 85, "code_postal"
                if len(digits) == 3 and row.od == digits:
                    return 80, "od"
                if len(digits) == 3 and row.caisse == digits:
                    return 70, "code"
            if entry.key.startswith(prefix):
                return 90 - min(len(entry.key) - len(prefix), 9), "code"
            if digits is not None and len(digits) >= 2 and (row.code_postal or "").startswith(digits):
                return 50, "code_postal"
            return None

        return match

    @staticmethod
    def _text_score(folded: str, tokens: list[str], entry: _Entry) -> tuple[int, str] | None:
        hay = entry.haystack
        if not all(t in hay for t in tokens):
            return None
        if entry.libelle == folded:
            return 100, "libelle"
        if entry.libelle.startswith(folded):
            return 90, "libelle"
        if _words_start(tokens, entry.libelle_words):
            return 75, "libelle"
        if entry.commune and entry.commune.startswith(folded):
            return 70, "commune"
        if _words_start(tokens, entry.commune_words):
            return 65, "commune"
        if all(t in entry.libelle for t in tokens):
            return 55, "libelle"
        if _words_start(tokens, entry.libelle_words + entry.commune_words):
            return 50, "libelle"
        if _words_start(tokens, entry.regime_words + entry.libelle_words + entry.commune_words):
            return 40, "regime_name"
        return None
