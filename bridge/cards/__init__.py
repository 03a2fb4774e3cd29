"""Card access: readers and events, card identification, the Vitale and CPS applications.

Only :mod:`bridge.cards.drivers.pcsc` imports pyscard, and only :mod:`bridge.cards.pkcs11`
imports the PKCS#11 binding (the CPS holder's certificate, :mod:`bridge.cards.cps_identity`).
Everything above the connection interface works the same on real readers, the virtual bench
and the in-process simulator.
"""
