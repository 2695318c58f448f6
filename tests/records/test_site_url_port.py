"""``make run PORT=8123`` without SITE_URL: every absolute URL the portal writes names port 8123 —
OAI-PMH (baseURL, identifiers' links) and the exports (self links, landing pages, files)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, re, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from accounts.models import User
from records import services
from storage import services as storage
user = User.objects.create_user("port-user", password="x")
meta = json.loads(%r)
record = services.create_draft(user, meta)
storage.store_bytes(record.bucket, "data.csv", b"a,b\n1,2\n", user)
record = services.publish(record, user, declaration_accepted=True)
client = Client()
pages = {
    "identify": "/oai2d?verb=Identify",
    "oai_dc": "/oai2d?verb=ListRecords&metadataPrefix=oai_dc",
    "datacite": "/oai2d?verb=ListRecords&metadataPrefix=oai_datacite",
    "export_jsonld": f"/records/{record.pk}/export/jsonld",
    "export_datacite": f"/records/{record.pk}/export/datacite",
}
out = {"site_url": settings.SITE_URL}
for name, url in pages.items():
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    out[name] = [response.status_code, body.decode()]
print(json.dumps(out))
"""


def test_port_8123_names_port_8123_in_every_absolute_url(tmp_path, valid_metadata):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "SITE_URL")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "repository.settings",
            "VAR_DIR": str(tmp_path),
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "CELERY_BROKER_URL": "memory://",
            "PORT": "8123",
            "HOST": "127.0.0.1",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT % json.dumps(valid_metadata)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result.pop("site_url") == "http://127.0.0.1:8123"
    for name, (status, body) in result.items():
        assert status == 200, (name, body[:500])
        local = re.findall(r"https?://(?:127\.0\.0\.1|localhost)[^\s\"'<>]*", body)
        assert local, name  # each names the portal at least once
        assert all(url.startswith("http://127.0.0.1:8123/") for url in local), (name, local)
