"""Property tasks: thin, ids in, a service call each."""

from propflow.sms import sms_task


@sms_task("properties.notify_agent")
def notify_agent(*, status_change_id: int) -> None:
    """Texts the agent about an assignment or a revision request (see
    properties.services.property_notify_agent); retries with backoff while the SMS provider
    refuses it."""
    # Imported here, because the services import this module to queue the task.
    from properties.services import property_notify_agent

    property_notify_agent(status_change_id=status_change_id)
