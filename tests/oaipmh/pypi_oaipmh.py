"""Import the PyPI ``oaipmh`` client (4.x, the maintained pyoai fork), whose name is also our app's.

The project root is on ``sys.path``, so ``import oaipmh`` finds the Django app. This loads the
installed distribution under its own name for a moment (its modules import each other absolutely
as ``oaipmh.*``), keeps the module objects, and puts the app's modules back. Call it at import time
of a test module, before any server thread could import ``oaipmh.*`` lazily.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from importlib.metadata import distribution
from pathlib import Path
from types import SimpleNamespace


def _ours(name: str) -> bool:
    return name == "oaipmh" or name.startswith("oaipmh.")


def load() -> SimpleNamespace:
    package_dir = Path(distribution("oaipmh").locate_file("oaipmh"))
    assert (package_dir / "client.py").is_file(), f"the PyPI oaipmh package is not installed at {package_dir}"
    import oaipmh.formats
    import oaipmh.verbs.identify
    import oaipmh.verbs.metadata_formats
    import oaipmh.verbs.records
    import oaipmh.verbs.sets  # noqa: F401

    app_modules = {name: sys.modules.pop(name) for name in list(sys.modules) if _ours(name)}
    try:
        spec = importlib.util.spec_from_file_location(
            "oaipmh", package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules["oaipmh"] = package
        spec.loader.exec_module(package)
        loaded = SimpleNamespace(
            client=importlib.import_module("oaipmh.client"),
            metadata=importlib.import_module("oaipmh.metadata"),
            error=importlib.import_module("oaipmh.error"),
        )
    finally:
        for name in [name for name in sys.modules if _ours(name)]:
            del sys.modules[name]
        sys.modules.update(app_modules)
    assert loaded.client.__file__.startswith(str(package_dir))
    return loaded
