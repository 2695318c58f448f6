"""Context for the two file includes of a record: the uploader (deposit form) and the files table
(landing page)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from previews import services as preview_services
from records.files import access_denial, download_url, files_editable, preview_url
from storage import downloads, services
from storage.sizes import format_size

register = template.Library()


def _sort_key(key: str) -> tuple:
    """Folders before files at every level, then by name."""
    parts = key.split("/")
    return (*tuple((0, part.casefold(), part) for part in parts[:-1]), (1, parts[-1].casefold(), parts[-1]))


def tree_rows(items: list[dict]) -> list[dict]:
    """Flatten files into rows with folder rows before their contents; ``depth`` for indentation."""
    rows: list[dict] = []
    previous: list[str] = []
    for item in sorted(items, key=lambda i: _sort_key(i["key"])):
        folders = item["key"].split("/")[:-1]
        common = 0
        while common < min(len(previous), len(folders)) and previous[common] == folders[common]:
            common += 1
        for depth in range(common, len(folders)):
            rows.append(
                {
                    "folder": True,
                    "name": folders[depth],
                    "path": "/".join(folders[: depth + 1]),
                    "depth": depth,
                }
            )
        rows.append({**item, "folder": False, "name": item["key"].split("/")[-1], "depth": len(folders)})
        previous = folders
    return rows


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def uploader_config(record) -> dict:
    return {
        "record": record.pk,
        "filesApi": reverse("storage:api-files", args=[record.pk]),
        "fileApi": reverse("storage:api-files", args=[record.pk]) + "/",
        "restoreApi": reverse("storage:api-restore-file", args=[record.pk]),
        "createUpload": reverse("storage:api-uploads", args=[record.pk]),
        "downloadBase": reverse("storage:files", args=[record.pk]),
        "chunkSize": services.chunk_size(),
        "text": {
            "of": _("%(sent)s of %(total)s (%(percent)s%%)"),
            "byte": _("%(count)s byte"),
            "bytes": _("%(count)s bytes"),
            "waiting": _("Waiting…"),
            "uploading": _("Uploading…"),
            "paused": _("Paused"),
            "resuming": _("Resuming at %(offset)s…"),
            "finishing": _("Computing checksums…"),
            "done": _("Done"),
            "failed": _("Failed: %(message)s"),
            "retrying": _("Connection lost; retrying…"),
            "cancelled": _("Cancelled"),
            "pause": _("Pause"),
            "resume": _("Resume"),
            "cancel": _("Cancel"),
            "remove": _("Remove"),
            "restore": _("Restore"),
            "replace": _("Replace"),
            "download": _("Download"),
            "confirmRemove": _("Remove “%(key)s” from this draft?"),
            "confirmReplacePublished": _(
                "Replace %(key)s? The earlier file stays available as version %(version)s."
            ),
            "confirmReplaceStaged": _(
                "Replace %(key)s? The file of that name uploaded to this draft (%(size)s) has not been "
                "published, so it will not be kept."
            ),
            "keptEarlier": _("%(key)s was not uploaded: the earlier file is kept."),
            "emptyFile": _("Warning: %(key)s is empty (0 bytes). Remove it if that was not intended."),
            "statusNew": _("new"),
            "statusReplaced": _("new version"),
            "statusUnchanged": _("published"),
            "statusRemoved": _("will be removed"),
            "pendingHint": _(
                "Unfinished upload: %(key)s, %(sent)s of %(total)s. Choose the same file again to resume."
            ),
            "discard": _("Discard"),
            "folderFailed": _("The dropped folder could not be read: %(message)s"),
            "usage": _("Using %(used)s of %(limit)s · %(files)s of %(maxFiles)s files"),
            "noFiles": _("No files yet."),
            "md5": _("MD5"),
            "sha256": _("SHA-256"),
            "showSha": _("Show SHA-256"),
            "versions": _("Versions"),
            "nameSize": _("Name, size and status"),
        },
    }


@register.simple_tag(takes_context=True)
def deposit_files(context, record) -> dict:
    """What ``storage/deposit_files.html`` shows for ``record`` to the current user."""
    if record is None or not getattr(record, "pk", None):
        return {"record": None}
    user = _user(context)
    owner = bool(user is not None and record.is_owner(user))
    editable = owner and files_editable(record)
    data = {"record": record, "owner": owner, "editable": editable}
    if not editable:
        return data
    items = []
    working = services.working_files(record.bucket)
    shown = [version for wf in working if (version := wf.version or wf.current) is not None]
    previews = preview_services.previews_for_versions(version.pk for version in shown)
    for wf in working:
        version = wf.version or wf.current
        if version is None:  # never: a working file has a staged or a published version (WorkingFile)
            continue
        thumbnail = _has_kind(previews.get(version.pk), "thumbnail")
        items.append(
            {
                "key": wf.key,
                "status": wf.status,
                "size": version.instance.size,
                "md5": version.instance.md5,
                "sha256": version.instance.sha256,
                "url": download_url(record.pk, wf.key, None if version.number else "draft"),
                "history": wf.history,
                "thumbnail_url": preview_url(
                    record.pk, wf.key, "thumbnail", version.number if version.number else "draft"
                )
                if thumbnail
                else "",
            }
        )
    usage = services.usage(record.bucket)
    data.update(rows=tree_rows(items), usage=usage, config=uploader_config(record), count=len(items))
    return data


@register.simple_tag(takes_context=True)
def landing_files(context, record) -> dict:
    """What ``storage/landing_files.html`` shows: the published files, or why they are not available."""
    user = _user(context)
    published = services.published_files(record.bucket)
    total = sum(current.instance.size for _fk, current, _h in published)
    data = {"record": record, "count": len(published), "total": total}
    denial = access_denial(record, user) if user is not None else (403, "")
    if denial is not None:
        data["denial"] = denial[1]
        if record.access_right == "restricted":
            data["conditions"] = record.metadata.get("access_conditions", "")
        return data
    privileged = bool(user.is_authenticated and (user.is_staff or record.is_owner(user)))
    previews = preview_services.previews_for_versions(current.pk for _fk, current, _h in published)
    items = [
        {
            "key": fk.key,
            "size": current.instance.size,
            "md5": current.instance.md5,
            "sha256": current.instance.sha256,
            "version": current.number,
            "url": download_url(record.pk, fk.key),
            "history": history,
            **_preview_links(record, fk.key, previews.get(current.pk)),
        }
        for fk, current, history in published
    ]
    data.update(
        rows=tree_rows(items),
        previews=_inline_previews(items, previews, {current.pk: fk.key for fk, current, _h in published}),
        privileged=privileged,
        zip_url=reverse("storage:download_all", args=[record.pk])
        if items and total <= downloads.zip_limit()
        else "",
        edit_url=_url("storage:files", record.pk) if privileged and files_editable(record) else "",
    )
    return data


def _has_kind(preview, kind: str) -> bool:
    return preview is not None and any(item.kind == kind for item in preview.derivatives.all())


def _preview_links(record, key: str, preview) -> dict:
    """``thumbnail_url`` and ``preview_url`` of a file's ready preview (empty without one)."""
    kinds = {item.kind for item in preview.derivatives.all()} if preview is not None else set()
    return {
        "thumbnail_url": preview_url(record.pk, key, "thumbnail") if "thumbnail" in kinds else "",
        "preview_url": preview_url(record.pk, key) if "preview" in kinds else "",
    }


def _inline_previews(items: list[dict], previews: dict, keys: dict[int, str]) -> list[dict]:
    """The first ``PREVIEW_LANDING_INLINE`` previews, shown below the files table."""
    shown: list[dict] = []
    for version_id, preview in sorted(previews.items(), key=lambda pair: keys.get(pair[0], "")):
        if len(shown) >= settings.PREVIEW_LANDING_INLINE:
            break
        item = next((d for d in preview.derivatives.all() if d.kind == "preview"), None)
        link = next((i for i in items if i["key"] == keys.get(version_id)), None)
        if item is None or link is None:
            continue
        if item.mimetype.startswith("image/"):
            shown.append({"key": link["key"], "image_url": link["preview_url"], "url": link["preview_url"]})
        else:
            html = preview_services.preview_html(item)
            if html:
                shown.append({"key": link["key"], "html": mark_safe(html), "url": link["preview_url"]})  # noqa: S308  (sanitised by nh3 as read)
    return shown


@register.simple_tag
def version_url(record, version) -> str:
    """The download URL of one published version of a record's file."""
    return download_url(record.pk, version.file.key, version.number)


@register.filter
def storage_size(size) -> str:
    return format_size(int(size or 0))
