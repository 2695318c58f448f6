"""pyzenodo3, unmodified, given the portal's base URL as its base_url argument.

Usage: pyzenodo3_steps.py API_BASE TOKEN STEP [ARGS…]   (API_BASE ends in /api)
  upload FILE        create a deposition and upload FILE as multipart (pyzenodo3.upload.upload)
  search TEXT DOI    search records for TEXT, then find the record by its DOI
"""

import json
import sys
from pathlib import Path

from pyzenodo3 import Zenodo
from pyzenodo3.upload import upload

api_base, token, step, *args = sys.argv[1:]

if step == "upload":
    meta = Path("meta.json")
    meta.write_text("{}")
    upload(meta, Path(args[0]), token, base_url=api_base)
    print(json.dumps({"uploaded": args[0]}))
elif step == "search":
    zenodo = Zenodo(api_key=token, base_url=api_base + "/")
    found = zenodo.search(args[0])
    by_doi = zenodo.find_record_by_doi(args[1])
    record = zenodo.get_record(str(by_doi.data["id"]))
    print(
        json.dumps(
            {
                "search": [r.data["id"] for r in found],
                "by_doi": by_doi.data["id"],
                "title": record.data["metadata"]["title"],
                "files": [f["key"] for f in record.data["files"]],
            }
        )
    )
else:
    raise SystemExit(f"unknown step {step}")
