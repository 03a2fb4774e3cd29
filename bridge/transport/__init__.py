"""Front ends that carry JSON-RPC messages between clients and :class:`bridge.app.Bridge`.

They frame bytes and establish who the peer is; they never interpret a request.
"""
