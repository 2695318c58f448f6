"""Tools for AI research deposits: Croissant metadata, dataset/model cards, CITATION.cff, reviewer links.

- ``croissant``: Croissant 1.1 JSON-LD of a record (FileObjects, FileSets for archives, RecordSets
  from the columns the previews keep), registered as the ``croissant`` export format.
"""
