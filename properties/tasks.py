"""Property tasks: thin, ids in, a service call each."""

from photos.tasks import storage_task
from propflow.sms import sms_task


@sms_task("properties.notify_agent")
def notify_agent(*, status_change_id: int) -> None:
    """Texts the agent about an assignment or a revision request (see
    properties.services.property_notify_agent); retries with backoff while the SMS provider
    refuses it."""
    # Imported here, because the services import this module to queue the task.
    from properties.services import property_notify_agent

    property_notify_agent(status_change_id=status_change_id)


# Safe to run again: a property with a report keeps it, and two makers keep one.
@storage_task("properties.make_report")
def make_report(*, property_id: str) -> None:
    """Makes and keeps the valued property's report (see
    properties.reports.property_report_make); retries with backoff while storage fails
    transiently."""
    from properties.reports import property_report_make

    property_report_make(property_id=property_id)
