from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.forms import TokenRevokingAdminPasswordChangeForm
from accounts.models import PersonalAccessToken, User


@admin.register(User)
class RepositoryUserAdmin(UserAdmin):
    change_password_form = TokenRevokingAdminPasswordChangeForm
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("full_name", "orcid", "affiliations", "language")}),
        ("E-mail verification", {"fields": ("email_verified", "pending_email")}),
    )
    list_display = ("username", "email", "email_verified", "full_name", "is_staff", "is_active")


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "hint", "scopes", "created", "expires_at", "last_used", "revoked_at")
    readonly_fields = ("key_hash", "hint", "created", "last_used")
    search_fields = ("name", "user__username")
