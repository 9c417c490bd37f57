"""Dispatch fixtures live in tests/conftest.py so that browser tests can use them too."""
