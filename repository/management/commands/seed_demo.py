"""Idempotent demo data: users, the Stockholm AI community, and (with --records) published records."""

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from communities.models import Community, MemberRole
from communities.services import create_community, set_member
from oaipmh.tasks import render_stale
from repository.demo import seed_records

FIXTURE = Path(__file__).resolve().parents[3] / "communities" / "fixtures" / "stockholm-ai.json"

DEMO_USERS = [
    # username, full name, staff, affiliation
    ("admin", "Ada Admin", True, "Stockholm AI"),
    ("curator", "Karin Kurator", False, "KTH Royal Institute of Technology"),
    ("depositor", "Erik Depositor", False, "Stockholm University"),
]


class Command(BaseCommand):
    help = "Create the demo users (admin, curator, depositor), the stockholm-ai community and demo records."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=0, help="published demo records to have in total")
        parser.add_argument("--files-per-record", type=int, default=1)

    def handle(self, *args, records: int, files_per_record: int, **options):
        users = self.seed_users()
        community = self.seed_community(users)
        if records:
            seed_records(self, community, users, records, files_per_record)
            # OAI-PMH pulls: its payloads of the new records are rendered by the worker, as beat would
            render_stale.delay()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: users admin, curator, depositor (password {settings.DEMO_PASSWORD!r}); "
                f"community /communities/{community.slug}/"
            )
        )

    @transaction.atomic
    def seed_users(self) -> dict[str, User]:
        users = {}
        for username, full_name, staff, affiliation in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@example.org",
                    "full_name": full_name,
                    "is_staff": staff,
                    "is_superuser": staff,
                    "affiliations": [{"name": affiliation}],
                },
            )
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.save(update_fields=["password"])
            users[username] = user
        return users

    @transaction.atomic
    def seed_community(self, users: dict[str, User]) -> Community:
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        community = Community.objects.filter(slug=data["slug"]).first()
        if community is None:
            community = create_community(
                users["admin"],
                slug=data["slug"],
                title=data["title"],
                description=data["description"],
                curation_policy=data["curation_policy"],
                page_content=data.get("page_content", ""),
            )
            created = timezone.make_aware(dt.datetime.fromisoformat(data["created"]), dt.UTC)
            Community.objects.filter(pk=community.pk).update(created=created)
            community.refresh_from_db()
        if not community.memberships.filter(user=users["admin"]).exists():
            set_member(users["admin"], community, users["admin"], MemberRole.OWNER)
        if not community.memberships.filter(user=users["curator"]).exists():
            set_member(users["admin"], community, users["curator"], MemberRole.CURATOR)
        return community
