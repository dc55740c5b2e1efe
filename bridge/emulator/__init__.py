"""A local Discourse-compatible server (issue 3): `start_emulator(...)` for tests and
`digicanvis emulator` for people. See docs/emulator-fidelity.md for what it emulates and why."""

from bridge.emulator.server import EmulatorConfig, RunningEmulator, make_server, start_emulator

__all__ = ["EmulatorConfig", "RunningEmulator", "make_server", "start_emulator"]
