"""What one photo's QC costs as the archive grows: the duplicate check must stay flat.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/propflow_bench \
        python -m benchmarks.archive_scale [--sizes 1000,10000,100000,1000000] [--runs 9] \
        [--hashes pictures|random] [--force]

On DATABASE_URL's PostgreSQL database (migrated, without photos unless --force; say, one made
for the run and dropped after it), skipped on any other. The archive is filled with COPY to each
size in turn, of analysed photos (dHash and its bands as QC writes them) spread over 200
properties; ``--hashes pictures`` (the default) takes each photo's dHash from a pool of 2000
generated pictures' (and the shared corpus photos'), a few bits changed, as real archives hold
many shots of like scenes, and ``random`` makes random hashes. At each size one real 1600x1200
phone JPEG, its own property's, goes through ``photo_run_qc`` ``--runs`` times after one run
not counted (on caches the fill left cold); its duplicate lookup is timed on its own four times
as often. Medians, on a machine others may share: compare sizes within one run.

Prints how long each fill took, then a table: photos in the archive, the QC run's median ms, the
duplicate lookup's median ms, the candidates its band lookup examined, and the peak RSS growth
of one QC run (MB); then the ratio of the QC run at the largest size to the smallest. Every row
it made is deleted at the end.
"""

# Django is set up, on the database above, before the models are imported.
import os

import django
from django.conf import settings

if not settings.configured:  # run as a script; the tests import it with Django set up
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "propflow.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    django.setup()

import argparse
import hashlib
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts.models import Role, User
from benchmarks.photo_pipeline import measure_peak
from photos.exif import UnreadableImageError
from photos.imaging import analyse, dhash
from photos.models import Category, Photo, QcStatus, dhash_columns
from photos.selectors import dhash_band_lookup, photo_reuse_candidates, qc_thresholds
from photos.services import photo_run_qc
from properties.models import Property, PropertyType, Status
from tests.support.images import make_image, make_jpeg

PROPERTY = (18.5362, 73.8940)  # Pune
ARCHIVE_PROPERTIES = 200
PICTURES = 2000
FLIPPED_BITS = 4  # each archive photo: a pool picture's dHash with up to this many bits changed
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "photos" / "files"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--hashes", choices=("pictures", "random"), default="pictures")
    parser.add_argument("--force", action="store_true", help="run on a database with photos")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if connection.vendor != "postgresql":
        print("archive_scale: skipped, it fills a PostgreSQL database (set DATABASE_URL)")
        return
    existing = Photo.objects.count()
    if existing and not args.force:
        raise SystemExit(f"The database has {existing} photos: use an empty one, or --force.")

    rng = random.Random(12)
    owner = User.objects.create_user("+917000000012", role=Role.CLIENT, name="Archive benchmark")
    properties = Property.objects.bulk_create(
        _property(owner, number) for number in range(ARCHIVE_PROPERTIES + 1)
    )
    checked, archive = properties[0], properties[1:]
    photo = _checked_photo(checked, owner)
    try:
        hashes = _hash_source(args.hashes, rng)
        photo_run_qc(photo_id=photo.pk)  # the first run loads what later runs keep
        rows = []
        filled = 0
        for size in sizes:
            started = time.perf_counter()
            _fill(archive, owner, filled, size, hashes)
            print(f"Filled to {size} photos in {time.perf_counter() - started:.1f} s")
            filled = size
            rows.append(_measure(photo, size, args.runs))
        _print_table(rows, args.hashes)
    finally:
        _delete(properties, owner, photo)


def _property(owner: User, number: int) -> Property:
    return Property(
        owner=owner,
        property_type=PropertyType.APARTMENT,
        address=f"{number + 1} Archive Road",
        city="Pune",
        postal_code="411001",
        area_sqft=Decimal("950.00"),
        latitude=PROPERTY[0],
        longitude=PROPERTY[1],
        status=Status.DRAFT,
    )


def _checked_photo(property: Property, owner: User) -> Photo:
    """A real phone JPEG of the property, taken a few metres from it just now."""
    taken = timezone.now().astimezone(ZoneInfo("Asia/Kolkata"))
    data = make_jpeg(
        gps=(PROPERTY[0] + 0.0002, PROPERTY[1]),
        taken_at=taken.strftime("%Y:%m:%d %H:%M:%S"),
        offset="+05:30",
        noise=20,
        seed=4242,
    )
    return Photo.objects.create(
        property=property,
        category=Category.FRONT,
        uploaded_by=owner,
        file=ContentFile(data, name="original"),
        content_type="image/jpeg",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _hash_source(kind: str, rng: random.Random) -> Callable[[], int]:
    if kind == "random":
        return lambda: rng.getrandbits(64)
    pool = [dhash(make_image(96, 72, seed=100_000 + seed)) for seed in range(PICTURES)]
    pool += list(_corpus_hashes())

    def near_a_picture() -> int:
        value = rng.choice(pool)
        for _ in range(rng.randint(0, FLIPPED_BITS)):
            value ^= 1 << rng.randrange(64)
        return value

    return near_a_picture


def _corpus_hashes() -> Iterator[int]:
    """The shared corpus' photos' dHashes, those Pillow reads (none without ../shared)."""
    for path in sorted(CORPUS.glob("*")) if CORPUS.is_dir() else []:
        with path.open("rb") as stream:
            try:
                yield analyse(stream).dhash
            except (UnreadableImageError, OSError):
                continue


def _fill(
    archive: Sequence[Property], owner: User, start: int, stop: int, hashes: Callable[[], int]
) -> None:
    """Photos start..stop-1 of the archive: the hashes copied in, the rest made by the server.
    Their ids and SHA-256s follow their numbers (a letter, then the number in hex), so that those
    indexes grow at their right end, as a year's random ids in a warm cache would cost."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE archive_fill (n bigint, dhash varchar(16), dhash_bits bigint,"
            " dhash_band_0 integer, dhash_band_1 integer, dhash_band_2 integer)"
        )
        with cursor.copy("COPY archive_fill FROM STDIN") as copy:
            for number in range(start, stop):
                value = hashes()
                columns = dhash_columns(value)
                copy.write_row((number, f"{value:016x}", *columns.values()))
        cursor.execute(
            """
            INSERT INTO photos_photo (
                id, property_id, category, uploaded_by_id, idempotency_key, file, content_type,
                size, sha256, make, model, taken_at, taken_at_offset, preview, qc_status,
                qc_checks, qc_error, qc_attempts, review_status, review_reason, created_at,
                updated_at, dhash, dhash_bits, dhash_band_0, dhash_band_1, dhash_band_2
            )
            SELECT
                ('b' || lpad(to_hex(n), 31, '0'))::uuid, (%s::uuid[])[1 + n %% %s], 'FRONT', %s, '',
                'photos/archive/' || n, 'image/jpeg', 2000000,
                'a' || lpad(to_hex(n), 63, '0'), '', '', '', '', '', 'PASS', '[]',
                '', 0, 'PENDING', '', now() - interval '1 second' * (%s - n), now(),
                dhash, dhash_bits, dhash_band_0, dhash_band_1, dhash_band_2
            FROM archive_fill
            """,
            [[str(property.pk) for property in archive], len(archive), str(owner.pk), stop],
        )
        cursor.execute("DROP TABLE archive_fill")
        # Vacuumed (not only analysed) as a table long in use is: no autovacuum of the new rows
        # then runs during the timed runs, and index-only scans see which pages are all visible.
        cursor.execute("VACUUM ANALYZE photos_photo")


def _measure(photo: Photo, size: int, runs: int) -> dict[str, Any]:
    qc_ms, growth_mb = [], []
    for run in range(runs + 1):
        # Each run a first attempt: the runs would otherwise use up PHOTO_QC_MAX_ATTEMPTS.
        Photo.objects.filter(pk=photo.pk).update(
            qc_status=QcStatus.PENDING, qc_started_at=None, qc_attempts=0
        )
        started = time.perf_counter()
        checked, peak = measure_peak(lambda: photo_run_qc(photo_id=photo.pk))
        if run:  # the first, on caches cold from the fill, is not counted
            qc_ms.append((time.perf_counter() - started) * 1000)
            growth_mb.append(peak.rss_mb if peak.rss_mb is not None else peak.traced_mb)
    assert checked is not None
    value = int(checked.dhash, 16)
    near = qc_thresholds().dhash_near_distance
    lookup_ms = []
    for _ in range(4 * runs):
        started = time.perf_counter()
        photo_reuse_candidates(checked, value, near)
        lookup_ms.append((time.perf_counter() - started) * 1000)
    examined = Photo.objects.filter(dhash_band_lookup(value, near)).count()
    return {
        "size": size,
        "qc_ms": statistics.median(qc_ms),
        "lookup_ms": statistics.median(lookup_ms),
        "examined": examined,
        "growth_mb": max(growth_mb),
        "verdict": next(c["result"] for c in checked.qc_checks if c["name"] == "duplicate"),
    }


def _print_table(rows: list[dict[str, Any]], kind: str) -> None:
    print(f"\nAn archive of {kind} hashes")
    print(
        "| photos in the archive | QC run median ms | duplicate lookup median ms "
        "| candidates examined | peak RSS growth MB | duplicate check |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['size']:,} | {row['qc_ms']:.1f} | {row['lookup_ms']:.2f} "
            f"| {row['examined']:,} | {row['growth_mb']:.1f} | {row['verdict']} |"
        )
    first, last = rows[0], rows[-1]
    print(
        f"\nQC at {last['size']:,} photos / QC at {first['size']:,} photos: "
        f"{last['qc_ms'] / first['qc_ms']:.2f}x"
    )


def _delete(properties: Sequence[Property], owner: User, photo: Photo) -> None:
    for name in (photo.file.name, photo.preview.name):
        if name:
            photo.file.storage.delete(name)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM photos_photo WHERE property_id = ANY(%s::uuid[])",
            [[str(property.pk) for property in properties]],
        )
    Property.objects.filter(pk__in=[property.pk for property in properties]).delete()
    owner.delete()


if __name__ == "__main__":
    main()
