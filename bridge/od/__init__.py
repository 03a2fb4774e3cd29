"""The TOD table: which Organisme Destinataire receives the claims of a (régime, caisse, centre).

- :mod:`bridge.od.official` reads the GIE SESAM-Vitale's file (both variants, both layouts);
- :mod:`bridge.od.table` holds one immutable table and resolves codes;
- :mod:`bridge.od.store` keeps the user's active table (embedded default, imports, rollback);
- :mod:`bridge.od.search` finds organismes by name, commune, postal code or code prefix;
- :mod:`bridge.od.build_default` builds the embedded default from the shared data.

See docs/od-table.md.
"""

from bridge.od.codes import InvalidOdCodeError, normalize
from bridge.od.models import OrganismeDestinataire
from bridge.od.store import OdStore
from bridge.od.table import OdRow, OdTable

__all__ = ["InvalidOdCodeError", "OdRow", "OdStore", "OdTable", "OrganismeDestinataire", "normalize"]
