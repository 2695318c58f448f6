from django.db import models
from django.utils import timezone


class RenderedPayload(models.Model):
    """One record's metadata in one OAI-PMH format, serialised once and streamed by every response.

    ``datestamp`` is the record's datestamp this rendering was made from: a payload whose datestamp
    differs from the record's is stale (the record changed after it was rendered) and is never
    served; the endpoint renders it again on demand (see ``oaipmh.services.payloads_for``).
    """

    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="oai_payloads")
    prefix = models.CharField(max_length=32)
    xml = models.TextField()
    datestamp = models.DateTimeField()
    rendered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "prefix"], name="one_payload_per_format")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.prefix}"


class SweepMark(models.Model):
    """Where the last sweep for stale payloads started (``oaipmh.services.stale_record_ids``)."""

    name = models.CharField(max_length=32, unique=True)
    started = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.started:%Y-%m-%d %H:%M:%S}"
