"""zenodo-client, unmodified, pointed at the portal through its base-URL attributes.

Usage: zenodo_client_steps.py BASE_URL TOKEN STEP [ARGS…]
  create FILE…                      create a deposition with the files and publish it
  update DEPOSITION_ID FILE…        new version with the files (zenodo-client's update) and publish
  download RECORD_ID NAME           download_latest; prints the path and the MD5 of the bytes
"""

import hashlib
import json
import sys

from zenodo_client import Zenodo

base, token, step, *args = sys.argv[1:]
zenodo = Zenodo(access_token=token)
zenodo.base = base
zenodo.api_base = base + "/api"
zenodo.depositions_base = zenodo.api_base + "/deposit/depositions"

if step == "create":
    data = {
        "metadata": {
            "title": "Glacier mass balance, Storglaciären",
            "upload_type": "dataset",
            "description": "Annual mass balance measurements.",
            "creators": [{"name": "Holmlund, Per", "affiliation": "Stockholm University"}],
            "license": "CC-BY-4.0",
            "version": "v1",
            "keywords": ["glaciology"],
        }
    }
    response = zenodo.create(data, args)
    print(json.dumps(response.json()))
elif step == "update":
    response = zenodo.update(args[0], args[1:])
    print(json.dumps(response.json()))
elif step == "download":
    path = zenodo.download_latest(args[0], args[1], force=True)
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    print(json.dumps({"path": str(path), "md5": digest}))
else:
    raise SystemExit(f"unknown step {step}")
