from typing import Any

import phonenumbers
from phonenumber_field.serializerfields import PhoneNumberField
from phonenumbers import PhoneNumberType
from rest_framework import serializers

from accounts.models import User
from propflow.errors import ErrorCode

_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


class MobilePhoneField(PhoneNumberField):  # type: ignore[misc]  # untyped library
    """A valid number, normalised to E.164, that can receive an SMS; refused as
    ``invalid_phone`` otherwise."""

    default_error_messages = {"not_mobile": "Enter a mobile phone number: it must receive SMS."}

    def to_internal_value(self, data: object) -> str:
        try:
            number = super().to_internal_value(data)
        except serializers.ValidationError as error:
            raise serializers.ValidationError(
                [str(message) for message in error.detail], code=ErrorCode.INVALID_PHONE
            ) from error
        if phonenumbers.number_type(number) not in _MOBILE_TYPES:
            raise serializers.ValidationError(
                self.error_messages["not_mobile"], code=ErrorCode.INVALID_PHONE
            )
        return str(number.as_e164)


class OtpRequestInputSerializer(serializers.Serializer[None]):
    phone = MobilePhoneField()


class OtpRequestOutputSerializer(serializers.Serializer[dict[str, Any]]):
    detail = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds until the code expires.")


class OtpVerifyInputSerializer(serializers.Serializer[None]):
    phone = MobilePhoneField()
    code = serializers.RegexField(r"^\d{6}$", error_messages={"invalid": "Enter the 6-digit code."})


class UserOutputSerializer(serializers.ModelSerializer[User]):
    phone = serializers.CharField(source="phone.as_e164", read_only=True)

    class Meta:
        model = User
        fields = ("id", "phone", "name", "role")
        read_only_fields = fields


class TokenPairOutputSerializer(serializers.Serializer[dict[str, Any]]):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserOutputSerializer()


class LogoutInputSerializer(serializers.Serializer[None]):
    refresh = serializers.CharField()


class TokenRefreshOutputSerializer(serializers.Serializer[dict[str, Any]]):
    access = serializers.CharField()
    refresh = serializers.CharField()
