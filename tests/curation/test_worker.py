"""Curation e-mails are sent by a real Celery worker process, in the recipient's language."""

import email
from email.header import decode_header, make_header

import pytest
from django.core import mail

from curation import services

pytestmark = pytest.mark.worker


def messages(mail_dir):
    found = []
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_bytes().split(b"-" * 79):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.strip()))
    return found


def test_decision_mail_is_sent_by_the_worker_in_swedish(
    make_record, swedish_depositor, curator, community, celery_worker
):
    record = make_record(swedish_depositor)
    req = services.request_inclusion(swedish_depositor, record, community)
    services.decline(curator, req, "Ingen författare i Stockholm.")
    assert celery_worker.wait_until(lambda: len(messages(celery_worker.mail_dir)) >= 2, timeout=60), (
        "worker sent nothing"
    )
    assert mail.outbox == []  # the web process sent nothing itself
    sent = {m["To"]: m for m in messages(celery_worker.mail_dir)}
    to_owner = sent[swedish_depositor.email]
    subject = str(make_header(decode_header(to_owner["Subject"])))
    assert subject == f"Avböjd av {community.title}: ”{record.title}”"
    body = to_owner.get_payload(decode=True).decode(to_owner.get_content_charset())
    assert "Hej Sven Svensson," in body and "Ingen författare i Stockholm." in body
    to_curator = sent[curator.email]
    assert str(make_header(decode_header(to_curator["Subject"]))).startswith("New inclusion request for")
