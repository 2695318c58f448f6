"""Failures an operator must act on are logged at WARNING or above."""

import logging
from unittest import mock

import pytest
from celery.exceptions import Retry

from mail.tasks import send_email
from repository.celery import app


@app.task(name="tests.operator_logs.broken")
def broken() -> None:
    raise ValueError("the disk is on fire")


def test_a_failed_task_is_logged_with_name_id_and_exception(caplog):
    caplog.set_level(logging.WARNING)
    result = broken.apply(throw=False)
    [record] = [r for r in caplog.records if r.name == "repository.celery"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "tests.operator_logs.broken" in message
    assert result.id in message
    assert "ValueError: the disk is on fire" in message


def test_a_mail_send_to_retry_is_logged_at_warning(caplog):
    caplog.set_level(logging.WARNING)
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")),
        pytest.raises(Retry),
    ):
        send_email.apply(args=[["someone@example.org"], "Subject", "Body"])
    [record] = [r for r in caplog.records if r.name == "mail.tasks"]
    assert record.levelno == logging.WARNING
    assert "SMTP down" in record.getMessage()
    assert "someone@example.org" not in record.getMessage()
