"""Photo writes: the upload, the QC run (and its re-run), the sweep of stuck runs, and a
reviewer's decision."""

from photos.services.qc import photo_qc_requeue_stuck, photo_qc_rerun, photo_run_qc
from photos.services.review import ReviewDecision, photo_review
from photos.services.upload import (
    PayloadTooLargeError,
    UnsupportedImageError,
    photo_upload,
    upload_too_large_message,
)

__all__ = (
    "PayloadTooLargeError",
    "ReviewDecision",
    "UnsupportedImageError",
    "photo_qc_requeue_stuck",
    "photo_qc_rerun",
    "photo_review",
    "photo_run_qc",
    "photo_upload",
    "upload_too_large_message",
)
