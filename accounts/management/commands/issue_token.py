from django.core.management.base import BaseCommand, CommandError

from accounts.models import TokenScope, User
from accounts.services import TokenError, create_token


class Command(BaseCommand):
    help = "Create a personal access token for USERNAME and print it alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scopes",
            default=",".join(TokenScope.values),
            help=f"comma-separated, from: {', '.join(TokenScope.values)} (default: all)",
        )
        parser.add_argument("--name", default="issued from the command line")

    def handle(self, *args, username, scopes, name, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}")
        try:
            token, key = create_token(user, name, [s.strip() for s in scopes.split(",") if s.strip()])
        except TokenError as exc:
            raise CommandError(str(exc))
        self.stderr.write(f"token {token.hint}… for {user.username} with scopes {', '.join(token.scopes)}")
        self.stdout.write(key)
