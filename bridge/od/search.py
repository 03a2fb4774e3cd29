"""Find organismes without a card at hand: by libellé, commune, usual name, postal code or code.

Ranking is a handful of explicit levels rather than a fuzzy metric, so that the order can be
explained to a user and every hit says truthfully what matched (``matchedOn``, and
``usualName`` when a usual name did): a query that *is* the code or the name comes first, then
usual names (MSA, CPAM ...: :mod:`bridge.od.usual_names`), names that start with it, names
containing every word of it, communes, and the régime's name. Comparison ignores accents, case
and punctuation (:func:`bridge.od.text.fold`).

Cost. ``od.search`` is answered inline on the event loop, so its worst case must stay small
whatever the query (up to :data:`MAX_QUERY_LENGTH` characters) and the limit. Nothing here
scans the rows per query word: the index keeps, for every word prefix of each field (and every
1-3 character piece of the libellés, for "contains"), the set of rows as the bits of one
integer. A query is a few dictionary look-ups and ``&``/``|`` of those integers per distinct
word; only the few candidates a level cannot decide from the bits are checked one by one. The
worst query measured (``benchmarks/bench_od.py``) stays well under 2 ms on the embedded table.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING

from bridge.od.codes import WIDTHS
from bridge.od.models import OdSearchHit, OdSearchResult, OrganismeDestinataire
from bridge.od.text import fold
from bridge.od.usual_names import USUAL_NAMES, UsualName

if TYPE_CHECKING:
    from bridge.od.table import OdRow, OdTable

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_QUERY_LENGTH = 100

_CODE_QUERY = re.compile(r"^[0-9]+(?:[ /.\-][0-9]+){0,2}$")
#: The Corsican départements: caisse code (régime's département number 20 + 1 or 2) and the
#: first three digits of their postal codes (CEDEX ones included: 207xx is Ajaccio CEDEX).
CORSICA = {"2a": ("201", ("200", "201", "207")), "2b": ("202", ("202", "203", "204", "205", "206"))}
_GRAMS = 3

#: (score, matchedOn, rows as bits, the usual name, or how to find it for one row)
Level = tuple[int, str, int, "str | Callable[[int], str | None] | None"]


def _bits(indexes: Iterable[int]) -> int:
    """A bit set from row numbers (through bytes: one big-integer operation, not one per row)."""
    indexes = list(indexes)
    if len(indexes) == 1:
        return 1 << indexes[0]
    data = bytearray((max(indexes, default=0) >> 3) + 1)
    for i in indexes:
        data[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(data, "little")


def _positions(bits: int) -> Iterator[int]:
    """The positions of the set bits of *bits*, lowest first (one C-speed ``find`` per bit)."""
    text = bin(bits)[:1:-1]  # bit 0 first
    i = text.find("1")
    while i >= 0:
        yield i
        i = text.find("1", i + 1)


def _check(bits: int, keep: Callable[[int], bool]) -> int:
    """The bits of *bits* whose row passes *keep* (for what the bit sets cannot decide)."""
    if not bits:
        return 0
    chars = bytearray(b"0" * bits.bit_length())
    for i in _positions(bits):
        if keep(i):
            chars[i] = 0x31
    chars.reverse()
    return int(chars, 2)


class SearchIndex:
    """Bit sets of one table's rows, built once per table (about 0.1 s: the store builds it in a
    worker thread, see :meth:`bridge.od.store.OdStore.start`)."""

    def __init__(self, table: OdTable) -> None:
        self.table = table
        rows = sorted(table.rows, key=lambda r: r.key)
        self.rows: tuple[OdRow, ...] = tuple(rows)
        self.keys = [r.regime + r.caisse + r.centre for r in rows]
        self.all = (1 << len(rows)) - 1
        self.libelles = [fold(r.libelle) for r in rows]
        self.communes = [fold(r.commune or "") for r in rows]
        # word prefix -> rows, per field; collected as lists of row numbers, then made bit sets
        lists: dict[str, dict[str, list[int]]] = {f: {} for f in ("lib", "com", "grams", "exact", "postal", "od", "caisse", "regime")}
        for i, row in enumerate(rows):
            lib_words = set(self.libelles[i].split())
            postal = row.code_postal or ""
            keys = {
                "lib": {w[:n] for w in lib_words for n in range(1, len(w) + 1)},
                "grams": {w[s : s + n] for w in lib_words for n in range(1, _GRAMS + 1) for s in range(len(w) - n + 1)},
                "com": {w[:n] for w in self.communes[i].split() for n in range(1, len(w) + 1)},
                "exact": (self.libelles[i],), "od": (row.od,), "caisse": (row.caisse,), "regime": (row.regime,),
                "postal": [postal[:n] for n in range(2, 6)] if postal.isdigit() and len(postal) == 5 else (),
            }
            for field, values in keys.items():
                target = lists[field]
                for key in values:
                    target.setdefault(key, []).append(i)
        bitsets = {f: {k: _bits(v) for k, v in d.items()} for f, d in lists.items()}
        self.p_lib, self.p_com, self.grams = bitsets["lib"], bitsets["com"], bitsets["grams"]
        self.exact_libelle, self.postal = bitsets["exact"], bitsets["postal"]
        self.od, self.caisse = bitsets["od"], bitsets["caisse"]
        by_regime = bitsets["regime"]
        self.p_reg: dict[str, int] = {}
        self.p_usual: dict[str, int] = {}
        self.regime_names = {c: fold(table.regime_name(c) or "") for c in by_regime}
        for code, bits in by_regime.items():
            for word in set(self.regime_names[code].split()):
                for n in range(1, len(word) + 1):
                    self.p_reg[word[:n]] = self.p_reg.get(word[:n], 0) | bits
        # usual names: the rows each stands for, and its folded names (phrases of words)
        self.usual: list[tuple[UsualName, int]] = []
        self.phrases: list[tuple[tuple[str, ...], int]] = []
        self.usual_prefixes: list[set[str]] = []
        for usual in USUAL_NAMES:
            bits = 0
            for code, name in self.regime_names.items():
                if any(p in name for p in usual.regime_phrases):
                    bits |= by_regime[code]
            for phrase in usual.libelle_phrases:
                bits |= _bits(i for i, lib in enumerate(self.libelles) if f" {phrase} " in f" {lib} ")
            for regime, prefix in usual.caisses:
                bits |= _bits(i for i, r in enumerate(rows) if r.regime == regime and r.caisse.startswith(prefix))
            self.usual.append((usual, bits))
            self.usual_prefixes.append({w[:n] for name in usual.folded for w in name.split() for n in range(1, len(w) + 1)})
            for name in usual.folded:
                self.phrases.append((tuple(name.split()), len(self.usual) - 1))
                for word in name.split():
                    for n in range(1, len(word) + 1):
                        self.p_usual[word[:n]] = self.p_usual.get(word[:n], 0) | bits
        self.phrases.sort(key=lambda p: -len(p[0]))  # longest first: "regime local alsace moselle"
        self._answers: dict[int, OrganismeDestinataire] = {}

    # --- the query -----------------------------------------------------------------------------

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> OdSearchResult:
        limit = max(1, min(int(limit), MAX_LIMIT))
        query = query[:MAX_QUERY_LENGTH]
        stripped = query.strip()
        folded = fold(query)
        if not folded:
            levels: list[Level] = []
        elif _CODE_QUERY.match(stripped):
            levels = self._code_levels(stripped)
        else:
            levels = self._text_levels(folded)
        return self._result(query, sorted(levels, key=lambda level: -level[0]), limit)

    def _result(self, query: str, levels: list[Level], limit: int) -> OdSearchResult:
        """Each row once, at its best level; ties in key order (the rows are sorted by key)."""
        taken = total = 0
        hits: list[OdSearchHit] = []
        for score, on, bits, usual in levels:
            bits &= ~taken
            if not bits:
                continue
            taken |= bits
            total += bits.bit_count()
            for i in islice(_positions(bits), limit - len(hits)):
                label = usual(i) if callable(usual) else usual
                hits.append(OdSearchHit(organisme=self._answer(i), score=score, matched_on=on, usual_name=label))
        return OdSearchResult(query=query, table_version=self.table.version, total=total, results=hits)

    def _answer(self, i: int) -> OrganismeDestinataire:
        """The row as a search result: ``matched`` is null (a search finds rows, it resolves nothing)."""
        model = self._answers.get(i)
        if model is None:
            model = self._answers[i] = self.table.answer(self.rows[i], None)
        return model

    def _postal_prefixes(self, prefixes: tuple[str, ...]) -> int:
        bits = 0
        for p in prefixes:
            bits |= self.postal.get(p, 0)
        return bits

    def _code_levels(self, query: str) -> list[Level]:
        """Digits: a (régime, caisse, centre) prefix, an OD code, a caisse or a postal code."""
        parts = re.split(r"[ /.\-]", query)
        widths = list(WIDTHS.values())
        if len(parts) > 1 and any(len(p) > w for p, w in zip(parts, widths, strict=False)):
            return []
        # Every part but the last is complete, so pad it; the last may be a prefix. With all
        # three parts, the padded last one is also the whole centre (99 751 601 = 997510601).
        prefix = "".join(p.zfill(w) for p, w in zip(parts[:-1], widths, strict=False)) + parts[-1]
        whole = "".join(p.zfill(w) for p, w in zip(parts, widths, strict=False)) if len(parts) == 3 else prefix
        levels: list[Level] = [
            (100, "code", self._key_range(whole, exact=True) | self._key_range(prefix, exact=True), None),
            (90 - max(0, 9 - len(prefix)), "code", self._key_range(prefix), None),
        ]
        if len(parts) == 1:
            if len(query) == 5:
                levels.append((85, "codePostal", self.postal.get(query, 0), None))
            if len(query) == 3:
                levels += [(80, "od", self.od.get(query, 0), None), (70, "code", self.caisse.get(query, 0), None)]
            if 2 <= len(query) <= 4:
                levels.append((50, "codePostal", self.postal.get(query, 0), None))
        return levels

    def _key_range(self, prefix: str, *, exact: bool = False) -> int:
        """The rows whose 9-digit key starts with (or, *exact*, is) *prefix*: one slice of the sorted keys."""
        lo = bisect_left(self.keys, prefix)
        hi = lo
        if exact:
            hi = lo + (lo < len(self.keys) and self.keys[lo] == prefix)
        else:
            hi = bisect_left(self.keys, prefix + "\x7f", lo)
        return ((1 << hi) - 1) ^ ((1 << lo) - 1)

    def _text_levels(self, folded: str) -> list[Level]:
        tokens = list(dict.fromkeys(folded.split()))  # each distinct word once, in order
        within = self.all
        postal = caisse = 0
        corsican = [t for t in tokens if t in CORSICA]
        if corsican:  # "2a", or "mgen 2a": 2A restricts what the other words find
            for t in corsican:
                tokens.remove(t)
                postal |= self._postal_prefixes(CORSICA[t][1])
                caisse |= self.caisse.get(CORSICA[t][0], 0)
            within = postal | caisse
            if not tokens:
                return [(85, "codePostal", postal, None), (70, "code", caisse, None)]
        lib = com = anyf = usualf = within
        for t in tokens:
            pl, pc, pr = self.p_lib.get(t, 0), self.p_com.get(t, 0), self.p_reg.get(t, 0)
            lib &= pl
            com &= pc
            anyf &= pl | pc | pr
            usualf &= pl | pc | pr | self.p_usual.get(t, 0)
        return [
            (100, "libelle", self.exact_libelle.get(folded, 0) & within, None),
            *self._usual_levels(tokens, within),
            (90, "libelle", _check(lib, lambda i: self.libelles[i].startswith(folded)), None),
            (75, "libelle", lib, None),
            (70, "commune", _check(com, lambda i: self.communes[i].startswith(folded)), None),
            (65, "commune", com, None),
            (55, "libelle", self._contains(tokens, within), None),
            (50, "libelle", self._all_words(tokens, (self.p_lib, self.p_com)) & within, None),
            (40, "regimeLibelle", anyf, None),
            (35, "usualName", usualf, lambda i: self._usual_of(i, tokens)),
        ]

    def _usual_levels(self, tokens: list[str], within: int) -> list[Level]:
        """Usual names written out in the query ("msa", "msa ajaccio", "banque de france")."""
        rest = list(tokens)
        found: list[int] = []
        present = set(rest)
        for words, u in self.phrases:  # longest first; most are skipped on their first word
            if words[0] not in present:
                continue
            n = len(words)
            for start in range(len(rest) - n + 1):
                if tuple(rest[start : start + n]) == words:
                    found.append(u)
                    del rest[start : start + n]
                    present = set(rest)
                    break
        if not found:
            return []
        bits = within
        for u in found:
            bits &= self.usual[u][1]
        label = " + ".join(self.usual[u][0].label for u in found)
        if not rest:
            return [(95, "usualName", bits, label)]
        return [(60, "usualName", bits & self._all_words(rest, (self.p_lib, self.p_com, self.p_reg)), label)]

    def _usual_of(self, i: int, tokens: list[str]) -> str | None:
        """The usual names of row *i* that words of the query start (level 35)."""
        bit = 1 << i
        labels = [
            usual.label for (usual, bits), prefixes in zip(self.usual, self.usual_prefixes, strict=False)
            if bits & bit and any(t in prefixes for t in tokens)
        ]
        return " + ".join(labels) or None

    def _all_words(self, tokens: list[str], fields: tuple[dict[str, int], ...]) -> int:
        bits = self.all
        for t in tokens:
            any_field = 0
            for field in fields:
                any_field |= field.get(t, 0)
            bits &= any_field
        return bits

    def _contains(self, tokens: list[str], within: int) -> int:
        """Rows whose libellé contains every token (anywhere in a word)."""
        bits = within
        long_tokens = []
        for t in tokens:
            if len(t) <= _GRAMS:
                bits &= self.grams.get(t, 0)
            else:
                long_tokens.append(t)
                for start in range(len(t) - _GRAMS + 1):
                    bits &= self.grams.get(t[start : start + _GRAMS], 0)
            if not bits:
                return 0
        # "mutu" adds nothing to "mutuelle": keep only the tokens no other token contains
        long_tokens = [t for t in long_tokens if not any(t != u and t in u for u in long_tokens)]
        for t in long_tokens:  # the pieces are there; check that they are in this order
            bits = _check(bits, lambda i, t=t: t in self.libelles[i])  # type: ignore[misc]
        return bits
