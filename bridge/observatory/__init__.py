"""The observatory's forum side (issue 11, issue 19 point 3), above the sync engine: each
record's similar-projects section (`sections`), the index and overview pages planned
(`pages`) and written through the forum-object kernel (`step`), and their state (`store`:
forum_page, the similar choice's cache, the pages' drift). The ranking it shows is
bridge.discovery's (pure)."""
