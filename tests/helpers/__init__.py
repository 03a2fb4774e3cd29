"""Helpers shared by the test modules and the benchmarks (never fixtures: those stay in conftest
files). Test modules import from here, never from a conftest file or from another test module."""
