"""The documents layer: the fund's PDFs (WeasyPrint, reproducible), their charts and the
tables of their CSV/XLSX twins, rendered from the data given as arguments. Nothing here
queries: no session, no ``mptf.extensions``, no domain package; the domains gather the data
(``mptf.allocation.decision_documents``, ``mptf.reports.documents``) and call these functions,
so a domain may seal a document inside its own transaction (docs/developing.md, "Layers")."""
