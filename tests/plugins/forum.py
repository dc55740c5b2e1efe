"""Fixtures for the forum tests (registered in tests/conftest.py)."""
