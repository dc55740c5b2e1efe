"""Fixtures for the catalogue tests (registered in tests/conftest.py)."""
