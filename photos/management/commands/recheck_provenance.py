"""``python manage.py recheck_provenance [--property ID]``: QC again for the photos checked before
the provenance check existed, so that each gets it (and its Content Credentials)."""

from argparse import ArgumentParser
from collections import Counter
from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from photos.selectors import photos_checked_without
from photos.services import photo_qc_rerun
from photos.storage import TransientStorageError
from properties.models import Property

PROGRESS_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Runs QC again, in batches, for every photo whose QC finished without the provenance "
        "check (or only those of one property). Idempotent: a photo that has the check is left "
        "alone, so a second run finds nothing to do."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--property", type=UUID, help="Only this property's photos.")
        parser.add_argument("--batch-size", type=int, default=100, help="Photos per batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        property_id: UUID | None = options["property"]
        if property_id is not None and not Property.objects.filter(pk=property_id).exists():
            raise CommandError(f"No property {property_id}.")
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        photo_ids = photos_checked_without("provenance", property_id=property_id)
        if not photo_ids:
            self.stdout.write("Every checked photo has the provenance check: nothing to do.")
            return
        verdicts: Counter[str] = Counter()
        for start in range(0, len(photo_ids), batch_size):
            for photo_id in photo_ids[start : start + batch_size]:
                verdicts[self._recheck(photo_id)] += 1
            self._progress(min(start + batch_size, len(photo_ids)), len(photo_ids))
        self.stdout.write("")
        summary = ", ".join(f"{verdict} {count}" for verdict, count in sorted(verdicts.items()))
        self.stdout.write(f"Rechecked {len(photo_ids)} photos: {summary}.")

    def _recheck(self, photo_id: UUID) -> str:
        """The photo's new QC status; what happened instead when it has none."""
        try:
            photo = photo_qc_rerun(photo_id=photo_id)
        except TransientStorageError:
            return "left for the sweep (storage unavailable)"
        return "skipped (changed meanwhile)" if photo is None else photo.qc_status

    def _progress(self, done: int, total: int) -> None:
        filled = PROGRESS_WIDTH * done // total
        bar = "#" * filled + "." * (PROGRESS_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total}", ending="")
        self.stdout.flush()
