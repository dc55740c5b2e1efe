#!/usr/bin/env bash
# Developer tool while the project is unreleased: rebuild the single initial migration from the
# models. Run it under a lock so two people never regenerate at once:
#     flock /tmp/bridge-migration.lock scripts/regen_initial_migration.sh
set -euo pipefail
cd "$(dirname "$0")/.."
versions=bridge/migrations/versions
rm -f "$versions"/*.py
python scripts/make_migration.py "initial schema" >/dev/null
generated=$(ls "$versions"/*_initial_schema.py)
sed -i "s/^revision = .*/revision = '0001'/" "$generated"
mv "$generated" "$versions/0001_initial_schema.py"
echo "regenerated $versions/0001_initial_schema.py"
