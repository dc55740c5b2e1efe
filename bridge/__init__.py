"""DigiCanvis bridge: a catalogue of local digital-transformation projects paired with a Discourse
forum."""

__version__ = "0.1.0"
