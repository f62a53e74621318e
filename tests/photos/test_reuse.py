"""Reuse detection through the dHash bands and the SHA-256 index: the same verdict as comparing a
photo with every photo on file, in one query whatever the archive's size."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from photos.imaging import (
    DHASH_BAND_BITS,
    DHASH_BANDS,
    band_neighbours,
    dhash_bands,
    dhash_from_hex,
    dhash_to_hex,
    hamming,
)
from photos.models import Photo, dhash_columns
from photos.qc import DuplicateCandidate, Thresholds, check_duplicate
from photos.selectors import photo_reuse_candidates
from properties.models import Property
from tests.factories import PhotoFactory, PropertyFactory

NEAR = Thresholds().dhash_near_distance
SHA = "5" * 64  # the checked photo's bytes
HASH_BITS = st.integers(min_value=0, max_value=2**64 - 1)
# Bits of one band: a hash equal to another on that band, random on the others, passes the band
# lookup without being near.
BAND_MASKS = [sum(1 << bit for bit in range(band, 64, DHASH_BANDS)) for band in range(DHASH_BANDS)]


def _flipped(bits: int) -> st.SearchStrategy[frozenset[int]]:
    return st.frozensets(st.integers(min_value=0, max_value=63), min_size=bits, max_size=bits)


@st.composite
def _archive_hash(draw: st.DrawFn, query: int) -> int | None:
    """A photo's dHash as an archive holds them near a query: none yet, random, a few bits off
    (8 and 9 among them), or equal on one band only."""
    kind = draw(st.sampled_from(["none", "random", "near", "boundary", "one band"]))
    if kind == "none":
        return None
    if kind == "random":
        return draw(HASH_BITS)
    if kind == "one band":
        band = draw(st.integers(min_value=0, max_value=DHASH_BANDS - 1))
        return query & BAND_MASKS[band] | draw(HASH_BITS) & ~BAND_MASKS[band] & (2**64 - 1)
    distance = draw(
        st.sampled_from([NEAR, NEAR + 1]) if kind == "boundary" else st.integers(0, NEAR + 4)
    )
    return query ^ sum(1 << bit for bit in draw(_flipped(distance)))


@st.composite
def _archives(draw: st.DrawFn) -> tuple[int, list[tuple[int, bool, int | None]]]:
    """A query hash, and the other photos: (property 0 = the checked photo's, 1 or 2; the same
    bytes or not; dHash). Clustered around the query, or around another picture."""
    query = draw(HASH_BITS)
    centre = draw(st.sampled_from([query, draw(HASH_BITS)]))
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.booleans(), _archive_hash(centre)),
            max_size=25,
        )
    )
    return query, rows


@pytest.fixture
def properties(db) -> list[Property]:
    """The checked photo's property, and two others."""
    first = PropertyFactory.create()
    return [first, PropertyFactory.create(owner=first.owner), PropertyFactory.create()]


def _photo(property: Property, sha256: str, dhash: int | None) -> Photo:
    photo = Photo(
        property=property,
        category="FRONT",
        uploaded_by=property.owner,
        file="photos/original",
        content_type="image/jpeg",
        size=1,
        sha256=sha256,
    )
    if dhash is not None:
        photo.dhash = dhash_to_hex(dhash)
        for name, value in dhash_columns(dhash).items():
            setattr(photo, name, value)
    return photo


def _every_candidate(photo: Photo) -> list[DuplicateCandidate]:
    """The full comparison the indexed lookup replaced: every other photo with the same bytes or
    a picture hash, in the order the archive holds them."""
    rows = (
        Photo.objects.exclude(pk=photo.pk)
        .filter(Q(sha256=photo.sha256) | ~Q(dhash=""))
        .values_list("sha256", "dhash", "property_id")
    )
    return [
        DuplicateCandidate(
            sha256=sha256,
            dhash=dhash_from_hex(dhash) if dhash else None,
            property_id=str(property_id),
            same_property=property_id == photo.property_id,
        )
        for sha256, dhash, property_id in rows
    ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(archive=_archives())
def test_it_gives_the_verdict_of_the_full_comparison(properties, archive):
    query, rows = archive
    note(f"query {query:016x}: {[(p, same, h and f'{h:016x}') for p, same, h in rows]}")
    with transaction.atomic():
        photos = Photo.objects.bulk_create(
            [
                _photo(properties[index], SHA if same_bytes else f"{number:064x}", dhash)
                for number, (index, same_bytes, dhash) in enumerate(rows)
            ]
            + [_photo(properties[0], SHA, None)]
        )
        checked = photos[-1]
        indexed = photo_reuse_candidates(checked, query, NEAR)
        full = _every_candidate(checked)
        transaction.set_rollback(True)

    assert len(indexed) <= 4
    assert check_duplicate(SHA, query, indexed, Thresholds()) == check_duplicate(
        SHA, query, full, Thresholds()
    )


@pytest.mark.parametrize("archive_size", [5, 300])
def test_it_looks_up_in_one_query_and_reads_a_few_rows_whatever_the_archive(
    properties, archive_size, django_assert_num_queries
):
    query = 0x0123_4567_89AB_CDEF
    Photo.objects.bulk_create(
        [
            _photo(properties[number % 3], f"{number:064x}", number * 0x9E37_79B9_7F4A_7C15 % 2**64)
            for number in range(archive_size)
        ]
        + [
            _photo(properties[1], SHA, query ^ 0b111),
            _photo(properties[2], "6" * 64, query ^ 0b1111_1111),
            _photo(properties[0], SHA, None),
        ]
    )
    checked = PhotoFactory.create(property=properties[0], sha256=SHA)

    with django_assert_num_queries(1):
        candidates = photo_reuse_candidates(checked, query, NEAR)

    assert len(candidates) == 3
    assert check_duplicate(SHA, query, candidates, Thresholds()) == check_duplicate(
        SHA, query, _every_candidate(checked), Thresholds()
    )


@given(first=HASH_BITS, second=HASH_BITS)
def test_the_bands_deal_out_every_bit_once(first, second):
    assert sum(DHASH_BAND_BITS) == 64
    assert all(
        0 <= band < 2**width
        for band, width in zip(dhash_bands(first), DHASH_BAND_BITS, strict=True)
    )
    assert hamming(first, second) == sum(
        hamming(one, other)
        for one, other in zip(dhash_bands(first), dhash_bands(second), strict=True)
    )


@given(value=st.integers(0, 2**22 - 1), radius=st.integers(0, 3))
def test_a_bands_neighbours_are_every_value_within_the_radius_once(value, radius):
    neighbours = band_neighbours(value, 22, radius)
    assert len(set(neighbours)) == len(neighbours)
    assert all(hamming(value, near) <= radius for near in neighbours)
    # All of them: sum of C(22, k) for k <= radius.
    assert len(neighbours) == [1, 23, 254, 1794][radius]


def test_the_migration_fills_the_band_columns_of_checked_photos_in_batches(properties, monkeypatch):
    migration = importlib.import_module("photos.migrations.0004_photo_dhash_bands")
    monkeypatch.setattr(migration, "BATCH", 3)
    hashes = [0, 2**64 - 1, 0x8000_0000_0000_0001, 0x0F0F_F0F0_1234_5678, None, 7, 2**63]
    photos = Photo.objects.bulk_create(
        [_photo(properties[0], f"{n:064x}", dhash) for n, dhash in enumerate(hashes)]
    )
    Photo.objects.update(dhash_bits=None, dhash_band_0=None, dhash_band_1=None, dhash_band_2=None)

    migration.fill_dhash_columns(
        importlib.import_module("django.apps").apps, SimpleNamespace(connection=connection)
    )

    for photo, dhash in zip(photos, hashes, strict=True):
        photo.refresh_from_db()
        expected = dict.fromkeys(dhash_columns(0), None) if dhash is None else dhash_columns(dhash)
        assert {name: getattr(photo, name) for name in expected} == expected
