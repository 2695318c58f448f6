from django.apps import AppConfig


class ZenodoConfig(AppConfig):
    name = "zenodo"
