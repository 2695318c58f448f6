"""Stateless resumption tokens: the whole harvest state, signed with SECRET_KEY.

A token carries the query (verb, metadataPrefix, from, until, set), the harvest's start time, the
keyset position of the last item returned — ``(datestamp, id)`` for records, the setSpec for
ListSets — the cursor, the completeListSize estimate and an expiry. Nothing is stored on the
server, there is no OFFSET and no cursor held open: a token can be replayed (same page when nothing
changed) and any server process can answer it. Tampered, truncated or expired tokens are refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

SALT = "oaipmh.resumption-token.v1"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class BadToken(Exception):
    pass


@dataclass(frozen=True)
class Resumption:
    verb: str
    prefix: str | None
    from_: dt.datetime | None
    until: dt.datetime | None
    set_spec: str | None
    started: dt.datetime
    after: tuple  # (datestamp, id) for records, (set_spec,) for ListSets
    cursor: int
    total: int
    expires: dt.datetime
    lead: int = 0  # the set stream that filled the last page most (oaipmh.verbs.records._fetch)


def _micros(value: dt.datetime | None) -> int | None:
    return None if value is None else (value - EPOCH) // dt.timedelta(microseconds=1)


def _from_micros(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if type(value) is not int:
        raise BadToken("not a timestamp")
    return EPOCH + dt.timedelta(microseconds=value)


def _required_from_micros(value: object) -> dt.datetime:
    moment = _from_micros(value)
    if moment is None:  # every token is issued with its start and expiry
        raise BadToken("missing timestamp")
    return moment


def expiry(now: dt.datetime | None = None) -> dt.datetime:
    now = now or dt.datetime.now(dt.UTC)
    return now.replace(microsecond=0) + dt.timedelta(hours=settings.OAI_TOKEN_TTL_HOURS)


def issue(state: Resumption) -> str:
    after = state.after
    if state.verb != "ListSets":
        after = (_micros(after[0]), after[1])
    payload = {
        "v": state.verb,
        "p": state.prefix,
        "f": _micros(state.from_),
        "u": _micros(state.until),
        "s": state.set_spec,
        "t": _micros(state.started),
        "a": list(after),
        "c": state.cursor,
        "n": state.total,
        "x": _micros(state.expires),
        "l": state.lead,
    }
    return signing.Signer(salt=SALT).sign_object(payload, compress=True)


def read(token: str, now: dt.datetime | None = None) -> Resumption:
    """The state inside ``token``; BadToken if it is not one of ours, altered, malformed or expired."""
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as exc:
        raise BadToken("not a valid resumption token") from exc
    try:
        verb = payload["v"]
        after = payload["a"]
        position: tuple[Any, ...]
        if verb == "ListSets":
            if not (isinstance(after, list) and len(after) == 1 and isinstance(after[0], str)):
                raise BadToken("bad position")
            position = (after[0],)
        else:
            if not (isinstance(after, list) and len(after) == 2 and type(after[1]) is int):
                raise BadToken("bad position")
            position = (_from_micros(after[0]), after[1])
        state = Resumption(
            verb=verb,
            prefix=payload["p"],
            from_=_from_micros(payload["f"]),
            until=_from_micros(payload["u"]),
            set_spec=payload["s"],
            started=_required_from_micros(payload["t"]),
            after=position,
            cursor=int(payload["c"]),
            total=int(payload["n"]),
            expires=_required_from_micros(payload["x"]),
            lead=int(payload.get("l", 0)),
        )
    except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
        raise BadToken("malformed resumption token") from exc
    if state.expires <= (now or dt.datetime.now(dt.UTC)):
        raise BadToken("the resumption token has expired")
    return state
