"""The one table of resource types: every label and crosswalk of a (type, subtype) in one row.

The type and subtype are Zenodo's upload type and its ``publication_type``/``image_type`` (the
schema's ``resource_type.type`` and ``.subtype``). Each row carries the label (English; the site
shows it translated, exports in English) and the value each export format uses:

========== ==================================================================================
datacite   DataCite ``resourceTypeGeneral``
dc         OpenAIRE ``info:eu-repo/semantics/`` type (Dublin Core ``dc:type``)
marc       MARC 21 Leader/06 (type of record) and Leader/07 (bibliographic level)
csl        CSL-JSON ``type``
bibtex     BibTeX (biblatex) entry type
schema_org schema.org ``@type`` (JSON-LD)
apa        APA's bracketed description after the title (empty: none) and whether the title is italic
========== ==================================================================================

Rows without a subtype are the types; a type listed with subtypes requires one (the JSON schema's
enums and the form's choices are read from here). An id the table lacks falls back to its type's row
(an unknown subtype) or to ``other`` (an unknown type). To add a type or subtype: add its row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _


@dataclass(frozen=True)
class ResourceType:
    type: str
    subtype: str
    label: str  # English; gettext(label) in the reader's language
    datacite: str
    dc: str
    marc: str
    csl: str
    bibtex: str
    schema_org: str
    apa: str = ""
    apa_italic: bool = True
    marc_level: str = "m"

    @property
    def id(self) -> str:
        """Zenodo's id: ``publication-article``, ``image-figure``, ``dataset``…"""
        return f"{self.type}-{self.subtype}" if self.subtype else self.type

    @property
    def zenodo(self) -> dict:
        """Zenodo's legacy deposit fields: ``upload_type`` and ``publication_type``/``image_type``."""
        result = {"upload_type": self.type}
        if self.subtype:
            result[f"{self.type}_type"] = self.subtype
        return result

    def translated_label(self) -> str:
        return gettext(self.label)


R = ResourceType
# fmt: off
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    #  type           subtype                  label                          DataCite               eu-repo             MARC CSL                BibTeX          schema.org                   APA description
    R("publication", "",                      _("Publication"),             "Text",                 "other",            "a", "document",        "misc",         "CreativeWork"),
    R("publication", "article",               _("Journal article"),         "JournalArticle",       "article",          "a", "article-journal", "article",      "ScholarlyArticle", apa_italic=False),
    R("publication", "preprint",              _("Preprint"),                "Preprint",             "preprint",         "a", "article",         "misc",         "ScholarlyArticle", "Preprint"),
    R("publication", "conferencepaper",       _("Conference paper"),        "ConferencePaper",      "conferenceObject", "a", "paper-conference","inproceedings","ScholarlyArticle", "Conference paper", apa_italic=False),
    R("publication", "report",                _("Report"),                  "Report",               "report",           "a", "report",          "techreport",   "Report"),
    R("publication", "thesis",                _("Thesis"),                  "Dissertation",         "doctoralThesis",   "a", "thesis",          "phdthesis",    "Thesis", "Doctoral dissertation"),
    R("publication", "book",                  _("Book"),                    "Book",                 "book",             "a", "book",            "book",         "Book"),
    R("publication", "section",               _("Book section"),            "BookChapter",          "bookPart",         "a", "chapter",         "inbook",       "Chapter", apa_italic=False, marc_level="a"),
    R("publication", "technicalnote",         _("Technical note"),          "Report",               "report",           "a", "report",          "techreport",   "Report"),
    R("publication", "workingpaper",          _("Working paper"),           "Preprint",             "workingPaper",     "a", "report",          "techreport",   "CreativeWork"),
    R("publication", "proposal",              _("Proposal"),                "Text",                 "other",            "a", "report",          "misc",         "CreativeWork"),
    R("publication", "deliverable",           _("Project deliverable"),     "Report",               "report",           "a", "report",          "techreport",   "Report"),
    R("publication", "milestone",             _("Project milestone"),       "Report",               "report",           "a", "report",          "techreport",   "Report"),
    R("publication", "softwaredocumentation", _("Software documentation"),  "Text",                 "other",            "a", "document",        "misc",         "CreativeWork", "Software documentation"),
    R("publication", "datamanagementplan",    _("Data management plan"),    "OutputManagementPlan", "other",            "a", "report",          "misc",         "CreativeWork", "Data management plan"),
    R("publication", "patent",                _("Patent"),                  "Text",                 "patent",           "a", "patent",          "misc",         "CreativeWork"),
    R("publication", "taxonomictreatment",    _("Taxonomic treatment"),     "Text",                 "other",            "a", "document",        "misc",         "CreativeWork"),
    R("publication", "annotationcollection",  _("Annotation collection"),   "Collection",           "annotation",       "a", "document",        "misc",         "CreativeWork"),
    R("publication", "peerreview",            _("Peer review"),             "PeerReview",           "review",           "a", "review",          "misc",         "Review"),
    R("publication", "other",                 _("Other publication"),       "Text",                 "other",            "a", "document",        "misc",         "CreativeWork"),
    R("poster",      "",                      _("Poster"),                  "Poster",               "conferenceObject", "k", "speech",          "misc",         "Poster", "Poster"),
    R("presentation", "",                     _("Presentation"),            "Presentation",         "lecture",          "a", "speech",          "misc",         "PresentationDigitalDocument", "Presentation"),
    R("dataset",     "",                      _("Dataset"),                 "Dataset",              "other",            "m", "dataset",         "dataset",      "Dataset", "Data set"),
    R("image",       "",                      _("Image"),                   "Image",                "other",            "k", "graphic",         "misc",         "ImageObject", "Image"),
    R("image",       "figure",                _("Figure"),                  "Image",                "other",            "k", "graphic",         "misc",         "ImageObject", "Image"),
    R("image",       "plot",                  _("Plot"),                    "Image",                "other",            "k", "graphic",         "misc",         "ImageObject", "Image"),
    R("image",       "drawing",               _("Drawing"),                 "Image",                "other",            "k", "graphic",         "misc",         "ImageObject", "Image"),
    R("image",       "diagram",               _("Diagram"),                 "Image",                "other",            "k", "graphic",         "misc",         "ImageObject", "Image"),
    R("image",       "photo",                 _("Photo"),                   "Image",                "other",            "k", "graphic",         "misc",         "ImageObject", "Image"),
    R("image",       "other",                 _("Other image"),             "Image",                "other",            "k", "graphic",         "misc",         "ImageObject", "Image"),
    R("video",       "",                      _("Video/Audio"),             "Audiovisual",          "other",            "g", "motion_picture",  "misc",         "VideoObject", "Video"),
    R("software",    "",                      _("Software"),                "Software",             "other",            "m", "software",        "software",     "SoftwareSourceCode", "Computer software"),
    R("lesson",      "",                      _("Lesson"),                  "InteractiveResource",  "lecture",          "a", "document",        "misc",         "LearningResource", "Lesson"),
    R("other",       "",                      _("Other"),                   "Other",                "other",            "a", "document",        "misc",         "CreativeWork"),
)
# fmt: on
del R

BY_ID: dict[str, ResourceType] = {row.id: row for row in RESOURCE_TYPES}


def types() -> list[ResourceType]:
    """The type rows (no subtype), in the table's order."""
    return [row for row in RESOURCE_TYPES if not row.subtype]


def subtypes(type_: str) -> list[ResourceType]:
    """The subtype rows of ``type_`` (empty for a type without subtypes), in the table's order."""
    return [row for row in RESOURCE_TYPES if row.type == type_ and row.subtype]


def subtypes_by_type() -> dict[str, list[str]]:
    """``{type: [subtype, …]}`` for the types that have (and require) subtypes."""
    result: dict[str, list[str]] = {}
    for row in RESOURCE_TYPES:
        if row.subtype:
            result.setdefault(row.type, []).append(row.subtype)
    return result


def by_id(type_id: str) -> ResourceType:
    """The row of ``publication-article``, ``dataset``…; an unknown subtype → its type, unknown type → ``other``."""
    row = BY_ID.get(type_id)
    if row is None:
        row = BY_ID.get(type_id.split("-")[0]) or BY_ID["other"]
    return row


def lookup(type_: str, subtype: str = "") -> ResourceType:
    return by_id(f"{type_ or 'other'}-{subtype}" if subtype else (type_ or "other"))
