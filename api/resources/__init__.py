"""The API's resources, one module each. A new resource is a module here and a line below."""

from __future__ import annotations

from api.platform import Resource
from api.resources import applications, clients, deals, events, messages, registrations, users
from api.resources.questionnaires import resource as questionnaires_resource

RESOURCES: tuple[Resource, ...] = (
    clients.resource,
    users.resource,
    deals.resource,
    registrations.resource,
    events.resource,
    applications.resource,
    messages.resource,
    questionnaires_resource,
)
