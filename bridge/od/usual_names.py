"""The names clerks type for régimes and organisations, which the TOD itself rarely spells.

The TOD names régime 02 "REGIME AGRICOLE" and its caisses by town ("AJACCIO"); a clerk types
"MSA". Each :class:`UsualName` says what people type (``names``) and which rows it stands for,
found from the table's own data so that it follows an imported table:

- ``regime_phrases``: the régimes whose (folded) name contains one of these phrases; a table
  that renames a régime but keeps its meaning still matches, and a usual name whose régime is
  absent from the table finds nothing rather than something else;
- ``libelle_phrases``: rows whose libellé holds one of these phrases as whole words (LMDE's
  sections, or CAMIEG, which the embedded table lists as a section locale 99/939);
- ``caisses``: (régime, caisse code prefix) pairs, for organisations that are caisses, not
  régimes: CAMIEG is caisse 928 of régime 01 (SNDS nomenclature IR_CAI_V); the régime local
  d'Alsace-Moselle is run by the CPAM and MSA caisses of départements 57, 67 and 68, whose
  caisse codes start with the département's number.

The list is documented in docs/od-table.md ("Usual names"); a test checks that the page names
every entry and that each régime phrase finds a régime of the embedded table.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.od.text import fold


@dataclass(frozen=True)
class UsualName:
    label: str
    names: tuple[str, ...]
    regime_phrases: tuple[str, ...] = ()
    libelle_phrases: tuple[str, ...] = ()
    caisses: tuple[tuple[str, str], ...] = ()

    @property
    def folded(self) -> tuple[str, ...]:
        return tuple(fold(n) for n in (self.label, *self.names))


_LOCAL = tuple((regime, dept) for regime in ("01", "02") for dept in ("57", "67", "68"))

USUAL_NAMES: tuple[UsualName, ...] = (
    UsualName("CPAM", ("caisse primaire d'assurance maladie", "caisse primaire", "CGSS", "CNAM",
                       "assurance maladie", "régime général"), regime_phrases=("regime general",)),
    UsualName("MSA", ("mutualité sociale agricole", "régime agricole"), regime_phrases=("agricole",)),
    UsualName("SSI", ("RSI", "sécurité sociale des indépendants", "indépendants", "AMPI"),
              regime_phrases=("independant",)),
    UsualName("SNCF", ("CPRP SNCF", "cheminots"), regime_phrases=("sncf",)),
    UsualName("RATP", (), regime_phrases=("ratp",)),
    UsualName("ENIM", ("marins", "invalides de la marine"), regime_phrases=("enim", "invalides de la marine")),
    UsualName("CANSSM", ("Filieris", "mines", "mineurs", "régime minier"), regime_phrases=("mineurs",)),
    UsualName("CNMSS", ("militaires", "caisse nationale militaire de sécurité sociale"),
              regime_phrases=("militaire",)),
    UsualName("Banque de France", ("BDF",), regime_phrases=("banque de france",),
              libelle_phrases=("banque de france",)),
    UsualName("CRPCEN", ("notaires", "clercs de notaires"), regime_phrases=("notaire",)),
    UsualName("CCI Paris", ("chambre de commerce",), regime_phrases=("chambre de commerce",)),
    UsualName("CFE", ("caisse des Français de l'étranger", "expatriés"), regime_phrases=("etranger",)),
    UsualName("CAVIMAC", ("cultes",), regime_phrases=("cultes",)),
    UsualName("MGEN", ("mutuelle générale de l'éducation nationale",), regime_phrases=("education nationale",)),
    UsualName("MG", ("La Mutuelle Générale", "mutuelle générale"), regime_phrases=("ex ptt",)),
    UsualName("MGP", ("mutuelle générale de la police", "police"), regime_phrases=("police",)),
    UsualName("MFP", ("mutualité fonction publique", "mutuelles des fonctionnaires", "SLI"),
              regime_phrases=("fonctionnaires",)),
    UsualName("MNH", ("mutuelle nationale des hospitaliers", "hospitaliers"), regime_phrases=("hospitaliers",)),
    UsualName("MNAM", ("mutuelle nationale de l'aviation et de la marine", "mutuelle de la marine"),
              regime_phrases=("aviation et de la marine", "mutuelle de la marine")),
    UsualName("SLM", ("section locale mutualiste", "sections locales mutualistes", "autres mutuelles"),
              regime_phrases=("autres mutuelles",)),
    UsualName("LMDE", ("La Mutuelle des Étudiants",), libelle_phrases=("lmde",)),
    UsualName("CAMIEG", ("industries électriques et gazières", "IEG"), libelle_phrases=("camieg",),
              caisses=(("01", "928"),)),
    UsualName("régime local Alsace-Moselle", ("régime local", "Alsace-Moselle", "régime local d'Alsace-Moselle"),
              caisses=_LOCAL),
)
