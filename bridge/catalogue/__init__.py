"""The catalogue: validation, storage, import and export of project records."""
