from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.template import loader
from django.utils.translation import gettext_lazy as _

from accounts.models import TokenScope, User
from identifiers import normalize_orcid
from mail.services import queue_email


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=_("E-mail address"), help_text=_("Used for notifications; never shown publicly.")
    )
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "full_name")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this e-mail address already exists."))
        return email


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the message is delivered by the Celery worker."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        queue_email([to_email], subject, body)


class ProfileForm(forms.ModelForm):
    affiliations_text = forms.CharField(
        label=_("Affiliations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, e.g. KTH Royal Institute of Technology."),
    )

    class Meta:
        model = User
        fields = ("full_name", "email", "orcid", "language")
        help_texts = {"orcid": _("e.g. 0000-0002-1825-0097")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["affiliations_text"].initial = "\n".join(
            a.get("name", "") if isinstance(a, dict) else str(a) for a in self.instance.affiliations
        )

    def clean_orcid(self):
        value = self.cleaned_data.get("orcid", "").strip()
        return normalize_orcid(value) if value else ""

    def clean_affiliations_text(self):
        lines = [line.strip() for line in self.cleaned_data.get("affiliations_text", "").splitlines()]
        return [{"name": line[:300]} for line in lines if line]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=TokenScope.choices, widget=forms.CheckboxSelectMultiple, required=True
    )


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
