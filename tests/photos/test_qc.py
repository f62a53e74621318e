import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from photos.exif import GpsFix, PhotoMetadata
from photos.imaging import analyse
from photos.provenance import ContentCredentials
from photos.qc import (
    CHECK_NAMES,
    DUPLICATE_ELSEWHERE_DETAIL,
    CheckResult,
    DuplicateCandidate,
    Thresholds,
    capture_instant,
    check_capture_time,
    check_duplicate,
    check_gps_distance,
    check_gps_present,
    check_provenance,
    check_resolution,
    check_sharpness,
    haversine_km,
    overall_status,
    qc_checks_for,
    run_checks,
)
from tests.support.images import make_jpeg

PROPERTY = (12.9716, 77.5946)
KM_PER_DEGREE_OF_LATITUDE = 6371.0088 * 3.141592653589793 / 180
IST = timezone(timedelta(hours=5, minutes=30))
UPLOADED_AT = datetime(2024, 5, 10, 12, 0, tzinfo=IST)
WINDOW_START = datetime(2024, 5, 8, 9, 0, tzinfo=IST)
THRESHOLDS = Thresholds()
SHA = "a" * 64


def _north_of_property(km, accuracy_m=None):
    return GpsFix(
        lat=PROPERTY[0] + km / KM_PER_DEGREE_OF_LATITUDE,
        lon=PROPERTY[1],
        alt=None,
        accuracy_m=accuracy_m,
    )


def _metadata(**changes):
    metadata = PhotoMetadata(
        format="JPEG",
        content_type="image/jpeg",
        width=4032,
        height=3024,
        orientation=1,
        make="Google",
        model="Pixel 8",
        taken_at="2024-05-10T09:30:00",
        offset="+05:30",
        gps=_north_of_property(0.1, accuracy_m=5.0),
        gps_problem=None,
    )
    return replace(metadata, **changes)


def test_it_measures_great_circle_distances():
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.19508, abs=1e-5)
    assert haversine_km(*PROPERTY, *PROPERTY) == 0.0
    assert haversine_km(51.5007, -0.1246, 40.6892, -74.0445) == pytest.approx(5574.8, abs=0.1)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(20015.1, abs=0.1)


def test_it_passes_a_usable_position():
    assert check_gps_present(_metadata()) == CheckResult(
        "gps_present", "pass", "position 12.972499, 77.594600 (accuracy 5 m)"
    )


def test_it_fails_a_missing_or_unusable_position():
    missing = check_gps_present(_metadata(gps=None))
    unusable = check_gps_present(_metadata(gps=None, gps_problem="GPS latitude is missing"))

    assert missing == CheckResult("gps_present", "fail", "no GPS position in the photo")
    assert unusable == CheckResult("gps_present", "fail", "unusable GPS: GPS latitude is missing")


@pytest.mark.parametrize(
    ("km", "accuracy_m", "result", "detail"),
    [
        (0.49, None, "pass", "0.49 km from the property (limit 0.50 km)"),
        (0.49, 200.0, "pass", "0.49 km from the property (limit 0.50 km)"),
        (
            0.59,
            100.0,
            "warn",
            "0.59 km from the property: beyond the 0.50 km limit but within the photo's "
            "reported accuracy of 100 m",
        ),
        (
            0.61,
            100.0,
            "fail",
            "0.61 km from the property (limit 0.50 km + 100 m reported accuracy)",
        ),
        (0.51, None, "fail", "0.51 km from the property (limit 0.50 km)"),
        (0.51, 0.0, "fail", "0.51 km from the property (limit 0.50 km)"),
    ],
)
def test_it_checks_the_distance_with_the_photos_accuracy(km, accuracy_m, result, detail):
    gps = _north_of_property(km, accuracy_m)

    assert check_gps_distance(gps, *PROPERTY, THRESHOLDS) == CheckResult(
        "gps_distance", result, detail
    )


def test_it_fails_the_distance_of_a_photo_without_position():
    assert check_gps_distance(None, *PROPERTY, THRESHOLDS) == CheckResult(
        "gps_distance", "fail", "no GPS position to compare with the property"
    )


def test_it_warns_when_the_property_has_no_position():
    assert check_gps_distance(_north_of_property(0.1), None, None, THRESHOLDS) == CheckResult(
        "gps_distance", "warn", "the property has no position to compare with"
    )


def _capture(taken_at, offset=None, time_zone="Asia/Kolkata"):
    return check_capture_time(
        taken_at,
        offset,
        time_zone=time_zone,
        window_start=WINDOW_START,
        uploaded_at=UPLOADED_AT,
        thresholds=THRESHOLDS,
    )


@pytest.mark.parametrize(
    ("taken_at", "offset", "result", "detail"),
    [
        (
            "2024-05-10T09:00:00",
            None,
            "pass",
            "taken 2024-05-10 09:00 +0530, 3 h 00 min before the upload",
        ),
        (
            "2024-05-10T12:04:00",
            None,
            "pass",
            "taken 2024-05-10 12:04 +0530, 0 h 00 min before the upload",
        ),
        (
            "2024-05-10T12:06:00",
            None,
            "fail",
            "taken 2024-05-10 12:06 +0530, 0 h 06 min after the upload: in the future",
        ),
        (
            "2024-05-08T09:00:00",
            None,
            "pass",
            "taken 2024-05-08 09:00 +0530, 51 h 00 min before the upload",
        ),
        (
            "2024-05-08T08:59:00",
            None,
            "fail",
            "taken 2024-05-08 08:59 +0530, before the inspection window opened "
            "(2024-05-08 09:00 +0530)",
        ),
        (
            "2024-05-10T07:00:00",
            "+00:00",
            "fail",
            "taken 2024-05-10 07:00 +0000, 0 h 30 min after the upload: in the future",
        ),
        (
            "2024-05-10T06:00:00",
            "+00:00",
            "pass",
            "taken 2024-05-10 06:00 +0000, 0 h 30 min before the upload",
        ),
    ],
    ids=[
        "in-window",
        "within-clock-skew",
        "future",
        "at-window-start",
        "before-window",
        "own-offset-future",
        "own-offset-past",
    ],
)
def test_it_checks_the_capture_time_as_an_instant(taken_at, offset, result, detail):
    assert _capture(taken_at, offset) == CheckResult("capture_time", result, detail)


def test_it_fails_a_photo_older_than_the_age_limit():
    window_start = UPLOADED_AT - timedelta(days=30)

    def check(taken_at):
        return check_capture_time(
            taken_at,
            "+05:30",
            time_zone="Asia/Kolkata",
            window_start=window_start,
            uploaded_at=UPLOADED_AT,
            thresholds=THRESHOLDS,
        )

    assert check("2024-05-07T12:00:00").result == "pass"
    assert check("2024-05-07T11:59:00") == CheckResult(
        "capture_time",
        "fail",
        "taken 2024-05-07 11:59 +0530, 72 h 01 min before the upload (limit 72 h)",
    )


def test_a_photo_taken_in_the_second_the_window_opened_is_inside_it():
    # Cameras write whole seconds; the assignment's start has microseconds.
    opened = datetime(2024, 5, 10, 9, 0, 0, 600_000, tzinfo=IST)

    def check(taken_at):
        return check_capture_time(
            taken_at,
            "+05:30",
            time_zone="Asia/Kolkata",
            window_start=opened,
            uploaded_at=UPLOADED_AT,
            thresholds=THRESHOLDS,
        ).result

    assert (check("2024-05-10T09:00:00"), check("2024-05-10T08:59:59")) == ("pass", "fail")


def test_it_warns_without_a_capture_time():
    assert _capture(None) == CheckResult("capture_time", "warn", "no capture time in the photo")


def test_it_reads_a_capture_time_in_the_property_time_zone_without_an_offset():
    assert capture_instant("2024-05-10T09:00:00", None, "Asia/Kolkata") == datetime(
        2024, 5, 10, 3, 30, tzinfo=UTC
    )
    assert capture_instant("2024-05-10T09:00:00", "-04:00", "Asia/Kolkata") == datetime(
        2024, 5, 10, 13, 0, tzinfo=UTC
    )
    assert _capture("2024-05-10T09:00:00", time_zone="Asia/Kolkata").result == "pass"
    assert _capture("2024-05-10T09:00:00", time_zone="UTC").result == "fail"


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        check_capture_time(
            "2024-05-10T09:00:00",
            None,
            time_zone="Asia/Kolkata",
            window_start=datetime(2024, 5, 8),
            uploaded_at=UPLOADED_AT,
            thresholds=THRESHOLDS,
        )


@pytest.mark.parametrize(
    ("width", "height", "result"),
    [
        (1280, 960, "pass"),
        (960, 1280, "pass"),
        (4032, 3024, "pass"),
        (1279, 960, "fail"),
        (1280, 959, "fail"),
        (959, 1280, "fail"),
    ],
)
def test_it_checks_the_resolution_in_either_orientation(width, height, result):
    assert check_resolution(width, height, THRESHOLDS) == CheckResult(
        "resolution", result, f"{width}x{height} (minimum 1280x960)"
    )


OTHER = "5d0f3e1c-2b7a-4c8e-9f10-6a2b3c4d5e6f"  # another property
ANOTHER = "7e1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"  # and a third


def _candidate(sha256=SHA, dhash=None, same_property=False, property_id=OTHER):
    return DuplicateCandidate(
        sha256=sha256,
        dhash=dhash,
        property_id="this" if same_property else property_id,
        same_property=same_property,
    )


NEAR = (1 << THRESHOLDS.dhash_near_distance) - 1  # exactly the threshold's number of bits set
FAR = (1 << (THRESHOLDS.dhash_near_distance + 1)) - 1
PASS_DETAIL = "no photo on file has the same bytes or a picture within 8 of 64 hash bits"


@pytest.mark.parametrize(
    ("candidates", "result", "detail", "related"),
    [
        ([], "pass", PASS_DETAIL, None),
        (
            [_candidate("b" * 64, FAR), _candidate("c" * 64, FAR, True), _candidate("d" * 64)],
            "pass",
            PASS_DETAIL,
            None,
        ),
        ([_candidate()], "fail", f"the same file as a photo of property {OTHER}", OTHER),
        (
            [_candidate("b" * 64, NEAR)],
            "fail",
            f"near-identical to a photo of property {OTHER} (8 of 64 hash bits differ)",
            OTHER,
        ),
        (
            [_candidate(same_property=True)],
            "warn",
            "the same file as another photo of this property",
            None,
        ),
        (
            [_candidate("b" * 64, NEAR, True), _candidate("c" * 64, 1, True)],
            "warn",
            "near-identical to another photo of this property (1 of 64 hash bits differ)",
            None,
        ),
        (
            [_candidate(same_property=True), _candidate("b" * 64, NEAR)],
            "fail",
            f"near-identical to a photo of property {OTHER} (8 of 64 hash bits differ)",
            OTHER,
        ),
        (
            [_candidate("b" * 64, NEAR), _candidate("c" * 64, 1, property_id=ANOTHER)],
            "fail",
            f"near-identical to a photo of property {ANOTHER} (1 of 64 hash bits differ)",
            ANOTHER,
        ),
    ],
    ids=[
        "none",
        "others-far",
        "same-bytes-elsewhere",
        "near-elsewhere",
        "same-bytes-here",
        "near-here",
        "elsewhere-wins",
        "nearest-elsewhere-named",
    ],
)
def test_it_checks_duplicates_by_bytes_and_by_picture(candidates, result, detail, related):
    assert check_duplicate(SHA, 0, candidates, THRESHOLDS) == CheckResult(
        "duplicate", result, detail, related
    )


STORED = [
    {"name": "resolution", "result": "pass", "detail": "1600x1200 (minimum 1280x960)"},
    {
        "name": "duplicate",
        "result": "fail",
        "detail": f"the same file as a photo of property {OTHER}",
        "related_property_id": OTHER,
    },
]


def test_staff_read_the_checks_as_stored():
    assert qc_checks_for(STORED, staff=True) == STORED


@pytest.mark.parametrize(
    "duplicate",
    [
        STORED[1],
        # As stored before the other property was named; its detail told of another property.
        {
            "name": "duplicate",
            "result": "fail",
            "detail": "the same file as a photo of another property",
        },
    ],
    ids=["named", "stored-before"],
)
def test_others_read_a_duplicate_of_another_property_without_it(duplicate):
    assert qc_checks_for([STORED[0], duplicate], staff=False) == [
        STORED[0],
        {"name": "duplicate", "result": "fail", "detail": DUPLICATE_ELSEWHERE_DETAIL},
    ]


def test_others_read_a_duplicate_within_the_property_as_it_is():
    here = {
        "name": "duplicate",
        "result": "warn",
        "detail": "the same file as another photo of this property",
    }

    assert qc_checks_for([here], staff=False) == [here]


@pytest.mark.parametrize(
    ("variance", "result", "detail"),
    [
        (60.0, "pass", "sharp (variance 60, minimum 60)"),
        (59.4, "warn", "blurry (variance 59, minimum 60)"),
    ],
)
def test_it_warns_about_blurry_photos(variance, result, detail):
    assert check_sharpness(variance, THRESHOLDS) == CheckResult("sharpness", result, detail)


def test_it_takes_the_worst_result_as_the_status():
    def results(*outcomes):
        return [CheckResult("check", outcome, "") for outcome in outcomes]

    assert overall_status(results("pass", "pass")) == "PASS"
    assert overall_status(results("pass", "warn", "pass")) == "WARN"
    assert overall_status(results("warn", "fail", "pass")) == "FAIL"
    assert overall_status([]) == "PASS"


def test_it_serialises_a_check():
    assert CheckResult("resolution", "fail", "640x480 (minimum 1280x960)").as_dict() == {
        "name": "resolution",
        "result": "fail",
        "detail": "640x480 (minimum 1280x960)",
    }


def _run(data, candidates=()):
    analysis = analyse(io.BytesIO(data))
    return run_checks(
        metadata=analysis.metadata,
        property_lat=PROPERTY[0],
        property_lon=PROPERTY[1],
        window_start=WINDOW_START,
        uploaded_at=UPLOADED_AT,
        sha256=SHA,
        dhash=analysis.dhash,
        candidates=list(candidates),
        sharpness=analysis.sharpness,
        credentials=None,
        thumbnail_distance=None,
    )


def test_it_passes_a_good_photo_on_every_check_in_order():
    data = make_jpeg(
        1600,
        1200,
        gps=(PROPERTY[0] + 0.001, PROPERTY[1]),
        accuracy_m=5.0,
        taken_at="2024-05-10T11:00:00",
        offset="+05:30",
    )

    checks = _run(data)

    assert [(check.name, check.result) for check in checks] == [
        ("gps_present", "pass"),
        ("gps_distance", "pass"),
        ("capture_time", "pass"),
        ("resolution", "pass"),
        ("duplicate", "pass"),
        ("sharpness", "pass"),
        ("provenance", "pass"),
    ]
    assert tuple(check.name for check in checks) == CHECK_NAMES
    assert overall_status(checks) == "PASS"


def test_it_fails_a_small_blurry_photo_without_gps_reused_from_another_property():
    data = make_jpeg(640, 480, content="blurry")
    reused = analyse(io.BytesIO(data)).dhash

    checks = _run(data, [_candidate("b" * 64, reused)])

    assert {check.name: check.result for check in checks} == {
        "gps_present": "fail",
        "gps_distance": "fail",
        "capture_time": "warn",
        "resolution": "fail",
        "duplicate": "fail",
        "sharpness": "warn",
        "provenance": "pass",
    }
    assert overall_status(checks) == "FAIL"


# --- provenance -------------------------------------------------------------------------------

CAPTURE = ContentCredentials(
    validation="trusted",
    signer="Google LLC",
    generator="Pixel Camera 1.0",
    signed_at="2026-11-30T10:02:00+05:30",
    actions=("c2pa.created",),
    camera_capture=True,
)


@pytest.mark.parametrize(
    ("credentials", "result", "detail"),
    [
        (
            CAPTURE,
            "pass",
            "Signed at capture by Google LLC (Pixel Camera 1.0), 2026-11-30 10:02 +05:30",
        ),
        (
            replace(CAPTURE, validation="valid", failures=("signingCredential.untrusted",)),
            "warn",
            "Signed by Google LLC (Pixel Camera 1.0), 2026-11-30 10:02 +05:30, but the signer "
            "is not trusted",
        ),
        (
            replace(CAPTURE, actions=("c2pa.created", "c2pa.cropped", "c2pa.edited")),
            "warn",
            "Signed by Google LLC (Pixel Camera 1.0), 2026-11-30 10:02 +05:30, but edited "
            "after capture: c2pa.cropped, c2pa.edited",
        ),
        (
            replace(
                CAPTURE,
                validation="valid",
                signer=None,
                generator=None,
                signed_at=None,
                camera_capture=False,
                actions=("c2pa.opened",),
            ),
            "warn",
            "Signed by an unnamed signer, but the signer is not trusted; no camera capture "
            "recorded; edited after capture: c2pa.opened",
        ),
        (
            replace(CAPTURE, validation="invalid", failures=("assertion.dataHash.mismatch",)),
            "fail",
            "The file was changed after it was signed (assertion.dataHash.mismatch)",
        ),
        (
            replace(CAPTURE, validation="invalid", failures=("claimSignature.mismatch",)),
            "fail",
            "The Content Credentials do not validate (claimSignature.mismatch)",
        ),
        (
            replace(CAPTURE, ai_generated=True),
            "fail",
            "Declared AI-generated or composited with AI (Google LLC (Pixel Camera 1.0), "
            "2026-11-30 10:02 +05:30)",
        ),
        (
            ContentCredentials(validation="remote"),
            "warn",
            "Content Credentials stored remotely: not fetched, so not verified",
        ),
    ],
)
def test_credentials_decide_the_provenance(credentials, result, detail):
    # Credentials decide: the editor named in EXIF and a stray thumbnail are not looked at.
    check = check_provenance(
        credentials, software="Adobe Photoshop 26.0", thumbnail_distance=40, thresholds=THRESHOLDS
    )

    assert check == CheckResult("provenance", result, detail)


@pytest.mark.parametrize(
    ("software", "distance", "result", "detail"),
    [
        ("", None, "pass", "No Content Credentials; no edit traces"),
        ("HDR+ 1.0.199571065z", 3, "pass", "No Content Credentials; no edit traces"),
        ("", 12, "pass", "No Content Credentials; no edit traces"),
        ("GIMP 2.10", None, "warn", "Edited in GIMP 2.10"),
        (
            "",
            13,
            "warn",
            "The embedded EXIF thumbnail no longer matches the picture (13 of 64 hash bits "
            "differ, limit 12)",
        ),
        (
            "Snapseed 2.0",
            30,
            "warn",
            "Edited in Snapseed 2.0; the embedded EXIF thumbnail no longer matches the picture "
            "(30 of 64 hash bits differ, limit 12)",
        ),
    ],
)
def test_without_credentials_edit_traces_decide(software, distance, result, detail):
    check = check_provenance(
        None, software=software, thumbnail_distance=distance, thresholds=THRESHOLDS
    )

    assert check == CheckResult("provenance", result, detail)
