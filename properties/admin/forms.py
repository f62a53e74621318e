"""The forms of the workflow's pages: what each staff action asks for before it is taken."""

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminDateWidget

from accounts.models import User
from accounts.selectors import agents
from properties.workflow import Action


class TransitionForm(forms.Form):
    """Parses what a workflow action needs. The rules (a reason is required, a valuation must be
    positive) are the service's, so that its refusal is the one message a reviewer sees."""

    def transition_arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class AssignForm(TransitionForm):
    # Required here: choosing the agent is what the page is for.
    agent = forms.ModelChoiceField(queryset=agents(active_only=True))
    due_date = forms.DateField(
        required=False,
        widget=AdminDateWidget,
        help_text=f"Empty: in {settings.PROPERTY_DEFAULT_DUE_DAYS} days.",
    )

    def transition_arguments(self) -> dict[str, Any]:
        agent: User = self.cleaned_data["agent"]
        due_date: date | None = self.cleaned_data["due_date"]
        return {"agent_id": agent.pk, "due_date": due_date}


class ReasonForm(TransitionForm):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ApproveForm(TransitionForm):
    valuation_amount = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label="Valuation amount (INR)"
    )
    valuation_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


# The staff's actions in the workflow table, each with its button label and form.
WORKFLOW_FORMS: dict[Action, tuple[str, type[TransitionForm]]] = {
    Action.ASSIGN: ("Assign agent", AssignForm),
    Action.REQUEST_REVISION: ("Request revision", ReasonForm),
    Action.APPROVE: ("Approve with valuation", ApproveForm),
    Action.REJECT: ("Reject", ReasonForm),
}
