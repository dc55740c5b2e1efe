"""`digicanvis doctor`: the configuration, the database and the live forum checked (issue 26)."""
