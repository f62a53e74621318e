from typing import Any

import django_filters
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.selectors import request_user
from photos.api.serializers import (
    PhotoOutputSerializer,
    PhotoReviewInputSerializer,
    PhotoUploadInputSerializer,
)
from photos.models import Category, Photo, QcStatus, ReviewStatus
from photos.selectors import photo_get_for, property_photos
from photos.services import ReviewDecision, photo_review, photo_upload, upload_too_large_message
from propflow.errors import ErrorCode, InvalidInputError, PayloadTooLargeError
from propflow.negotiation import AnyAccept
from propflow.openapi import error_responses
from propflow.pagination import CursorPage
from propflow.routers import UUID_PATTERN

IDEMPOTENCY_KEY_MAX_LENGTH = 128  # Photo.idempotency_key
# Room for the multipart boundaries, part headers and the category field around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class PhotoPage(CursorPage):
    ordering = "created_at"


class PhotoFilter(django_filters.FilterSet):  # type: ignore[misc]  # untyped library
    category = django_filters.ChoiceFilter(choices=Category.choices)
    qc_status = django_filters.ChoiceFilter(choices=QcStatus.choices)
    review_status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = Photo
        fields = ("category", "qc_status", "review_status")


class PhotoUploadLimit(FileUploadHandler):
    """Refuses an upload over PHOTO_MAX_UPLOAD_BYTES as it streams in (413), by its declared
    length or else by the bytes received, instead of spooling all of it to disk first."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.PHOTO_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES:
            raise PayloadTooLargeError(
                upload_too_large_message(), code=ErrorCode.PHOTO_TOO_LARGE, field="file"
            )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > settings.PHOTO_MAX_UPLOAD_BYTES:
            raise PayloadTooLargeError(
                upload_too_large_message(), code=ErrorCode.PHOTO_TOO_LARGE, field="file"
            )
        return raw_data  # on to Django's own handlers, which keep it in memory or spool it

    def file_complete(self, file_size: int) -> None:
        return None


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not all("!" <= char <= "~" for char in key):
        raise InvalidInputError(
            f"Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII "
            "characters without spaces.",
            code=ErrorCode.INVALID_IDEMPOTENCY_KEY,
            field="Idempotency-Key",
        )
    return key


def _output(request: Request, photos: Any, *, many: bool = False) -> Any:
    return PhotoOutputSerializer(photos, many=many, context={"request": request}).data


class PropertyPhotosView(GenericAPIView[Photo]):
    """The photos of a property: list them, or upload one."""

    parser_classes = (MultiPartParser,)
    pagination_class = PhotoPage
    filter_backends = (DjangoFilterBackend,)
    filterset_class = PhotoFilter
    serializer_class = PhotoOutputSerializer
    queryset = Photo.objects.none()  # for the schema; requests use property_photos

    @extend_schema(
        operation_id="property_photos_list",
        summary="List a property's photos, in upload order",
        responses={200: PhotoOutputSerializer(many=True), **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, property_id: str) -> Response:
        photos = property_photos(user=request_user(request), property_id=property_id)
        page = self.paginate_queryset(self.filter_queryset(photos))
        assert page is not None
        return self.get_paginated_response(_output(request, page, many=True))

    @extend_schema(
        operation_id="property_photos_upload",
        summary="Upload a photo (the owner of a draft, the assigned agent while inspecting)",
        description="Answers 202 with the photo, QC pending. A retry with the same "
        "Idempotency-Key by the same user returns the first photo, never a second copy.",
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                # What _idempotency_key accepts (after trimming surrounding spaces).
                {
                    "type": "string",
                    "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
                    "pattern": "^[!-~]*$",
                },
                OpenApiParameter.HEADER,
                description="Any unique string per photo (e.g. a UUID), sent again on retries: "
                "at most 128 printable ASCII characters without spaces.",
            )
        ],
        request={"multipart/form-data": PhotoUploadInputSerializer},
        responses={
            202: PhotoOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 413, 415, 503),
        },
    )
    def post(self, request: Request, property_id: str) -> Response:
        django_request = request._request
        django_request.upload_handlers = [
            PhotoUploadLimit(django_request),
            *django_request.upload_handlers,
        ]
        idempotency_key = _idempotency_key(request)
        try:
            data = request.data
        except RequestDataTooBig as error:
            raise PayloadTooLargeError(
                "The form fields besides the file are too large.",
                code=ErrorCode.REQUEST_TOO_LARGE,
                field="category",
            ) from error
        body = PhotoUploadInputSerializer(data=data)
        body.is_valid(raise_exception=True)
        photo = photo_upload(
            actor=request_user(request),
            property_id=property_id,
            file=body.validated_data["file"],
            category=body.validated_data["category"],
            idempotency_key=idempotency_key,
        )
        return Response(_output(request, photo), status=status.HTTP_202_ACCEPTED)


class PhotoViewSet(viewsets.GenericViewSet[Photo]):
    """One photo, and a reviewer's decision on it."""

    lookup_value_regex = UUID_PATTERN
    serializer_class = PhotoOutputSerializer
    queryset = Photo.objects.none()  # for the schema; requests use photo_get_for

    @extend_schema(responses={200: PhotoOutputSerializer, **error_responses(401, 404)})
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_output(request, photo_get_for(user=request_user(request), photo_id=pk)))

    @extend_schema(
        summary="Approve, reject (reason) or ask for a re-shoot (reason) (staff)",
        request=PhotoReviewInputSerializer,
        responses={200: PhotoOutputSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        body = PhotoReviewInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        photo = photo_review(
            actor=request_user(request),
            photo_id=pk,
            decision=ReviewDecision(body.validated_data["decision"]),
            reason=body.validated_data["reason"],
        )
        return Response(_output(request, photo))


class PhotoFileView(APIView):
    """A photo's original or preview, for whoever may see the photo: the URL the API gives
    on local storage (S3 gets signed URLs instead). The admin's pages use their session."""

    authentication_classes = (JWTAuthentication, SessionAuthentication)
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="photo_file",
        summary="The original file or the preview (JPEG) of a photo",
        parameters=[
            OpenApiParameter(
                "variant", OpenApiTypes.STR, OpenApiParameter.PATH, enum=("file", "preview")
            )
        ],
        responses={
            (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The image"),
            **error_responses(401, 404),
        },
    )
    def get(self, request: Request, pk: str, variant: str) -> FileResponse:
        photo = photo_get_for(user=request_user(request), photo_id=pk)
        field = photo.file if variant == "file" else photo.preview
        if not field.name:
            raise NotFound("This photo has no preview yet.")
        try:
            stream = field.storage.open(field.name, "rb")
        except FileNotFoundError as error:
            raise NotFound("The file is missing from storage.") from error
        response = FileResponse(
            stream,
            content_type=photo.content_type if variant == "file" else "image/jpeg",
            as_attachment=False,
        )
        # Only the user's own browser may keep it: another user may not see this photo.
        response["Cache-Control"] = "private, max-age=300"
        return response
