"""Fixtures for the sync tests (registered in tests/conftest.py)."""
