from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserCreationForm,
)
from django.core.exceptions import ValidationError
from django.template import loader
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import TokenScope, User
from accounts.ratelimit import hit
from identifiers import normalize_orcid
from mail.services import queue_email


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=_("E-mail address"), help_text=_("Used for notifications; never shown publicly.")
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)

    field_order = ("username", "email", "full_name", "password1", "password2")

    class Meta(UserCreationForm.Meta):
        model = User
        # not "email": the model's unique constraint would tell who has an account; sign_up decides
        fields = ("username", "full_name")

    def clean_email(self):
        # whether another account has this address is never said here (sign_up mails its holder)
        return self.cleaned_data["email"].strip().lower()


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the message is delivered by the Celery worker, its link is built from
    ``SITE_URL`` (never from the request's Host header), and an address gets at most
    ``RATELIMIT_MAILS`` of them (the page says "check your inbox" either way)."""

    def save(self, *args, **kwargs):
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        extra = dict(kwargs.get("extra_email_context") or {})
        extra.setdefault("site_name", settings.SITE_NAME)
        kwargs["extra_email_context"] = extra
        return super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        if hit(None, "mail-reset", settings.RATELIMIT_MAILS, to_email).limited:
            return
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        queue_email([to_email], subject, body)


class TokenRevokingSetPasswordForm(SetPasswordForm):
    """A reset password: every API token of the account is revoked (whoever reset it may be the one
    who lost control of the account)."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            services.revoke_all_tokens(user, "password_reset")
        return user


class TokenRevokingPasswordChangeForm(PasswordChangeForm):
    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            services.revoke_all_tokens(user, "password_change")
        return user


class TokenRevokingAdminPasswordChangeForm(AdminPasswordChangeForm):
    """Staff set a password in the admin: the account's tokens go too."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            services.revoke_all_tokens(user, "password_set_by_staff")
        return user


class ProfileForm(forms.ModelForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("A new address is used once you follow the link we send to it."),
    )
    affiliations_text = forms.CharField(
        label=_("Affiliations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, e.g. KTH Royal Institute of Technology."),
    )

    class Meta:
        model = User
        fields = ("full_name", "orcid", "language")
        help_texts = {"orcid": _("e.g. 0000-0002-1825-0097")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = self.instance.pending_email or self.instance.email
        self.order_fields(["full_name", "email", "orcid", "language", "affiliations_text"])
        self.fields["affiliations_text"].initial = "\n".join(
            a.get("name", "") if isinstance(a, dict) else str(a) for a in self.instance.affiliations
        )

    def clean_email(self):
        address = self.cleaned_data["email"].strip().lower()
        if address != (self.instance.email or "").lower() and services.address_taken(
            address, exclude=self.instance, verified_only=True
        ):
            raise ValidationError(_("Another account uses this e-mail address."))
        return address

    def clean_orcid(self):
        value = self.cleaned_data.get("orcid", "").strip()
        return normalize_orcid(value) if value else ""

    def clean_affiliations_text(self):
        lines = [line.strip() for line in self.cleaned_data.get("affiliations_text", "").splitlines()]
        return [{"name": line[:300]} for line in lines if line]


class TokenForm(forms.Form):
    EXPIRY = [("30", _("30 days")), ("90", _("90 days")), ("365", _("One year")), ("never", _("Never"))]

    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple, required=True
    )
    expires = forms.ChoiceField(label=_("Expires after"), choices=EXPIRY, initial="365", required=False)

    def clean_expires(self) -> int | None:
        value = self.cleaned_data.get("expires") or "365"
        return None if value == "never" else int(value)


class NotificationForm(forms.Form):
    KINDS = [
        ("request_new", _("New inclusion request in a community I curate")),
        ("request_comment", _("New comment on a request")),
        ("request_decision", _("Decision on my request")),
        ("request_invitation", _("Invitation to include my record")),
        ("request_expired", _("Request expired")),
    ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in self.KINDS:
            self.fields[key] = forms.BooleanField(
                label=label, required=False, initial=user.wants_notification(key) if user else True
            )
