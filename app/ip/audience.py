"""Who reads the `ip_registration.*` and `certificate.*` outbox events (the mechanism:
app/outbox/audience.py): as the registration and the certificate show themselves, the
roles that read everything, the merchants the events name (holder, applicant, the holder a
transfer came from), and whoever sees the registration now (`repository.visible_to`: under
public notice or certified) or the certificate (public, as `/v1/certificates/{number}`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Uuid, cast, exists

from app.core.principal import Principal
from app.ip import repository
from app.ip.models import IpRegistration
from app.outbox.audience import READS_EVERYTHING, Audience


def _sees_registration(who: Principal, subject_id: ColumnElement[str]) -> ColumnElement[bool]:
    """The registration `subject_id` is visible to `who`."""
    return exists().where(IpRegistration.id == cast(subject_id, Uuid), repository.visible_to(who))


def _sees_certificate(who: Principal, subject_id: ColumnElement[str]) -> ColumnElement[bool]:
    """The certificate numbered `subject_id` is public, as `/v1/certificates/{number}`
    shows it to anyone."""
    return exists().where(
        IpRegistration.certificate_number == subject_id, repository.visible_to(None)
    )


REGISTRATION = Audience("GET /v1/ip-registrations/{id}", READS_EVERYTHING, _sees_registration)
CERTIFICATE = Audience("GET /v1/certificates/{number}", READS_EVERYTHING, _sees_certificate)
