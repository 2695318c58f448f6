from django.apps import AppConfig


class OaipmhConfig(AppConfig):
    name = "oaipmh"
