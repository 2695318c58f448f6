"""zenodo_get, unmodified, with its fixed base URL (https://zenodo.org/api/records/) redirected.

Usage: zenodo_get_redirected.py SERVER_URL ZENODO_GET_ARGS…

zenodo_get has no base-URL setting, so this wrapper rewrites requests for that one base URL to
SERVER_URL/api/records/ before they are built; everything else (the file links the records API
returns, the downloads, the MD5 verification) is zenodo_get's own code.
"""

import sys

import httpx2

ZENODO_RECORDS = "https://zenodo.org/api/records/"
target = sys.argv.pop(1).rstrip("/") + "/api/records/"
build_request = httpx2.Client.build_request


def redirected(self, method, url, *args, **kwargs):
    text = str(url)
    if text.startswith(ZENODO_RECORDS):
        url = target + text[len(ZENODO_RECORDS) :]
    return build_request(self, method, url, *args, **kwargs)


httpx2.Client.build_request = redirected

from zenodo_get.zget import cli  # noqa: E402

sys.argv[0] = "zenodo_get"
sys.exit(cli())
