"""What a notification says, in the current language: one line for the inbox, subject and body for e-mail."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from curation.models import Event, RequestKind


def _context(notification) -> dict:
    req = notification.request
    actor = notification.actor
    return {
        "actor": actor.display_name if actor else _("The repository"),
        "title": req.record.title if req else "",
        "community": req.community.title if req else "",
    }


def summary(notification) -> str:
    """One sentence saying what happened."""
    c = _context(notification)
    req = notification.request
    invitation = req is not None and req.kind == RequestKind.INVITATION
    event = notification.event
    if event == Event.SUBMITTED:
        return _("%(actor)s asks to include “%(title)s” in %(community)s.") % c
    if event == Event.INVITED:
        return _("%(actor)s invites your record “%(title)s” to %(community)s.") % c
    if event == Event.COMMENTED:
        return _("%(actor)s wrote about “%(title)s” in %(community)s.") % c
    if event == Event.ACCEPTED:
        if invitation:
            return _("%(actor)s accepted the invitation: “%(title)s” is now in %(community)s.") % c
        return _("“%(title)s” was accepted into %(community)s by %(actor)s.") % c
    if event == Event.DECLINED:
        if invitation:
            return _("%(actor)s declined the invitation of “%(title)s” to %(community)s.") % c
        return _("“%(title)s” was declined by %(community)s.") % c
    if event == Event.CANCELLED:
        if invitation:
            return _("%(community)s withdrew its invitation of “%(title)s”.") % c
        return _("%(actor)s cancelled the request to include “%(title)s” in %(community)s.") % c
    if event == Event.EXPIRED:
        return _("The request to include “%(title)s” in %(community)s expired without a decision.") % c
    if event == Event.REMOVED:
        return _("“%(title)s” was removed from %(community)s.") % c
    return _("Something happened to “%(title)s” in %(community)s.") % c


def detail_label(notification) -> str:
    if not notification.detail:
        return ""
    if notification.event == Event.COMMENTED:
        return _("Message")
    if notification.event == Event.EXPIRED:
        return ""
    if notification.event in (Event.SUBMITTED, Event.INVITED):
        return _("Message")
    return _("Reason")


def subject(notification) -> str:
    c = _context(notification)
    subjects = {
        Event.SUBMITTED: _("New inclusion request for %(community)s"),
        Event.INVITED: _("Invitation to %(community)s"),
        Event.COMMENTED: _("New comment on “%(title)s”"),
        Event.ACCEPTED: _("Accepted into %(community)s: “%(title)s”"),
        Event.DECLINED: _("Declined by %(community)s: “%(title)s”"),
        Event.CANCELLED: _("Request cancelled: “%(title)s”"),
        Event.EXPIRED: _("Request expired: “%(title)s”"),
        Event.REMOVED: _("Removed from %(community)s: “%(title)s”"),
    }
    text = subjects.get(notification.event, _("Curation: “%(title)s”")) % c
    return " ".join(text.split())[:200]


def body(notification) -> str:
    req = notification.request
    return render_to_string(
        "curation/email/notification.txt",
        {
            "user": notification.user,
            "summary": summary(notification),
            "detail_label": detail_label(notification),
            "detail": notification.detail if detail_label(notification) else "",
            "expired_days": notification.detail if notification.event == Event.EXPIRED else "",
            "url": settings.SITE_URL + req.get_absolute_url() if req else settings.SITE_URL,
            "profile_url": settings.SITE_URL + reverse("accounts:profile"),
            "SITE_NAME": settings.SITE_NAME,
        },
    )
