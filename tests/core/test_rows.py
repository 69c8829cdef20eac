"""``core.rows``: ``insert_row`` writes the same row, key and signals as ``Model.objects.create`` (ADR 0031);
``read_one`` and ``read_all`` read what the ORM reads with a statement compiled once (ADR 0037)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection
from django.db.models import Value
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from holdtrack.audit.models import AppendOnlyError, AuditEvent, Transition
from holdtrack.core.rows import (
    insert_row,
    one_or_none,
    read_all,
    read_one,
    rows,
    select_for_update_by_pk,
    statement,
    update_row,
    value_rows,
)
from holdtrack.core.timeutil import now
from holdtrack.reports.models import PendingChange

pytestmark = pytest.mark.django_db


def _row(model: Any, pk: int) -> dict[str, Any]:
    return {k: v for k, v in model.objects.filter(pk=pk).values().get().items() if k not in ("id", "recorded_at")}


@pytest.mark.smoke
def test_same_row_as_create():
    at = now()
    fields = dict(case_type="detainer", case_id=41, seq=1, at=at, name="prepare", source="", target="PREPARED",
                  actor_role="", channel="SIMULATOR", reason="r", data={"a": [1, "x"], "b": None})  # fmt: skip
    made = Transition.objects.create(**fields)
    fast = insert_row(Transition(**{**fields, "case_id": 42}))
    assert fast.pk is not None and fast.pk != made.pk and not fast._state.adding
    assert {**_row(Transition, made.pk), "case_id": 42} == _row(Transition, fast.pk)
    stored = Transition.objects.get(pk=fast.pk)
    assert stored.recorded_at is not None and model_to_dict(stored)["data"] == {"a": [1, "x"], "b": None}
    event = insert_row(AuditEvent(at=at, action="x.y", entity_type="x", entity_id="1", data={"k": 1}))
    assert AuditEvent.objects.get(pk=event.pk).data == {"k": 1} and event.chain_seq is None


def test_signals_are_sent():
    seen: list[tuple[str, bool]] = []

    def before(sender: Any, instance: Any, **kw: Any) -> None:
        seen.append(("pre", instance.pk is None))

    def after(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
        seen.append(("post", created and instance.pk is not None))

    pre_save.connect(before, sender=Transition, dispatch_uid="test_rows_pre")
    post_save.connect(after, sender=Transition, dispatch_uid="test_rows_post")
    try:
        t = insert_row(Transition(case_type="subpoena", case_id=9, seq=1, at=now(), name="draft", target="DRAFT"))
    finally:
        pre_save.disconnect(dispatch_uid="test_rows_pre", sender=Transition)
        post_save.disconnect(dispatch_uid="test_rows_post", sender=Transition)
    assert seen == [("pre", True), ("post", True)]
    # A bare row is not a step: what follows a step (the report outbox) is dispatched by transition_record.
    assert not PendingChange.objects.filter(case_type="subpoena", case_id=9).exists()
    with pytest.raises(AppendOnlyError):
        t.save()


def test_one_statement_and_new_rows_only():
    with CaptureQueriesContext(connection) as ctx:
        insert_row(AuditEvent(at=now(), action="a.b", entity_type="a", entity_id="2"))
    assert len(ctx.captured_queries) == 1
    existing = AuditEvent.objects.get(action="a.b")
    with pytest.raises(ValueError):
        insert_row(existing)


def test_an_expression_falls_back_to_the_orm():
    e = insert_row(AuditEvent(at=now(), action=Value("c.d"), entity_type="c", entity_id="3"))
    assert AuditEvent.objects.get(pk=e.pk).action == "c.d" and not e._state.adding


def test_update_row_writes_the_named_columns_and_sends_the_signals():
    from holdtrack.accounts.models import Organization

    org = Organization.objects.create(kind="DOJ", name="Office A", judicial_district="D1")
    org.name, org.judicial_district = "Office B", "D2"
    seen: list[Any] = []

    def after(sender: Any, instance: Any, created: bool, update_fields: Any, **kw: Any) -> None:
        seen.append((created, update_fields))

    post_save.connect(after, sender=Organization, dispatch_uid="test_rows_upd")
    try:
        with CaptureQueriesContext(connection) as ctx:
            update_row(org, ["name"])
    finally:
        post_save.disconnect(dispatch_uid="test_rows_upd", sender=Organization)
    assert len(ctx.captured_queries) == 1
    stored = Organization.objects.get(pk=org.pk)
    assert (stored.name, stored.judicial_district) == ("Office B", "D1")
    assert seen == [(False, frozenset({"name"}))]
    Organization.objects.filter(pk=org.pk).delete()
    with pytest.raises(DatabaseError):
        update_row(org, ["name"])


def _state(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.smoke
def test_lock_by_key_builds_what_the_orm_builds():
    from holdtrack.cases.models import Detainer
    from holdtrack.cases.services.detainers import FACTS
    from tests.factories import make_world, prepared

    d = prepared(make_world())
    related = ("facility", "addressed_lea__jurisdiction", "booking")
    assert related == FACTS
    orm = Detainer.objects.select_for_update(of=("self",)).select_related(*related).get(pk=d.pk)
    with CaptureQueriesContext(connection) as ctx:
        fast = select_for_update_by_pk(Detainer, d.pk, related)
        again = select_for_update_by_pk(Detainer, d.pk, related)
    assert len(ctx.captured_queries) == 2 and ctx.captured_queries[0]["sql"] == ctx.captured_queries[1]["sql"]
    assert _state(fast) == _state(orm) == _state(again) and not fast._state.adding and fast._state.db == "default"
    assert isinstance(fast.policy_at_prepare, dict) and fast.prepared_at == orm.prepared_at
    with CaptureQueriesContext(connection) as ctx:  # the relations came with the row
        parts = (fast.facility, fast.addressed_lea, fast.addressed_lea.jurisdiction, fast.booking)
    assert not ctx.captured_queries
    assert [_state(p) for p in parts] == [
        _state(p) for p in (orm.facility, orm.addressed_lea, orm.addressed_lea.jurisdiction, orm.booking)
    ]
    plain = select_for_update_by_pk(Detainer, d.pk)
    assert _state(plain) == _state(orm) and "facility" not in plain._state.fields_cache
    with pytest.raises(Detainer.DoesNotExist):
        select_for_update_by_pk(Detainer, d.pk + 1000)


def test_an_unsaved_related_row_is_refused_as_by_save():
    from holdtrack.accounts.models import User

    with pytest.raises(ValueError, match="unsaved related object"):
        insert_row(AuditEvent(at=now(), actor=User(username="nobody"), action="e.f", entity_type="e", entity_id="4"))


@pytest.mark.django_db
def test_one_or_none_finds_the_row_of_a_unique_key_without_ordering():
    ct = ContentType.objects.get_for_model(ContentType)
    with CaptureQueriesContext(connection) as ctx:
        assert one_or_none(ContentType.objects.filter(pk=ct.pk)) == ct
        assert one_or_none(ContentType.objects.filter(pk=-1)) is None
    assert all("ORDER BY" not in q["sql"] for q in ctx.captured_queries)


def _detainer_read(scope: int, key: int) -> Any:
    from holdtrack.cases.models import Detainer

    return Detainer.objects.filter(issuing_office__aor_id=scope).select_related("booking", "approved_by").filter(pk=key)


@pytest.mark.smoke
def test_read_one_compiles_once_and_builds_what_the_orm_builds():
    from holdtrack.core import rows
    from tests.factories import make_world, prepared

    w = make_world()
    d1, d2 = prepared(w), prepared(w)
    aor = d1.issuing_office.aor_id
    key = ("test.detainer", "agency")
    orm = _detainer_read(aor, d1.pk).get()
    with CaptureQueriesContext(connection) as ctx:
        first = read_one(key, _detainer_read, aor, d1.pk)
        second = read_one(key, _detainer_read, aor, d2.pk)
    assert ("one", *key, int, int) in rows._READS and rows._READS[("one", *key, int, int)] is not None
    assert len(ctx.captured_queries) == 2 and ctx.captured_queries[0]["sql"] != ctx.captured_queries[1]["sql"]
    assert first is not None and second is not None and (first.pk, second.pk) == (d1.pk, d2.pk)
    assert _state(first) == _state(orm) and not first._state.adding and first._state.db == "default"
    with CaptureQueriesContext(connection) as ctx:  # the relations came with the row (a null one too)
        assert _state(first.booking) == _state(orm.booking) and first.approved_by is None
    assert not ctx.captured_queries
    # another scope's id or a missing key: no row, as the ORM answers
    assert read_one(key, _detainer_read, aor + 1000, d1.pk) is None
    assert read_one(key, _detainer_read, aor, d1.pk + 1000) is None


def test_a_read_by_a_32_bit_key_is_compiled_once_too():
    """Django answers a lookup beyond an IntegerField's range with no query: a stand-in out of that range left
    reads by such keys (django-otp's devices, content types) compiled on every call."""
    from holdtrack.core import rows

    ct = ContentType.objects.get_for_model(AuditEvent)
    key = ("test.content_type",)
    assert read_one(key, lambda pk: ContentType.objects.filter(pk=pk), ct.pk) == ct
    assert rows._READS[("one", *key, int)] is not None
    assert read_one(key, lambda pk: ContentType.objects.filter(pk=pk), -1) is None


def test_read_one_takes_the_orm_path_for_none_and_an_empty_scope():
    from holdtrack.cases.models import Detainer
    from tests.factories import make_world, prepared

    d = prepared(make_world())
    # None is "IS NULL" to the ORM, never "= NULL": not compiled with a stand-in
    assert read_one(("test.detainer", "agency"), _detainer_read, None, d.pk) is None
    with CaptureQueriesContext(connection) as ctx:
        assert read_one(("test.none",), lambda key: Detainer.objects.none().filter(pk=key), d.pk) is None
    assert not ctx.captured_queries


def test_read_all_keeps_the_querys_order():
    from holdtrack.audit.models import Transition

    for seq in (3, 1, 2):
        Transition.objects.create(case_type="detainer", case_id=77, seq=seq, at=now(), name="x", source="", target="Y")
    build = lambda case: Transition.objects.filter(case_type="detainer", case_id=case).order_by("-seq")  # noqa: E731
    assert [t.seq for t in read_all(("test.transitions",), build, 77)] == [3, 2, 1]
    assert [t.seq for t in read_all(("test.transitions",), build, 77)] == [t.seq for t in build(77)]
    assert read_all(("test.transitions",), build, 78) == []


def _office_detainers(office: int, aor: int) -> Any:
    """A scope with two ids, of which the query uses one (as a queue uses one of a user's scope ids)."""
    from holdtrack.cases.models import Detainer

    return Detainer.objects.filter(issuing_office_id=office).select_related("booking").order_by("pk")


def test_statement_and_rows_compile_once_per_key_for_every_scope_of_that_shape():
    from holdtrack.core import rows as module
    from tests.factories import make_world, prepared

    first, second = make_world(), make_world(suffix=" 2")
    mine, theirs = prepared(first), prepared(second)
    key = ("test.office-detainers",)
    for d in (mine, theirs):
        office, aor = d.issuing_office_id, d.issuing_office.aor_id
        orm = list(_office_detainers(office, aor))
        with CaptureQueriesContext(connection) as ctx:
            found = rows(key, _office_detainers, office, aor)
        assert [x.pk for x in found] == [x.pk for x in orm] == [d.pk]
        assert _state(found[0]) == _state(orm[0]) and _state(found[0].booking) == _state(orm[0].booking)
        assert len(ctx.captured_queries) == 1
        sql, params = statement(key, lambda o, a: _office_detainers(o, a).values("pk"), office, aor)
        assert (sql, tuple(params)) == _office_detainers(office, aor).values("pk").query.sql_with_params()
    assert module._SCOPED[("rows", *key)] is not None and module._SCOPED[("sql", *key)] is not None
    assert statement(("test.none",), lambda o: _office_detainers(o, o).none(), 1) == ("", [])


def test_a_key_that_misses_what_the_query_depends_on_is_never_compiled_once():
    from holdtrack.cases.models import Detainer
    from holdtrack.core import rows as module
    from tests.factories import make_world, prepared

    d = prepared(make_world())
    # The state depends on the value, not only on where it goes: the stand-in's statement differs from the real one.
    shaped = lambda pk: Detainer.objects.filter(pk=pk, state="PREPARED" if pk > 0 else "APPROVED")  # noqa: E731
    assert [x.pk for x in rows(("test.shaped",), shaped, d.pk)] == [d.pk]
    assert module._SCOPED[("rows", "test.shaped")] is None

    # A build that reads the database while building would freeze what it read into the statement.
    def reading(pk: int) -> Any:
        return Detainer.objects.filter(pk__in=list(Detainer.objects.filter(pk=pk).values_list("pk", flat=True)))

    assert [x.pk for x in rows(("test.reading",), reading, d.pk)] == [d.pk]
    assert module._SCOPED[("rows", "test.reading")] is None
    assert [x.pk for x in rows(("test.reading",), reading, d.pk + 1000)] == []


def test_value_rows_compile_once_per_key_and_convert_as_values_does():
    from holdtrack.core import rows as module
    from tests.factories import make_world, prepared

    first, second = make_world(), make_world(suffix=" 2")
    mine, theirs = prepared(first), prepared(second)
    names = ("pk", "pc_bases", "prepared_at", "booking__booking_number", "operative_upon_conviction")
    key = ("test.office-detainer-values", names)

    def build(office: int, aor: int, *keys: int) -> Any:
        return _office_detainers(office, aor).filter(pk__in=keys).values(*names)

    for d in (mine, theirs):
        office, aor = d.issuing_office_id, d.issuing_office.aor_id
        # Another office's detainer among the keys stays out: the scope's ids are values, not compiled in.
        keys = (mine.pk, theirs.pk, -1, -2)
        with CaptureQueriesContext(connection) as ctx:
            found = value_rows(key, build, office, aor, *keys)
        assert found == list(build(office, aor, *keys)) and [r["pk"] for r in found] == [d.pk]
        assert isinstance(found[0]["pc_bases"], list) and found[0]["prepared_at"].tzinfo is not None  # converted
        assert len(ctx.captured_queries) == 1
    assert module._SCOPED[("values", *key)] is not None
    assert value_rows(("test.values-none",), lambda o: _office_detainers(o, o).none().values("pk"), 1) == []


def test_a_json_column_is_read_as_the_orm_reads_it_beyond_what_orjson_parses():
    from holdtrack.core import rows as module

    data = {"big": 2**70, "f": 0.1, "nested": [1, {"é": None}], "t": True}
    row = insert_row(Transition(case_type="detainer", case_id=43, seq=1, at=now(), name="prepare", source="",
                                target="PREPARED", actor_role="", channel="SIMULATOR", reason="r", data=data))  # fmt: skip
    small = insert_row(Transition(case_type="detainer", case_id=44, seq=1, at=now(), name="prepare", source="",
                                  target="PREPARED", actor_role="", channel="SIMULATOR", reason="r", data=[1.5]))  # fmt: skip

    def build(pk: int) -> Any:
        return Transition.objects.filter(pk=pk).values("pk", "data")

    key = ("test.transition-data",)
    for pk in (row.pk, small.pk):
        assert value_rows(key, build, pk) == list(build(pk))
    assert value_rows(key, build, row.pk)[0]["data"]["big"] == 2**70  # beyond 64 bits: the standard library's
    converters = module._SCOPED[("values", *key)].converters  # type: ignore[union-attr]
    assert [c for _, convs, _ in converters for c in convs] == [module._json_value]  # the other column has none
    assert module._json_value(None, None, connection) is None
