"""The plugin's Prometheus metrics, registered in the app's own registry next to the core's."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["SaveMetrics"]


class SaveMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.callbacks = Counter(
            "onlyoffice_callbacks",
            "Document Server callbacks, by status and outcome (ok, refused, failed, retry).",
            ["status", "outcome"],
            registry=registry,
        )
        self.saves = Counter(
            "onlyoffice_saves",
            "Edits saved as attachment versions, by kind (final, force, recovered) and outcome.",
            ["kind", "outcome"],
            registry=registry,
        )
        self.pending = Gauge(
            "onlyoffice_pending_saves",
            "Edits kept for a later save because Confluence or the Document Server was not available.",
            registry=registry,
            # One worker at a time (the recovery lock's holder) counts the shared records: its count is
            # the count, and adding the workers' values would multiply it.
            multiprocess_mode="livemostrecent",
        )
        self.document_errors = Counter(
            "onlyoffice_document_errors",
            "Callbacks reporting that the Document Server could not assemble a document (status 3 and 7).",
            ["status"],
            registry=registry,
        )
