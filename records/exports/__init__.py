"""Record exports: one module, and one serialiser, per format.

XML formats return lxml elements so OAI-PMH can embed them without re-serialising:
``datacite.to_datacite`` (DataCite kernel 4.7), ``datacite.to_oai_datacite`` (oai_datacite 1.1
wrapper), ``dc.to_oai_dc`` (oai_dc), ``marcxml.to_marcxml`` (MARC21 slim). The others return text or
JSON-ready dicts: ``json.to_json`` (public JSON), ``bibtex.to_bibtex``, ``csl.to_csl`` (CSL-JSON),
``jsonld.to_jsonld`` / ``to_jsonld_script`` (schema.org), ``citation.apa`` / ``apa_html``.

Every function takes a ``Record`` or a ``base.ExportRecord`` (build one with
``ExportRecord.from_record`` to share it between formats). Building it drops private fields,
e-mail addresses and XML-illegal characters. ``xsd.load_schema`` loads the vendored official
schemas offline; ``views.export_record`` serves ``/records/<id>/export/<format>``.

``registry`` is the one list of formats (each module registers its own; ``registry`` imports the
built-in ones): the export view, the landing page, the JSON links and OAI-PMH all read it.
"""
