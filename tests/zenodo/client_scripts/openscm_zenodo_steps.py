"""openscm-zenodo, unmodified, pointed at the portal through ZenodoInteractor's zenodo_domain.

Usage: openscm_zenodo_steps.py SERVER_URL TOKEN newversion ANY_DEPOSITION_ID VERSION FILE…
  a new version from any deposition of the series: metadata version VERSION, the files uploaded,
  published; prints the new deposition id, its reserved DOI and the retrieved metadata.
"""

import json
import sys
from pathlib import Path

from openscm_zenodo.zenodo import ZenodoInteractor, create_new_version, get_reserved_doi

server, token, step, any_id, version, *files = sys.argv[1:]
interactor = ZenodoInteractor(token=token, zenodo_domain=server)

if step == "newversion":
    current = interactor.get_deposition(any_id).json()["metadata"]
    current["version"] = version
    new_id = create_new_version(
        any_deposition_id=any_id,
        zenodo_interactor=interactor,
        metadata={"metadata": current},
        publish=True,
        files_to_upload=[Path(f) for f in files],
        n_threads=1,
    )
    deposition = interactor.get_deposition(new_id)
    print(
        json.dumps(
            {
                "id": new_id,
                "reserved_doi": get_reserved_doi(deposition),
                "concept": interactor.get_concept_id(new_id),
                "state": deposition.json()["state"],
            }
        )
    )
else:
    raise SystemExit(f"unknown step {step}")
