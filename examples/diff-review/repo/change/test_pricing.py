import pytest

from pricing import apply_coupon, apply_discount, order_total


def test_discount_rounds_down():
    assert apply_discount(999, 10) == 899


def test_coupon_stacks_on_the_discount():
    assert apply_coupon(1000, 10, "welcome10") == 800


def test_order_total():
    assert order_total([(2, 500), (1, 250)], percent=20) == 1000
