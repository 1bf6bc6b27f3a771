from django.core.management.base import BaseCommand, CommandError

from articles.models import Article
from articles.previews import DEFAULT_DAYS, MAX_DAYS
from articles.services import preview_link_create, preview_links_revoke
from core.links import absolute_url


class Command(BaseCommand):
    help = "Print a preview link for an article (a draft or scheduled piece, no login needed), or revoke its links."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the article's slug")
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"how long the link works (1-{MAX_DAYS}, default {DEFAULT_DAYS})",
        )
        parser.add_argument("--revoke", action="store_true", help="revoke every preview link of the article instead")

    def handle(self, *args, slug: str, days: int, revoke: bool, **options):
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            raise CommandError(f"No article has the slug {slug!r}.")
        if revoke:
            count = preview_links_revoke(article=article)
            self.stdout.write(f"Revoked {count} preview link{'s' if count != 1 else ''} of “{article}”.")
            return
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be from 1 to {MAX_DAYS}.")
        link = preview_link_create(article=article, days=days)
        if article.is_live:
            self.stderr.write(f"“{article}” is published: the link leads to its public page.")
        self.stdout.write(absolute_url(link.get_absolute_url()))
        self.stderr.write(f"Works until {link.expires_at:%Y-%m-%d %H:%M} UTC; revoke with --revoke.")
