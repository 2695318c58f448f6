"""A request-body serializer that refuses fields it does not know (a typo is a 400 naming it, not
silently ignored). Shared by every app's API (accounts is the lowest app with one)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        unknown[0]: [
                            _("Unknown field; send %(fields)s.") % {"fields": ", ".join(sorted(self.fields))}
                        ]
                    }
                )
        return super().to_internal_value(data)
