from tests.records.conftest import draft, published, valid_metadata  # noqa: F401  (shared fixtures)
