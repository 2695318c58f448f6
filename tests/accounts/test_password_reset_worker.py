"""The e-mail is sent by a real Celery worker process, not by the web process."""

import pytest
from django.core import mail

pytestmark = pytest.mark.worker


def test_password_reset_mail_is_sent_by_the_worker(client, depositor, celery_worker):
    response = client.post("/accounts/password_reset/", {"email": depositor.email})
    assert response.status_code == 302
    assert celery_worker.wait_until(lambda: any(celery_worker.mail_dir.iterdir()), timeout=60), (
        "worker sent nothing"
    )
    assert mail.outbox == []  # the web process sent nothing itself
    sent = "".join(path.read_text() for path in celery_worker.mail_dir.iterdir())
    assert f"To: {depositor.email}" in sent
    assert "/accounts/reset/" in sent
