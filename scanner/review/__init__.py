"""The 人工复核 queue and its audit trail (see `scanner.review.queue`)."""

from scanner.review.queue import (
    FINDING_KINDS,
    KIND_LABEL,
    STATUS_LABEL,
    ReviewError,
    add_finding,
    events,
    fingerprint,
    kind_of,
    list_findings,
    propose,
    transition,
)

__all__ = [
    "FINDING_KINDS", "KIND_LABEL", "STATUS_LABEL", "ReviewError", "add_finding", "events",
    "fingerprint", "kind_of", "list_findings", "propose", "transition",
]  # fmt: skip
