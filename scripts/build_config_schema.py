"""Write bridge/config_schema.json: the configuration's known keys, from the `Settings` model.

    python scripts/build_config_schema.py          # after a change to bridge/settings.py

The read commands (`projects list`, `show`, `export`, `status`) check the operator's file against
this shipped copy without loading pydantic (issue 15's start-up budget); tests/test_config_schema.py
fails while the copy and the model differ.
"""

from __future__ import annotations

import json

from bridge.config_keys import schema_of
from bridge.config_schema import SHIPPED
from bridge.settings import Settings


def main() -> None:
    SHIPPED.write_text(json.dumps(schema_of(Settings), indent=1, sort_keys=True) + "\n")
    print(f"wrote {SHIPPED}")


if __name__ == "__main__":
    main()
