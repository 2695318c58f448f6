"""ListMetadataFormats (spec 4.4)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from oaipmh import envelope
from oaipmh.envelope import text
from oaipmh.formats import FORMATS
from oaipmh.models import RenderedPayload
from oaipmh.services import record_id_from, visible_records
from oaipmh.verbs import OAIError
from records.exports.registry import NOT_DISSEMINATED
from records.models import RecordState


def list_metadata_formats(request) -> list[str]:
    identifier = request.args.get("identifier")
    withheld: set[str] = set()
    if identifier is not None:
        record_id = record_id_from(identifier)
        row = (
            visible_records().filter(pk=record_id).values("state", "datestamp").first() if record_id else None
        )
        state = row["state"] if row else None
        if row is not None:
            # the formats the record lacks required fields for (an empty payload for its datestamp)
            empty = RenderedPayload.objects.filter(xml=NOT_DISSEMINATED)
            withheld = set(
                empty.filter(Q(record_id=record_id) & Q(datestamp=row["datestamp"])).values_list(
                    "prefix", flat=True
                )
            )
        if state is None:
            raise OAIError("idDoesNotExist", _("No record has this identifier."))
        if state != RecordState.PUBLISHED:
            # A withdrawn record is a deleted header in every format: no metadata is disseminated.
            raise OAIError(
                "noMetadataFormats", _("This record has been withdrawn: no metadata formats are available.")
            )
    body = "".join(
        f"<metadataFormat><metadataPrefix>{text(f.prefix)}</metadataPrefix><schema>{text(f.schema)}</schema>"
        f"<metadataNamespace>{text(f.namespace)}</metadataNamespace></metadataFormat>"
        for f in FORMATS.values()
        if f.prefix not in withheld
    )
    return [
        envelope.head(request.base_url, request.echo())
        + f"<ListMetadataFormats>{body}</ListMetadataFormats>"
        + envelope.TAIL
    ]
