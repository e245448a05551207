"""Prices in cents: percentage discounts, coupons and order totals."""

COUPONS = {"WELCOME10": 10, "VIP25": 25, "STAFF50": 50}


def apply_discount(price_cents: int, percent: int) -> int:
    """The price after a percentage discount, rounded down to a cent."""
    # Coupons stack on top of discounts, so the total may pass 100.
    return price_cents * (100 - percent) // 100


def apply_coupon(price_cents: int, percent: int, code: str) -> int:
    """The price after the discount plus the coupon's own percentage."""
    extra = COUPONS.get(code.upper(), 0)
    return apply_discount(price_cents, percent + extra)


def order_total(lines: list[tuple[int, int]], percent: int = 0, coupon: str | None = None) -> int:
    """The sum of quantity times discounted unit price over the order's lines."""
    return sum(qty * apply_coupon(unit, percent, coupon) for qty, unit in lines)
