"""The demo EHR: a patient-intake page that reads the carte Vitale through the public SDK only.

It doubles as the integration example of docs/sdk.md. :mod:`bridge.demo.server` serves it on
the loopback interface (``vitale-bridge demo``).
"""
