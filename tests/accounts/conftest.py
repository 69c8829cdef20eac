import pytest


@pytest.fixture
def desk_ids(world):
    from tests.factories import hold_eligible

    d = hold_eligible(world)
    return {"detainer": d.pk}
