"""The TOD table: which Organisme Destinataire receives the claims of a (régime, caisse, centre).

- :mod:`bridge.od.files` gets a file's bytes safely (regular files, size limit, encodings);
- :mod:`bridge.od.official` reads the GIE SESAM-Vitale's file (both variants, both layouts);
- :mod:`bridge.od.table` holds one immutable table and resolves codes;
- :mod:`bridge.od.diff` compares a file with the active table (``od diff``, the import guard);
- :mod:`bridge.od.store` keeps the user's active table (embedded default, imports, rollback),
  in the files of :mod:`bridge.od.folder`;
- :mod:`bridge.od.update` takes the newest file from IT's folder or URL (``od update``);
- :mod:`bridge.od.search` finds organismes by name, commune, usual name
  (:mod:`bridge.od.usual_names`), postal code or code;
- :mod:`bridge.od.build_default` builds the embedded default from the shared data.

See docs/od-table.md.
"""

from bridge.od.codes import InvalidOdCodeError, normalize
from bridge.od.models import OrganismeDestinataire
from bridge.od.store import OdStore
from bridge.od.table import OdRow, OdTable

__all__ = ["InvalidOdCodeError", "OdRow", "OdStore", "OdTable", "OrganismeDestinataire", "normalize"]
