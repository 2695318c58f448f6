"""The login lockout backend (django-axes) first in ``AUTHENTICATION_BACKENDS``."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """axes' check, which refuses a locked (account, address) pair before any password is compared.

    Without a request there is no address to lock (the test client's ``login()``, management
    commands): nothing to check, and the next backend decides.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
