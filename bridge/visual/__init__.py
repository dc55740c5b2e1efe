"""Maps and charts of the observatory (issue 24), drawn with matplotlib's Agg backend.

- `boundaries.py`: the shipped, simplified boundaries (ICGC comarques, Eurostat GISCO NUTS 0);
- `figures.py`: what a picture shows, from `projects list --json` records (pure);
- `draw.py`: matplotlib drawing and deterministic PNG/SVG bytes;
- `pictures.py`: the pictures of the forum's overview and index topics, with their alt text.
"""
