"""Photo writes: the upload, the QC run (and its re-run), the sweep of stuck runs, and a
reviewer's decision (and its re-shoot SMS)."""

from photos.services.qc import photo_qc_requeue_stuck, photo_qc_rerun, photo_run_qc
from photos.services.review import ReviewDecision, photo_notify_reshoot, photo_review
from photos.services.upload import photo_upload, upload_too_large_message

__all__ = (
    "ReviewDecision",
    "photo_notify_reshoot",
    "photo_qc_requeue_stuck",
    "photo_qc_rerun",
    "photo_review",
    "photo_run_qc",
    "photo_upload",
    "upload_too_large_message",
)
