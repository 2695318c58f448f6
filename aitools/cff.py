"""CITATION.cff (Citation File Format 1.2.0): export of a record, import into a draft's form.

:func:`to_cff` writes a record's citation metadata as a CITATION.cff that validates against the
official CFF 1.2.0 JSON Schema (shipped in ``aitools/schemas/``). :func:`parse` reads one (YAML, then
the schema: an invalid file is a :class:`CffError` naming the problem) and :func:`to_metadata` maps it
to the record fields the deposit form fills: title, creators with ORCID iDs and affiliations,
version, licence, keywords, abstract, release date, type and the software's DOI.
:func:`find_in_archive` takes the CITATION.cff at the top of a ZIP or tarball (or of its one
top-level folder, as GitHub's release archives have it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import posixpath
import tarfile
import zipfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from django.utils.translation import gettext as _
from jsonschema import Draft7Validator

from identifiers import bare_doi, orcid_url
from records.exports.base import as_export_record

SCHEMA_PATH = Path(__file__).parent / "schemas" / "citation-cff-1.2.0.json"
FILENAME = "CITATION.cff"
MESSAGE = "If you use this work, please cite it using the metadata from this file."


class CffError(Exception):
    """The CITATION.cff (or the archive holding it) cannot be read; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator() -> Draft7Validator:
    return Draft7Validator(schema())


def schema_errors(data: Any) -> list[str]:
    """Problems of ``data`` against the CFF 1.2.0 schema, as ``path: message`` lines."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    ]


# --- Export -------------------------------------------------------------------------------------


def _author(person: dict) -> dict:
    if person.get("type") == "organizational" or not (person.get("family_name") or person.get("given_name")):
        author: dict[str, str] = {"name": person.get("name") or "Unknown"}
    else:
        author = {}
        if person.get("family_name"):
            author["family-names"] = person["family_name"]
        if person.get("given_name"):
            author["given-names"] = person["given_name"]
        orcid = orcid_url(person.get("orcid", ""))
        if orcid:
            author["orcid"] = orcid
    names = [a.get("name", "") for a in person.get("affiliations") or [] if a.get("name")]
    if names:
        author["affiliation"] = "; ".join(names)
    return author


def _date(value: str) -> str | None:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return None


def to_cff_data(record) -> dict:
    """The CITATION.cff as a dict (valid against the CFF 1.2.0 schema)."""
    rec = as_export_record(record)
    md = rec.metadata
    data: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": MESSAGE,
        "type": "software" if rec.resource_type_id == "software" else "dataset",
        "title": rec.title or f"Record {rec.id}",
        "authors": [_author(p) for p in rec.creators] or [{"name": rec.publisher}],
    }
    if rec.description_text:
        data["abstract"] = rec.description_text
    if md.get("version"):
        data["version"] = str(md["version"])
    if rec.doi and bare_doi(rec.doi):
        data["doi"] = bare_doi(rec.doi)
    released = _date(rec.publication_date)
    if released:
        data["date-released"] = released
    if rec.keywords:
        data["keywords"] = [str(k) for k in rec.keywords]
    licence = md.get("license")
    if licence and licence in schema()["definitions"]["license-enum"]["enum"]:
        data["license"] = licence
    elif licence and rec.license.get("url"):
        data["license-url"] = rec.license["url"]
    data["url"] = rec.landing_url
    for rel in md.get("related_identifiers") or []:
        identifier = str(rel.get("identifier", ""))
        if rel.get("scheme") == "url" and "github.com/" in identifier and "repository-code" not in data:
            data["repository-code"] = identifier
    return data


def to_cff(record) -> str:
    return "# CITATION.cff (Citation File Format 1.2.0)\n" + yaml.safe_dump(
        to_cff_data(record), allow_unicode=True, sort_keys=False, width=100
    )


# --- Import -------------------------------------------------------------------------------------


def _dates_as_text(value: Any) -> Any:
    """YAML reads unquoted dates as dates; the schema (like the format) wants strings."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value


def parse(raw: bytes) -> dict:
    """The CITATION.cff's content, valid against the CFF 1.2.0 schema; ``CffError`` otherwise."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CffError(_("The CITATION.cff is not UTF-8 text."))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (line %(line)d)") % {"line": mark.line + 1} if mark is not None else ""
        raise CffError(_("The CITATION.cff is not valid YAML%(where)s.") % {"where": where})
    if not isinstance(data, dict):
        raise CffError(_("The CITATION.cff does not hold a YAML mapping of keys and values."))
    data = _dates_as_text(data)
    if str(data.get("cff-version", "")) != "1.2.0":
        raise CffError(
            _("Only CITATION.cff files of version 1.2.0 are read; this one says “%(version)s”.")
            % {"version": str(data.get("cff-version", ""))[:20]}
        )
    problems = schema_errors(data)
    if problems:
        raise CffError(
            _("The CITATION.cff does not follow the format: %(problems)s")
            % {"problems": "; ".join(problems[:5])[:1000]}
        )
    return data


def _creator(author: dict) -> dict:
    if author.get("name") and not author.get("family-names"):
        person: dict[str, Any] = {"type": "organizational", "name": str(author["name"])}
    else:
        family = " ".join(str(author.get(k, "")) for k in ("name-particle", "family-names") if author.get(k))
        given = str(author.get("given-names", ""))
        person = {"type": "personal", "family_name": family, "given_name": given}
        person["name"] = f"{family}, {given}" if given else family
        if author.get("orcid"):
            person["orcid"] = str(author["orcid"]).removeprefix("https://orcid.org/")
    if author.get("affiliation"):
        person["affiliations"] = [{"name": str(author["affiliation"])}]
    return {k: v for k, v in person.items() if v}


def _dois(data: dict) -> list[str]:
    dois = [str(data["doi"])] if data.get("doi") else []
    for identifier in data.get("identifiers") or []:
        if identifier.get("type") == "doi" and str(identifier.get("value")) not in dois:
            dois.append(str(identifier["value"]))
    return dois


def to_metadata(data: dict) -> dict:
    """The record fields a (valid) CITATION.cff fills, as record metadata."""
    md: dict[str, Any] = {"title": str(data["title"])}
    md["creators"] = [_creator(a) for a in data.get("authors") or []]
    if data.get("type") in ("software", "dataset"):
        md["resource_type"] = {"type": data["type"]}
    if data.get("version") is not None:
        md["version"] = str(data["version"])
    licence = data.get("license")
    if isinstance(licence, list):
        licence = licence[0] if licence else None
    if licence:
        md["license"] = str(licence)
    if data.get("keywords"):
        md["keywords"] = [str(k) for k in data["keywords"]]
    if data.get("abstract"):
        md["description"] = "".join(
            f"<p>{_escape(part.strip())}</p>" for part in str(data["abstract"]).split("\n\n") if part.strip()
        )
    if data.get("date-released"):
        md["publication_date"] = str(data["date-released"])
    dois = _dois(data)
    related = [{"identifier": doi, "scheme": "doi", "relation": "IsVersionOf"} for doi in dois[:1]]
    if data.get("repository-code"):
        related.append(
            {"identifier": str(data["repository-code"]), "scheme": "url", "relation": "IsSupplementTo"}
        )
    if related:
        md["related_identifiers"] = related
    return md


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def merge(metadata: dict, imported: dict) -> dict:
    """The draft's metadata with the CITATION.cff's fields in place of its own; related identifiers
    are added to the draft's (once each)."""
    merged = {**metadata, **{k: v for k, v in imported.items() if k != "related_identifiers"}}
    related = list(metadata.get("related_identifiers") or [])
    known = {(r.get("scheme"), str(r.get("identifier", "")).lower()) for r in related if isinstance(r, dict)}
    for item in imported.get("related_identifiers") or []:
        if (item["scheme"], item["identifier"].lower()) not in known:
            related.append(item)
    if related:
        merged["related_identifiers"] = related
    return merged


# --- Archives -----------------------------------------------------------------------------------


def _top_level(names: list[str]) -> str | None:
    """``CITATION.cff`` at the top, or inside the archive's one top-level folder."""
    clean = [n.lstrip("./") for n in names]
    if FILENAME in clean:
        return names[clean.index(FILENAME)]
    tops = {n.split("/", 1)[0] for n in clean if n}
    if len(tops) == 1:
        wanted = f"{tops.pop()}/{FILENAME}"
        if wanted in clean:
            return names[clean.index(wanted)]
    return None


def find_in_archive(key: str, stream: BinaryIO, max_bytes: int, max_members: int) -> bytes | None:
    """The bytes of the top-level CITATION.cff of a ZIP (``stream`` seekable) or tarball; None if it
    has none; ``CffError`` if the archive cannot be read."""
    lower = key.lower()
    try:
        if lower.endswith(".zip"):
            with zipfile.ZipFile(stream) as archive:
                infos = archive.infolist()[:max_members]
                name = _top_level([i.filename for i in infos])
                if name is None:
                    return None
                info = archive.getinfo(name)
                if info.file_size > max_bytes:
                    raise CffError(_("The CITATION.cff in the archive is too large."))
                return archive.read(info)
        with tarfile.open(fileobj=stream, mode="r|*") as archive:
            for count, member in enumerate(archive):
                if count >= max_members:
                    break
                name = member.name.lstrip("./")
                if posixpath.basename(name) != FILENAME or name.count("/") > 1 or not member.isfile():
                    continue
                if member.size > max_bytes:
                    raise CffError(_("The CITATION.cff in the archive is too large."))
                extracted = archive.extractfile(member)
                return extracted.read() if extracted is not None else None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise CffError(
            _("The archive %(key)s cannot be read: %(error)s") % {"key": key, "error": str(exc)[:200]}
        )
    return None


def is_archive(key: str) -> bool:
    lower = key.lower()
    return lower.endswith((".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz"))


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise CffError(_("The CITATION.cff is too large."))
    return data


class RangeFile(io.RawIOBase):
    """A seekable read-only file over ranged reads (``read(start, length)``) of a stored object, so a
    ZIP's directory and one member are read without the whole archive."""

    def __init__(self, read: Callable[[int, int], bytes], size: int):
        self._read, self._size, self._pos = read, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        length = min(len(buffer), self._size - self._pos)
        if length <= 0:
            return 0
        data = self._read(self._pos, length)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)
