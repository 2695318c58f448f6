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
        parser.add_argument(
            "--expires-days",
            default="",
            help="days until the token expires, or 'never' (default: TOKEN_DEFAULT_EXPIRY_DAYS)",
        )

    def handle(self, *args, username, scopes, name, expires_days, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user named {username!r}")
        if expires_days in ("", None):
            days: int | None = -1
        elif expires_days == "never":
            days = None
        elif str(expires_days).isdigit():
            days = int(expires_days)
        else:
            raise CommandError(f"--expires-days={expires_days!r}: give a number of days or 'never'")
        try:
            token, key = create_token(
                user, name, [s.strip() for s in scopes.split(",") if s.strip()], expires_in_days=days
            )
        except TokenError as exc:
            raise CommandError(str(exc))
        self.stderr.write(f"token {token.hint}… for {user.username} with scopes {', '.join(token.scopes)}")
        self.stdout.write(key)
