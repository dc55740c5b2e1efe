"""Harvesting other observatories' open data as catalogue records, with provenance (issue 23)."""
