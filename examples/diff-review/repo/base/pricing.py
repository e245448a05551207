"""Prices in cents: percentage discounts and order totals."""


def apply_discount(price_cents: int, percent: int) -> int:
    """The price after a percentage discount, rounded down to a cent."""
    if not 0 <= percent <= 100:
        raise ValueError(f"discount must be between 0 and 100 percent, got {percent}")
    return price_cents * (100 - percent) // 100


def order_total(lines: list[tuple[int, int]], percent: int = 0) -> int:
    """The sum of quantity times discounted unit price over the order's lines."""
    return sum(qty * apply_discount(unit, percent) for qty, unit in lines)
