"""tests/drivers/demo_driver is a separate package with its own tests: it runs them itself
(tests/cards/test_driver_plugin.py installs it and runs them), so this suite does not collect them."""

collect_ignore = ["demo_driver"]
