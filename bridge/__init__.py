"""vitale-bridge: lets web EHRs read the carte Vitale and the CPS through a local host.

The package is layered so that each concept has one home:

- ``bridge.rpc``: the JSON-RPC 2.0 core (no sockets, no stdio);
- ``bridge.api``: the methods the bridge offers, one module per domain;
- ``bridge.od``: the TOD table (Organismes Destinataires);
- ``bridge.cards``: card access (the only place that knows APDUs);
- ``bridge.transport``: WebSocket and Native Messaging front ends, which only frame bytes;
- ``bridge.cli``: the ``vitale-bridge`` command.
"""

__version__ = "0.1.0"

#: Version of the JSON-RPC API (methods, models, error codes). A client whose major
#: differs cannot talk to this host; minors only add.
PROTOCOL_VERSION = "2.0"

__all__ = ["PROTOCOL_VERSION", "__version__"]
