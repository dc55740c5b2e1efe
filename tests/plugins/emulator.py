"""Fixtures for the emulator tests (registered in tests/conftest.py)."""
