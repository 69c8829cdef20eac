"""The simulated staff of each office, LEA and DOJ district, created the first time they act, and cached lookups
of reference rows. Shared by the engine and the demo's staging (``simulation.staging``)."""

from __future__ import annotations

import random
import re

from holdtrack.accounts.models import Organization, Role, User
from holdtrack.accounts.services import organization_doj, organization_for_aor, organization_for_lea, system_user
from holdtrack.accounts.services import user_ensure as _user_ensure
from holdtrack.jurisdictions.models import AreaOfResponsibility, Facility, LawEnforcementAgency
from holdtrack.simulation.people import staff_name
from holdtrack.simulation.planner import LeaInfo


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Staff:
    def __init__(self) -> None:
        self.sysuser = system_user()
        self._users: dict[str, User] = {}
        self._lea_objs: dict[int, LawEnforcementAgency] = {}
        self._facilities: dict[int, Facility] = {}
        self._offices: dict[int, Organization] = {}

    def lea_obj(self, pk: int) -> LawEnforcementAgency:
        if pk not in self._lea_objs:
            self._lea_objs[pk] = LawEnforcementAgency.objects.select_related("jurisdiction").get(pk=pk)
        return self._lea_objs[pk]

    def facility(self, pk: int) -> Facility:
        if pk not in self._facilities:
            self._facilities[pk] = Facility.objects.select_related("operator").get(pk=pk)
        return self._facilities[pk]

    def _user(self, username: str, role: str, org: Organization, title: str = "", authority: str = "") -> User:
        if username not in self._users:
            first, last = staff_name(random.Random(username))
            self._users[username] = _user_ensure(
                actor=self.sysuser,
                username=username,
                role=role,
                organization=org,
                first_name=first,
                last_name=last,
                title=title,
                subpoena_authority=authority,
            )
        return self._users[username]

    def office(self, lea: LeaInfo) -> Organization:
        if lea.aor_id not in self._offices:
            self._offices[lea.aor_id] = organization_for_aor(AreaOfResponsibility.objects.get(pk=lea.aor_id))
        return self._offices[lea.aor_id]

    def office_staff(self, lea: LeaInfo) -> tuple[User, User, User]:
        """Officer, supervisor (an authorized subpoena signer) and counsel of the LEA's field office, created
        together the first time the office acts."""
        slug = _slug(lea.aor_name)
        if f"sim-{slug}-officer" not in self._users:
            org = self.office(lea)
            self._user(f"sim-{slug}-officer", Role.AGENCY_OFFICER, org, "Deportation Officer")
            self._user(
                f"sim-{slug}-supervisor",
                Role.AGENCY_SUPERVISOR,
                org,
                "Field Office Director",
                "Field Office Director, 8 CFR 287.4(a)(1)",
            )
            self._user(f"sim-{slug}-counsel", Role.AGENCY_COUNSEL, org, "Assistant Chief Counsel")
        users = self._users
        return users[f"sim-{slug}-officer"], users[f"sim-{slug}-supervisor"], users[f"sim-{slug}-counsel"]

    def officer(self, lea: LeaInfo) -> User:
        return self.office_staff(lea)[0]

    def supervisor(self, lea: LeaInfo) -> User:
        return self.office_staff(lea)[1]

    def agency_counsel(self, lea: LeaInfo) -> User:
        return self.office_staff(lea)[2]

    def lea_staff(self, lea: LeaInfo) -> tuple[User, User]:
        """Booking clerk and counsel of the LEA, created together the first time the LEA acts."""
        clerk, counsel = f"sim-{lea.ori.lower()}-clerk", f"sim-{lea.ori.lower()}-counsel"
        if clerk not in self._users:
            org = organization_for_lea(self.lea_obj(lea.pk))
            self._user(clerk, Role.LEA_BOOKING, org, "Booking Officer")
            self._user(counsel, Role.LEA_COUNSEL, org, "Agency Counsel")
        return self._users[clerk], self._users[counsel]

    def clerk(self, lea: LeaInfo) -> User:
        return self.lea_staff(lea)[0]

    def lea_counsel(self, lea: LeaInfo) -> User:
        return self.lea_staff(lea)[1]

    def doj_attorney(self, district: str) -> User:
        key = f"sim-doj-{_slug(district)}"
        if key not in self._users:
            self._user(key, Role.DOJ_ATTORNEY, organization_doj(district), "Assistant United States Attorney")
        return self._users[key]
