"""`manage.py token create|revoke|list`: personal API tokens from scripts that set up.

`create` prints the token once, on its last line (only its hash is stored). Audited as made by
"cli".
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jobs.api import tokens
from jobs.lib.terminal import safe


class Command(BaseCommand):
    help = "Personal API tokens: create (prints the token on its last line), revoke, list."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token; prints it once, on the last line.")
        create.add_argument("username")
        create.add_argument("name")
        create.add_argument(
            "--read-only",
            action="store_true",
            help="Only reads (without it: read-write, which matters once the API changes jobs).",
        )
        create.add_argument("--days", type=int, default=tokens.DEFAULT_DAYS)
        revoke = sub.add_parser("revoke", help="Revoke the person's live token of that name.")
        revoke.add_argument("username")
        revoke.add_argument("name")
        listing = sub.add_parser("list", help="A person's tokens (never the secrets).")
        listing.add_argument("username")

    def handle(self, *args, action, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {safe(options['username'])!s}.")
        getattr(self, f"_{action}")(user, **options)

    def _create(self, user, *, name, read_only, days, **options):
        try:
            token, secret = tokens.create(user, name, read_only=read_only, days=days, via="cli")
        except tokens.TokenProblem as problem:
            raise CommandError(str(problem)) from None
        access = "read-only" if token.read_only else "read-write"
        self.stderr.write(
            f"Token “{safe(token.name)}” for {safe(user.username)}, {access}, expires "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC. Shown once:"
        )
        self.stdout.write(secret)

    def _revoke(self, user, *, name, **options):
        token = tokens.own(user).filter(name=name, revoked_at=None).first()
        if token is None:
            raise CommandError(f"{safe(user.username)} has no live token named “{safe(name)}”.")
        tokens.revoke(token, via="cli")
        self.stdout.write(f"Revoked “{safe(name)}” of {safe(user.username)}.")

    def _list(self, user, **options):
        self.stdout.write("name\tprefix\taccess\texpires\tlast_used\tstate")
        for token in tokens.own(user):
            state = "revoked" if token.revoked_at else "expired" if token.is_expired else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            access = "read-only" if token.read_only else "read-write"
            self.stdout.write(
                f"{safe(token.name)}\t{token.prefix}…\t{access}\t"
                f"{token.expires_at:%Y-%m-%d %H:%M}\t{used}\t{state}"
            )
