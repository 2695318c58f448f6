from django.apps import AppConfig


class AitoolsConfig(AppConfig):
    name = "aitools"
    verbose_name = "AI research tools"

    def ready(self) -> None:
        # The export formats this app adds register themselves with records' registry on import.
        from aitools import exports  # noqa: F401
