"""Tools for AI research deposits: Croissant metadata, dataset/model cards, CITATION.cff, reviewer links.

- ``tabular``: the small reader of the first rows of CSV/TSV, Parquet and JSON-lines files
  (column names and types); ``tasks.profile_record`` runs it in the worker and keeps the result on
  ``models.FileProfile`` (one row per stored byte sequence).
- ``croissant``: Croissant 1.1 JSON-LD of a record (FileObjects, FileSets for archives, RecordSets
  from the profiles), registered as the ``croissant`` export format.
"""
