from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class CommunityQuerySet(models.QuerySet):
    def curated_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            memberships__user=user, memberships__role__in=[MemberRole.OWNER, MemberRole.CURATOR]
        ).distinct()

    def visible_to(self, user):
        """Public communities, plus restricted ones the user belongs to (staff see all)."""
        if user.is_authenticated and user.is_staff:
            return self
        if not user.is_authenticated:
            return self.filter(visibility=Visibility.PUBLIC)
        return self.filter(
            models.Q(visibility=Visibility.PUBLIC) | models.Q(memberships__user=user)
        ).distinct()


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: listed, and anyone can see the page")
    RESTRICTED = "restricted", _("Restricted: only members and staff see the page")


DEFAULT_SIZE_LIMIT = 50 * 10**9  # the seed policy's "Total files size limit per record is 50GB"


class Community(models.Model):
    slug = models.SlugField(_("identifier"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    curation_policy = models.TextField(_("curation policy"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    logo = models.ImageField(_("logo"), upload_to="communities/logos/", blank=True)
    website = models.URLField(_("website"), blank=True)
    # Rich text (HTML), always stored sanitised (communities.services.sanitize_page_content).
    page_content = models.TextField(_("page content"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    size_limit_bytes = models.BigIntegerField(
        _("size limit per record (bytes)"), null=True, blank=True, default=DEFAULT_SIZE_LIMIT
    )
    # Per-community configuration of the automated policy checks: {rule key: {"enabled": bool, …params}}.
    # Missing keys take the rule's defaults (curation/rules/).
    check_rules = models.JSONField(_("policy check rules"), default=dict, blank=True)

    objects = CommunityQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("communities:detail", args=[self.slug])

    def is_visible_to(self, user) -> bool:
        if self.visibility == Visibility.PUBLIC:
            return True
        if not user.is_authenticated:
            return False
        return user.is_staff or self.memberships.filter(user=user).exists()

    def oai_set_spec(self) -> str:
        return f"user-{self.slug}"

    def current_links(self):
        """Memberships of records currently in the community (published records only)."""
        return self.record_links.current().filter(record__state="published")

    def curators(self):
        return self.memberships.filter(role__in=[MemberRole.OWNER, MemberRole.CURATOR]).select_related("user")

    def is_curator(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return self.memberships.filter(user=user, role__in=[MemberRole.OWNER, MemberRole.CURATOR]).exists()

    def is_owner(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return self.memberships.filter(user=user, role=MemberRole.OWNER).exists()


class MemberRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    CURATOR = "curator", _("Curator")


class Membership(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_roles"
    )
    role = models.CharField(max_length=16, choices=MemberRole.choices, default=MemberRole.CURATOR)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "user"], name="one_role_per_member")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.community}"
