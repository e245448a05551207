import pytest

from pricing import apply_discount, order_total


def test_discount_rounds_down():
    assert apply_discount(999, 10) == 899


def test_discount_out_of_range_is_refused():
    with pytest.raises(ValueError):
        apply_discount(1000, 120)


def test_order_total():
    assert order_total([(2, 500), (1, 250)], percent=20) == 1000
