"""The event log: one row per event, with the audience it was computed for when written."""

from django.conf import settings
from django.db import models
from django.utils import timezone

EVENT_ID_PREFIX = "evt_"
EVENT_ID_DIGITS = 16


class Event(models.Model):
    """An event as it was told: its payload for the property's owner and agent, and for staff
    (the same unless staff hear more), and who heard it. ``seq`` follows commit order
    (``outbox.services.event_record``); its public id is ``event_public_id(seq)``."""

    seq = models.BigAutoField(primary_key=True)
    type = models.CharField(max_length=64)
    property = models.ForeignKey("properties.Property", on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The agent assigned when the event was written: it hears this event, whatever comes later.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    payload = models.JSONField()
    # What staff hear, when it is more than the payload (a QC result's duplicate details).
    staff_payload = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "seq"], name="event_owner_seq"),
            models.Index(fields=["agent", "seq"], name="event_agent_seq"),
            models.Index(fields=["created_at"], name="event_created_at"),
        ]

    def __str__(self) -> str:
        return f"{event_public_id(self.seq)} {self.type}"


def event_public_id(seq: int) -> str:
    """A string that sorts as the sequence does: fixed width, zero-padded."""
    return f"{EVENT_ID_PREFIX}{seq:0{EVENT_ID_DIGITS}d}"


def event_seq(public_id: str) -> int | None:
    """The sequence number of a public id, or None when it is not one."""
    digits = public_id.removeprefix(EVENT_ID_PREFIX)
    if (
        digits == public_id
        or len(digits) != EVENT_ID_DIGITS
        or not digits.isascii()
        or not digits.isdigit()
    ):
        return None
    return int(digits)
