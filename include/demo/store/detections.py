"""Detection plants: a skimmer, an attacker's admin account and integration, weakened configuration, and near-misses.

Written after every other row (SeedConfig.detections), on the day after `as_of`, so no existing row or
draw changes and every generated row lies before the planted window. `Manifest.detections` lists what the
rules must find (rule name -> table:key); the near-misses (an allowlisted analytics script, a normal admin
login from a known address in office hours) must give nothing. The access log with the enumeration burst is
include.demo.access_log.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from include.demo.store.base import GeneratorBase

TIMEZONE = "America/Los_Angeles"
SKIMMER_ORIGIN = "https://cdn-magento-analytics.example"
ANALYTICS = (
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-HARBOR1"></script>'
    "<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}"
    " gtag('js', new Date()); gtag('config', 'G-HARBOR1');</script>"
)
SKIMMER = f'<div class="footer-trust">Secure checkout</div><script src="{SKIMMER_ORIGIN}/v3/trust-badge.min.js" async></script>'
ALLOWLIST = ("https://www.googletagmanager.com", "https://www.google-analytics.com")
ATTACKER_ADMIN_ID = 6
LOCKED_ADMIN_ID = 7
INTEGRATION_ID = 3


def incident_day(now: datetime) -> datetime:
    """Midnight UTC of the planted day (the day after as_of)."""
    return now + timedelta(days=1)


class DetectionPlantingMixin(GeneratorBase):
    """Rows for the detection rules, written last; see the module docstring."""

    def write_detection_plants(self) -> None:
        """Roles, CMS content, configuration, admin users and sessions, an integration and a login-as-customer."""
        day = incident_day(self.now)
        self._write_planted_roles()
        self._write_planted_cms(day)
        self._write_planted_config(day)
        self._write_planted_admins(day)
        self._write_planted_integration(day)
        log_id = self.next_id("magento_login_as_customer_log")
        self._expect("magento_login_as_customer", f"magento_login_as_customer_log:{log_id}")
        self.writer.add(
            "magento_login_as_customer_log",
            {
                "log_id": log_id,
                "time": day + timedelta(hours=11, minutes=20),
                "user_id": ATTACKER_ADMIN_ID,
                "user_name": "support_sync",
                "customer_id": 1,
                "customer_email": None,
            },
        )

    def _expect(self, rule: str, group: str) -> None:
        self.manifest.detections.setdefault(rule, []).append(group)

    def _write_planted_roles(self) -> None:
        """Administrators (Magento_Backend::all) and Support (customers only); users 1 and 6 are administrators."""
        w = self.writer
        w.add(
            "authorization_role",
            {
                "role_id": 1,
                "parent_id": 0,
                "tree_level": 1,
                "role_type": "G",
                "user_id": 0,
                "user_type": "2",
                "role_name": "Administrators",
            },
        )
        w.add(
            "authorization_role",
            {
                "role_id": 2,
                "parent_id": 0,
                "tree_level": 1,
                "role_type": "G",
                "user_id": 0,
                "user_type": "2",
                "role_name": "Support",
            },
        )
        w.add(
            "authorization_rule",
            {"rule_id": 1, "role_id": 1, "resource_id": "Magento_Backend::all", "privileges": None, "permission": "allow"},
        )
        w.add(
            "authorization_rule",
            {"rule_id": 2, "role_id": 2, "resource_id": "Magento_Customer::manage", "privileges": None, "permission": "allow"},
        )
        for user_id in range(1, LOCKED_ADMIN_ID + 1):
            parent = 1 if user_id in (1, ATTACKER_ADMIN_ID) else 2
            w.add(
                "authorization_role",
                {
                    "role_id": 2 + user_id,
                    "parent_id": parent,
                    "tree_level": 2,
                    "role_type": "U",
                    "user_id": user_id,
                    "user_type": "2",
                    "role_name": str(user_id),
                },
            )

    def _write_planted_cms(self, day: datetime) -> None:
        """Block 1 carries the skimmer; block 2 the allowlisted analytics tag (near-miss); page 1 has no script."""
        created = self.now - timedelta(days=400)
        rows = (
            (
                "cms_block",
                {
                    "block_id": 1,
                    "title": "Footer trust badges",
                    "identifier": "footer_trust",
                    "content": SKIMMER,
                    "creation_time": created,
                    "update_time": day + timedelta(hours=2, minutes=14),
                    "is_active": 1,
                },
            ),
            (
                "cms_block",
                {
                    "block_id": 2,
                    "title": "Analytics",
                    "identifier": "analytics",
                    "content": ANALYTICS,
                    "creation_time": created,
                    "update_time": day + timedelta(hours=9),
                    "is_active": 1,
                },
            ),
            (
                "cms_page",
                {
                    "page_id": 1,
                    "title": "Home",
                    "identifier": "home",
                    "content": "<h1>Harbor Lane Financial</h1>",
                    "creation_time": created,
                    "update_time": created,
                    "is_active": 1,
                    "sort_order": 0,
                },
            ),
        )
        for table, row in rows:
            self.writer.add(table, row)
        self._expect("magento_content_script_not_allowlisted", "cms_block:1")

    def _write_planted_config(self, day: datetime) -> None:
        """The store's time zone (old), the analytics tag in the head (near-miss), anonymous API access and a payment change."""
        rows = (
            ("general/locale/timezone", TIMEZONE, self.now - timedelta(days=300)),
            ("design/head/includes", ANALYTICS, day + timedelta(hours=9, minutes=5)),
            ("webapi/webapisecurity/allow_insecure", "1", day + timedelta(hours=2, minutes=30)),
            ("payment/checkmo/mailing_address", "PO Box 99, Road Town", day + timedelta(hours=2, minutes=40)),
        )
        expected = {
            "webapi/webapisecurity/allow_insecure": "magento_security_config_weakened",
            "payment/checkmo/mailing_address": "magento_payment_config_changed",
        }
        for path, value, updated in rows:
            config_id = 100 + self.next_id("detection_config")
            if path in expected:
                self._expect(expected[path], f"core_config_data:{config_id}")
            self.writer.add(
                "core_config_data",
                {"config_id": config_id, "scope": "default", "scope_id": 0, "path": path, "value": value, "updated_at": updated},
            )

    def _write_planted_admins(self, day: datetime) -> None:
        """The attacker's admin (created, then an off-hours login), a locked admin, Ada from a new IP, Cara as usual."""
        base = {"password": "0:3:planted", "lognum": 1, "is_active": 1, "interface_locale": "en_US"}
        self.writer.add(
            "admin_user",
            {
                **base,
                "user_id": ATTACKER_ADMIN_ID,
                "firstname": "Support",
                "lastname": "Sync",
                "email": "support_sync@mailbox.example",
                "username": "support_sync",
                "created": day + timedelta(hours=2, minutes=45),
                "modified": day + timedelta(hours=2, minutes=45),
                "failures_num": 0,
                "first_failure": None,
                "lock_expires": None,
            },
        )
        self.writer.add(
            "admin_user",
            {
                **base,
                "user_id": LOCKED_ADMIN_ID,
                "firstname": "Frank",
                "lastname": "Finance",
                "email": "frank@harborlane.example",
                "username": "frank",
                "created": self.now - timedelta(days=500),
                "modified": day + timedelta(hours=1, minutes=40),
                "failures_num": 6,
                "first_failure": day + timedelta(hours=1, minutes=30),
                "lock_expires": day + timedelta(hours=2),
            },
        )
        # Store time is UTC-8 (UTC-7 in summer): 11:10 UTC is 03:10 or 04:10 in San Francisco; 21:00 and 18:00 UTC
        # are office hours.
        sessions = (
            (ATTACKER_ADMIN_ID, day + timedelta(hours=11, minutes=10), "203.0.113.66"),
            (1, day + timedelta(hours=21), "203.0.113.77"),
            (3, day + timedelta(hours=18), "198.51.100.3"),
        )
        self._expect("magento_admin_user_created", f"admin_user:{ATTACKER_ADMIN_ID}")
        self._expect("magento_admin_locked", f"admin_user:{LOCKED_ADMIN_ID}")
        for number, (user_id, created, ip) in enumerate(sessions):
            session_id = self.next_id("admin_user_session")
            if number < 2:
                self._expect(
                    ("magento_admin_login_off_hours", "magento_admin_login_new_ip")[number], f"admin_user_session:{session_id}"
                )
            self.writer.add(
                "admin_user_session",
                {
                    "id": session_id,
                    "session_id": "",
                    "user_id": user_id,
                    "status": 1,
                    "created_at": created,
                    "updated_at": created,
                    "ip": ip,
                },
            )

    def _write_planted_integration(self, day: datetime) -> None:
        """An integration the attacker created through the admin, with its consumer and access token."""
        created = day + timedelta(hours=3)
        self._expect("magento_integration_created", f"integration:{INTEGRATION_ID}")
        self._expect("magento_api_token_created", f"oauth_token:{INTEGRATION_ID}")
        self.writer.add(
            "oauth_consumer",
            {
                "entity_id": INTEGRATION_ID,
                "created_at": created,
                "updated_at": created,
                "name": "Data Export Pro",
                "key": "k" * 32,
                "secret": self.encrypt("s" * 32),
                "callback_url": None,
                "rejected_callback_url": "",
            },
        )
        self.writer.add(
            "integration",
            {
                "integration_id": INTEGRATION_ID,
                "name": "Data Export Pro",
                "email": "ops@mailbox.example",
                "endpoint": None,
                "status": 1,
                "consumer_id": INTEGRATION_ID,
                "created_at": created,
                "updated_at": created,
                "setup_type": 0,
                "identity_link_url": None,
            },
        )
        self.writer.add(
            "oauth_token",
            {
                "entity_id": INTEGRATION_ID,
                "consumer_id": INTEGRATION_ID,
                "admin_id": None,
                "customer_id": None,
                "type": "access",
                "token": "t" * 32,
                "secret": self.encrypt("u" * 32),
                "verifier": None,
                "callback_url": "oob",
                "revoked": 0,
                "authorized": 1,
                "user_type": 1,
                "created_at": created,
            },
        )
