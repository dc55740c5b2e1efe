"""The public catalogue as open data (issue 13): a Frictionless Data Package and a DCAT-AP
description, written atomically into a directory by `digicanvis opendata DIR`.

`config` (the `[opendata]` TOML section), `dictionary` (every column, described once), `tables`
(what is public, as rows and CSV), `package` (datapackage.json), `dcat` (catalog.jsonld), `store`
(its one SQL read), `writer` (the atomic directory swap), `publish` (all of it together).
"""
