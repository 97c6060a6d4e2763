"""Operator roles and what each may do through the API: the permission matrix, as data.

Every operator token has one role. Every role reads everything; what differs is what it may
change. docs/security.md explains the matrix; ``openline.api.deps`` enforces it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DUTY_OFFICER = "duty-officer"
    PLANNER = "planner"
    ADMINISTRATOR = "administrator"


class Action(StrEnum):
    READ = "read"  # every GET: the node, journal, events, messages, notifications, conflicts
    SEND = "send"  # any message: templates (line-check included) or free text
    SEND_DECONFLICTION_REQUEST = "send-deconfliction-request"  # that one template only
    ACKNOWLEDGE = "acknowledge"  # a message, or an envelope received but not applied
    NOTIFY = "notify"  # create, revise and change the status of notifications
    REPORT_TRACKS = "report-tracks"  # post this party's track reports
    MANAGE_TOKENS = "manage-tokens"  # revoke operator tokens


DECONFLICTION_REQUEST = "deconfliction-request"

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.DUTY_OFFICER: frozenset(
        {
            Action.READ,
            Action.SEND,
            Action.SEND_DECONFLICTION_REQUEST,
            Action.ACKNOWLEDGE,
            Action.REPORT_TRACKS,
        }
    ),
    Role.PLANNER: frozenset({Action.READ, Action.SEND_DECONFLICTION_REQUEST, Action.NOTIFY}),
    Role.ADMINISTRATOR: frozenset(Action),
}

DESCRIPTIONS = {
    Action.READ: "reading",
    Action.SEND: "sending a message",
    Action.SEND_DECONFLICTION_REQUEST: "sending a deconfliction request",
    Action.ACKNOWLEDGE: "acknowledging a message or an envelope not applied",
    Action.NOTIFY: "creating or changing a notification",
    Action.REPORT_TRACKS: "reporting tracks",
    Action.MANAGE_TOKENS: "revoking operator tokens",
}


def may(role: Role, action: Action) -> bool:
    """Whether an operator of ``role`` may do ``action``."""
    return action in PERMISSIONS[role]


def roles_allowed(action: Action) -> list[Role]:
    """The roles that may do ``action``, in the order of ``Role``."""
    return [role for role in Role if may(role, action)]


def send_action(template: str | None) -> Action:
    """What sending a message of ``template`` (None: free text) asks permission for."""
    return Action.SEND_DECONFLICTION_REQUEST if template == DECONFLICTION_REQUEST else Action.SEND
