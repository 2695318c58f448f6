from django.apps import AppConfig


class RepositoryConfig(AppConfig):
    name = "repository"
    verbose_name = "Repository"

    def ready(self):
        # The embedded broker is a folder: any process may enqueue (web, seed_demo, worker), and kombu
        # does not create the folders itself.
        from repository.celery import ensure_broker_folders

        ensure_broker_folders()
