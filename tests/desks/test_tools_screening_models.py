"""The screening model page: versions, parameters and weights per level, the shadow figures on the officers'
decisions; for supervisors, auditors and administrators only, and without personal data."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse

from holdtrack.accounts.models import Role
from holdtrack.custody import services as cs
from holdtrack.custody.models import IdentityMatch
from holdtrack.screening import candidates as cand
from holdtrack.screening.learning import MIN_CONFIRMED_LABELS, LabelledPair, m_from_labels
from holdtrack.screening.services import screen_booking, screening_model_store, subject_keys
from holdtrack.simulation.registry import registry_build
from tests.factories import UserFactory
from tests.screening.factories_screening import booking_of, plain_model

pytestmark = pytest.mark.django_db
REGISTRY = 200


def _level(model: dict, comparison: str, label: str) -> dict:  # type: ignore[type-arg]
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == comparison)
    return next(lv for lv in comp["comparison_levels"] if lv.get("label_for_charts") == label)


@pytest.fixture
def models(world):  # type: ignore[no-untyped-def]
    people = [p for p in registry_build(size=REGISTRY, seed=9) if p.date_of_birth]
    first = screening_model_store(
        actor=world.supervisor, splink_model=plain_model(), version="fs-page-1", registry_size=REGISTRY
    )
    # Officers decide the proposals of two booked registry people: the right subject confirmed, others rejected.
    for p in people[:2]:
        b = booking_of(world, first=p.first_name, middle=p.middle_name, last=p.last_name, dob=p.date_of_birth,
                       sex=p.sex, country=p.birth_country)  # fmt: skip
        screen_booking(actor=world.booking_clerk, booking=b)
        for m in IdentityMatch.objects.filter(booking=b):
            cs.identity_match_review(actor=world.officer, match=m, confirm=m.subject_id == p.subject_id, reason="ok")
    # A second version whose m came from labelled pairs (built here from registry people, no database).
    pairs = [
        LabelledPair(i, True, cand.booking_rec(subject_keys(p)), cand.booking_rec(subject_keys(p)), True)
        for i, p in enumerate(people[: MIN_CONFIRMED_LABELS + 5])
    ]
    learned, report = m_from_labels(plain_model(), pairs)
    second = screening_model_store(
        actor=world.supervisor, splink_model=learned, version="fs-page-2", registry_size=REGISTRY,
        labels_report=report,
    )  # fmt: skip
    return first, second, people


def test_a_supervisor_sees_the_versions_and_the_shadow_recall(client, world, models):
    first, second, _people = models
    client.force_login(world.supervisor)
    html = client.get(reverse("tools:screening_models")).content.decode()
    assert first.version in html and second.version in html
    assert html.index(second.version) < html.index(first.version)  # newest first
    assert "officers' decisions" in html and "EM (unlabelled)" in html
    assert reverse("tools:screening_model", args=[second.pk]) in html


def test_the_model_page_shows_parameters_weights_and_figures_without_personal_data(client, world, models):
    first, second, people = models
    client.force_login(world.supervisor)
    response = client.get(reverse("tools:screening_model", args=[second.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    ctx = response.context
    prior = second.splink_model["probability_two_random_records_match"]
    assert ctx["prior"]["weight"] == pytest.approx(math.log2(prior / (1 - prior)))
    # Every comparison and level of the stored model, with log2(m/u).
    names = [c["output_column_name"] for c in second.splink_model["comparisons"]]
    assert [c.name for c in ctx["comparisons"]] == names
    for c in second.splink_model["comparisons"]:
        assert f'data-comparison="{c["output_column_name"]}"' in html
    exact = _level(second.splink_model, "date_of_birth", "exact")
    weight = math.log2(exact["m_probability"] / exact["u_probability"])
    dob = next(c for c in ctx["comparisons"] if c.name == "date_of_birth")
    assert dob.levels[1].weight == pytest.approx(weight) and f"{weight:.2f}" in html
    assert dob.labelled_pairs == MIN_CONFIRMED_LABELS + 5 and "m from 35 confirmed decisions" in html
    assert dob.levels[0].is_null and dob.levels[-1].direction == "against" and dob.levels[1].direction == "for"
    assert "<svg" in html and 'class="ht-wbar__against"' in html and "style=" not in html
    # The shadow figures against the version active when this one was stored.
    ev = second.evaluations[0]
    assert ev["incumbent"]["version"] == first.version and ev["candidate"]["confirmed"] == 2
    assert ev["candidate"]["recall"] == 1.0 and "1.000" in html and f"{first.version} (active then)" in html
    # Parameters and counts only: nobody's name or date of birth.
    for p in people[:2]:
        assert p.last_name not in html and p.date_of_birth.isoformat() not in html


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_auditors_and_administrators_may_read_it(client, models, role):
    _first, second, _people = models
    client.force_login(UserFactory(role=role, organization=None))
    assert client.get(reverse("tools:screening_model", args=[second.pk])).status_code == 200


def test_other_roles_are_refused(client, world, models):
    _first, second, _people = models
    for user in (world.officer, world.agency_counsel, world.booking_clerk, UserFactory(role=Role.ANALYST)):
        client.force_login(user)
        for url in (reverse("tools:screening_models"), reverse("tools:screening_model", args=[second.pk])):
            response = client.get(url)
            assert response.status_code == 403 and second.version not in response.content.decode(), (user.role, url)
