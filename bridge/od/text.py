"""How the TOD's French text is compared: without accents, case or punctuation.

Headers of real files spell ``libellé`` as ``LIBELLE``, ``Libellé`` or ``libelle``; a user
searching "securite" expects "SÉCURITÉ". One folding rule serves both.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s_\-'’/,;:()\"]+")


def fold(text: str) -> str:
    """Lower case, accents removed, dots dropped (S.N.C.F = SNCF), other punctuation as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace(".", ""))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", bare.casefold()).strip()
