"""Back office: admin users and sessions, integrations with their OAuth consumers and tokens, and the admin-side logs."""

from __future__ import annotations

from include.demo.store.base import GeneratorBase
from include.magento import crypto

# firstname, lastname, username; user ids are 1.. in this order
ADMIN_USERS = (
    ("Ada", "Admin", "ada"),
    ("Ben", "Ops", "ben"),
    ("Cara", "Legal", "cara"),
    ("Dev", "Support", "dev"),
    ("Eve", "Audit", "eve"),
)
INTEGRATIONS = ("ERP Sync", "Lending Decision Engine")


class BackOfficeMixin(GeneratorBase):
    """Writes the rows the merchant's staff and integrations leave, after every customer is written."""

    def write_back_office(self) -> None:
        """Admin users and sessions, integrations with OAuth, password-reset events and the login-as-customer log."""
        for user_id, (first, last, username) in enumerate(ADMIN_USERS, 1):
            self._write_admin_user(user_id, first, last, username)
        for consumer_id, name in enumerate(INTEGRATIONS, 1):
            self._write_integration(consumer_id, name)
        self._write_password_reset_events()
        self._write_login_as_customer_log()

    def _write_admin_user(self, user_id: int, first: str, last: str, username: str) -> None:
        """One admin user (Ben has a pending reset token; a planted one is in plaintext) and their session."""
        rng = self.rng
        rp_token = self.encrypt(f"{rng.getrandbits(128):032x}") if user_id == 2 else None
        if self.violate("admin_user", "rp_token", "encrypted_any_cipher"):
            rp_token = f"{rng.getrandbits(128):032x}"
            self.manifest.plant("admin_user", "rp_token", "unencrypted_value", "encrypted_any_cipher", user_id)
        self.writer.add(
            "admin_user",
            {
                "user_id": user_id,
                "firstname": first,
                "lastname": last,
                "email": f"{username}@harborlane.example",
                "username": username,
                "password": self.password_hash("admin_user", user_id, "password"),
                "created": self.timestamp(300, 900),
                "modified": self.timestamp(0, 200),
                "logdate": self.timestamp(0, 10),
                "lognum": rng.randint(1, 500),
                "is_active": 1,
                "rp_token": rp_token,
                "rp_token_created_at": self.timestamp(0, 2) if rp_token else None,
            },
        )
        self.writer.add(
            "admin_user_session",
            {
                "id": self.next_id("admin_user_session"),
                "session_id": "",
                "user_id": user_id,
                "status": 1,
                "created_at": self.timestamp(0, 5),
                "updated_at": self.timestamp(0, 1),
                "ip": f"198.51.100.{user_id}",
            },
        )

    def _write_integration(self, consumer_id: int, name: str) -> None:
        """An integration, its OAuth consumer (secret maybe under a legacy cipher) and access token (maybe in plaintext)."""
        rng = self.rng
        secret = self.encrypt(f"{rng.getrandbits(128):032x}")
        if self.violate("oauth_consumer", "secret", "current_cipher"):
            secret = crypto.legacy_ciphertext(0, rng)
            self.manifest.plant("oauth_consumer", "secret", "legacy_cipher", "current_cipher", consumer_id)
        created = self.timestamp(100, 700)
        self.writer.add(
            "oauth_consumer",
            {
                "entity_id": consumer_id,
                "created_at": created,
                "updated_at": created,
                "name": name,
                "key": f"{rng.getrandbits(128):032x}",
                "secret": secret,
                "callback_url": None,
                "rejected_callback_url": "",
            },
        )
        self.writer.add(
            "integration",
            {
                "integration_id": consumer_id,
                "name": name,
                "email": f"integrations+{consumer_id}@harborlane.example",
                "endpoint": f"https://partner{consumer_id}.example/magento",
                "status": 1,
                "consumer_id": consumer_id,
                "created_at": created,
                "updated_at": created,
                "setup_type": 0,
                "identity_link_url": None,
            },
        )
        token_secret = self.encrypt(f"{rng.getrandbits(128):032x}")
        if self.violate("oauth_token", "secret", "encrypted_any_cipher"):
            token_secret = f"{rng.getrandbits(128):032x}"
            self.manifest.plant("oauth_token", "secret", "unencrypted_value", "encrypted_any_cipher", consumer_id)
        self.writer.add(
            "oauth_token",
            {
                "entity_id": consumer_id,
                "consumer_id": consumer_id,
                "admin_id": None,
                "customer_id": None,
                "type": "access",
                "token": f"{rng.getrandbits(128):032x}",
                "secret": token_secret,
                "verifier": None,
                "callback_url": "oob",
                "revoked": 0,
                "authorized": 1,
                "user_type": 1,
                "created_at": created,
            },
        )

    def _write_password_reset_events(self) -> None:
        """Password-reset requests for the first fiftieth (at least one) of the registered emails the generator still holds."""
        sample = self.registered_emails[: max(1, len(self.registered_emails) // 50)]
        for email in sample:
            self.writer.add(
                "password_reset_request_event",
                {
                    "id": self.next_id("password_reset_request_event"),
                    "request_type": 0,
                    "account_reference": email,
                    "created_at": self.timestamp(0, 300),
                    "ip": f"192.0.2.{self.rng.randint(1, 254)}",
                },
            )

    def _write_login_as_customer_log(self) -> None:
        """The support admin (dev, user 4) logging in as customers 1, 5, 9, 13 and 17 (as many as exist)."""
        for customer_id in range(1, min(len(self.registered_emails), 20) + 1, 4):
            self.writer.add(
                "magento_login_as_customer_log",
                {
                    "log_id": self.next_id("magento_login_as_customer_log"),
                    "time": self.timestamp(0, 200),
                    "user_id": 4,
                    "user_name": "dev",
                    "customer_id": customer_id,
                    "customer_email": self.registered_emails[customer_id - 1][:40],
                },
            )
