"""Card access: readers and events, card identification, the Vitale and CPS applications.

Only :mod:`bridge.cards.drivers.pcsc` imports pyscard. Everything above the connection
interface works the same on real readers, the virtual bench and the in-process simulator.
"""
