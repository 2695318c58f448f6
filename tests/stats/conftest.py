import pytest


@pytest.fixture(autouse=True)
def _fresh_salt():
    """The day's salt is kept per process; a test's database rolls its row back, so start afresh."""
    from stats import services

    services._salt_of_day.clear()
    yield
    services._salt_of_day.clear()
