import os
import sys

import django
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repository.settings")


def _refuse_to_start_without_static_files() -> None:
    """Production without ``collectstatic`` would answer every page with a 500: stop instead, in one line."""
    django.setup(set_prefix=False)
    from repository.services import static_files_problem

    problem = static_files_problem()
    if problem:
        sys.exit(f"configuration error: {problem}")


_refuse_to_start_without_static_files()
application = get_wsgi_application()
