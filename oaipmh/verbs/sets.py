"""ListSets (spec 4.6): OpenAIRE's type sets (``openaire``, ``openaire_data``) on the first page,
then one set per community, ``user-<slug>``, paged by setSpec."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _

from communities.models import Community
from oaipmh import envelope, tokens
from oaipmh.envelope import text
from oaipmh.services import TYPE_SETS, public_communities, set_spec
from oaipmh.verbs import OAIError
from records.exports.base import clean_text, html_to_text


def _dc_description(community: Community) -> str:
    return envelope.oai_dc(
        [
            ("title", clean_text(community.title)),
            ("description", html_to_text(community.description or "")),
            ("identifier", f"{settings.SITE_URL}{community.get_absolute_url()}"),
        ]
    )


def _type_set(spec: str) -> str:
    name, description, _types = TYPE_SETS[spec]
    dc = envelope.oai_dc([("title", str(name)), ("description", str(description))])
    return (
        f"<set><setSpec>{text(spec)}</setSpec><setName>{text(str(name))}</setName>"
        f"<setDescription>{dc}</setDescription></set>"
    )


def list_sets(request) -> list[str]:
    page_size = settings.OAI_PAGE_SIZE
    now = dt.datetime.now(dt.UTC)
    communities = public_communities().order_by("slug")
    token = request.args.get("resumptionToken")
    if token:
        try:
            state = tokens.read(token, now)
        except tokens.BadToken as exc:
            raise OAIError(
                "badResumptionToken", _("This resumption token is invalid or has expired.")
            ) from exc
        if state.verb != "ListSets":
            raise OAIError("badResumptionToken", _("This resumption token belongs to another verb."))
        slug = state.after[0]
        page = list(communities.filter(slug__gt=slug).only("slug", "title", "description")[: page_size + 1])
        cursor, total = state.cursor, state.total
        if not page:  # the sets after the position are gone (noRecordsMatch is no ListSets error)
            raise OAIError("badResumptionToken", _("No sets remain after this resumption token's position."))
        body = []
    else:
        # the type sets always exist, so there is always a set hierarchy
        page = list(communities.only("slug", "title", "description")[: page_size + 1])
        count = len(page) if len(page) <= page_size else communities.count()
        cursor, total = 0, len(TYPE_SETS) + count
        body = [_type_set(spec) for spec in TYPE_SETS]
    more = len(page) > page_size
    page = page[:page_size]
    body += [
        f"<set><setSpec>{text(set_spec(c.slug))}</setSpec><setName>{text(c.title)}</setName>"
        f"<setDescription>{_dc_description(c)}</setDescription></set>"
        for c in page
    ]
    returned = len(body)  # this page's sets (the first page adds the type sets)
    resumption = ""
    if more:
        total = max(total, cursor + returned + 1)
        expires = tokens.expiry(now)
        next_token = tokens.issue(
            tokens.Resumption(
                "ListSets", None, None, None, None, now, (page[-1].slug,), cursor + returned, total, expires
            )
        )
        resumption = envelope.resumption_token(next_token, cursor, total, expires)
    elif token:
        resumption = envelope.resumption_token("", cursor, cursor + returned, None)
    return [
        envelope.head(request.base_url, request.echo())
        + "<ListSets>"
        + "".join(body)
        + resumption
        + "</ListSets>"
        + envelope.TAIL
    ]
