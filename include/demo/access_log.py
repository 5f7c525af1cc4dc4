"""The demo store's web access log (combined format): storefront traffic, staff, an integration, and the attack.

The attack, on the planted day (the day after as_of, like the store's detection plants): exploit-path probes and
an admin login from 203.0.113.66, a burst of admin login posts from 192.0.2.200, then an admin token and a REST
enumeration of customer and order records from 203.0.113.66. Near-misses: a customer browsing their own account
and orders, the office admin logging in from the usual network, an integration reading a few customers a day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from include.demo.store.detections import incident_day

ATTACKER = "203.0.113.66"
BRUTEFORCER = "192.0.2.200"
OFFICE = "198.51.100.10"
ERP = "198.51.100.20"
SHOPPER = "198.51.100.200"
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
STOREFRONT = (
    "/",
    "/catalog/product/view/id/{n}",
    "/checkout/cart/",
    "/customer/account/login/",
    "/static/frontend/Luma/en_US/{n}.js",
    "/graphql",
)


@dataclass
class PlantedLog:
    """What the log plants: expected detections (rule name -> clients) and the records the attacker read."""

    path: Path
    lines: int
    detections: dict[str, list[str]] = field(default_factory=dict)
    customers_read: list[int] = field(default_factory=list)
    orders_read: list[int] = field(default_factory=list)


def combined(client: str, moment: datetime, method: str, path: str, status: int, size: int = 512, agent: str = AGENT) -> str:
    """One line in the nginx/Apache combined format (UTC)."""
    stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{client} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} "-" "{agent}"'


def _attack(day: datetime, customers: int, orders: int) -> tuple[list[tuple[datetime, str]], list[int], list[int]]:
    lines = [
        (
            day + timedelta(minutes=30, seconds=i * 7),
            combined(ATTACKER, day + timedelta(minutes=30, seconds=i * 7), "GET", path, 404),
        )
        for i, path in enumerate(("/app/etc/env.php", "/magmi/web/magmi.php", "/downloader/index.php"))
    ]
    start = day + timedelta(hours=1, minutes=30)
    lines.append((start, combined(BRUTEFORCER, start, "GET", "/admin/", 200)))
    for i in range(25):
        moment = start + timedelta(seconds=5 + i * 6)
        lines.append((moment, combined(BRUTEFORCER, moment, "POST", "/admin/admin/index/index/", 302)))
    login = day + timedelta(hours=11, minutes=10)
    for i, (method, path, status) in enumerate(
        (("GET", "/admin/", 200), ("POST", "/admin/admin/index/index/", 302), ("GET", "/admin/admin/dashboard/", 200))
    ):
        lines.append(
            (login + timedelta(seconds=i * 3), combined(ATTACKER, login + timedelta(seconds=i * 3), method, path, status))
        )
    token = day + timedelta(hours=11, minutes=30)
    lines.append(
        (token, combined(ATTACKER, token, "POST", "/rest/V1/integration/admin/token", 200, agent="python-requests/2.32"))
    )
    read_customers = list(range(1, min(customers, 60) + 1))
    read_orders = list(range(1, min(orders, 5) + 1))
    paths = [f"/rest/default/V1/customers/{n}" for n in read_customers] + [f"/rest/default/V1/orders/{n}" for n in read_orders]
    for i, path in enumerate(paths):
        moment = token + timedelta(seconds=20 + i * 5)
        lines.append((moment, combined(ATTACKER, moment, "GET", path, 200, 2048, agent="python-requests/2.32")))
    return lines, read_customers, read_orders


def _staff_and_shoppers(day: datetime, customers: int) -> list[tuple[datetime, str]]:
    lines = []
    for days_before in (2, 1, 0):
        office = day - timedelta(days=days_before) + timedelta(hours=17)
        for i, (method, path, status) in enumerate(
            (("GET", "/admin/", 200), ("POST", "/admin/admin/index/index/", 302), ("GET", "/admin/admin/dashboard/", 200))
        ):
            lines.append(
                (office + timedelta(seconds=i * 4), combined(OFFICE, office + timedelta(seconds=i * 4), method, path, status))
            )
        erp = day - timedelta(days=days_before) + timedelta(hours=4)
        for i in range(1, min(customers, 5) + 1):
            moment = erp + timedelta(seconds=i * 30)
            lines.append((moment, combined(ERP, moment, "GET", f"/rest/default/V1/customers/{i}", 200, 2048, "ERP-Sync/4.2")))
    shop = day + timedelta(hours=15)
    for i, (method, path) in enumerate(
        (
            ("GET", "/customer/account/"),
            ("GET", "/sales/order/history/"),
            ("GET", "/sales/order/view/order_id/3/"),
            ("GET", "/rest/default/V1/customers/me"),
            *(("POST", "/graphql") for _ in range(5)),
        )
    ):
        lines.append((shop + timedelta(seconds=i * 9), combined(SHOPPER, shop + timedelta(seconds=i * 9), method, path, 200)))
    return lines


def background(day: datetime, count: int, rng: random.Random) -> list[tuple[datetime, str]]:
    """Storefront requests from many clients over the three days up to the end of the planted day."""
    start, span = day - timedelta(days=2), 3 * 86400
    lines = []
    for _ in range(count):
        moment = start + timedelta(seconds=rng.randrange(span))
        client = f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        path = rng.choice(STOREFRONT).format(n=rng.randint(1, 5000))
        lines.append(
            (moment, combined(client, moment, "GET" if path != "/graphql" else "POST", path, 200, rng.randint(300, 90000)))
        )
    return lines


def write_access_log(path: Path, *, as_of: date, customers: int, orders: int, lines: int = 5000, seed: int = 42) -> PlantedLog:
    """Write the demo log (about `lines` lines plus the planted ones) in time order; returns what it planted."""
    day = incident_day(datetime.combine(as_of, datetime.min.time()))
    attack, read_customers, read_orders = _attack(day, customers, orders)
    entries = sorted(
        [*attack, *_staff_and_shoppers(day, customers), *background(day, lines, random.Random(seed))], key=lambda e: e[0]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for _moment, line in entries:
            handle.write(line + "\n")
    detections = {
        "magento_exploit_paths": [ATTACKER],
        "magento_admin_bruteforce": [BRUTEFORCER],
        "magento_admin_from_new_network": sorted([ATTACKER, BRUTEFORCER]),
        "magento_customer_enumeration_rest": [ATTACKER],
    }
    return PlantedLog(path, len(entries), detections, read_customers, read_orders)
