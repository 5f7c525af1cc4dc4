"""The business giving notice: from the store's own configuration (Stores > Configuration > Store Information)."""

from __future__ import annotations

import logging

from include.config import DEMO_BUSINESS, Business, Config, load_config
from include.magento.geography import US_REGIONS
from include.magento.source import create_source_engine, fetch_all, url_from_connection

log = logging.getLogger("airflow.task")
STORE_INFORMATION = (
    "SELECT path, value FROM core_config_data WHERE scope = 'default' AND (path LIKE 'general/store_information/%' "
    "OR path IN ('trans_email/ident_support/email', 'web/secure/base_url'))"
)


def store_information(url: str | None = None) -> dict[str, str]:
    """The store's default-scope store information settings (empty when the store cannot be read)."""
    try:
        engine = create_source_engine(url or url_from_connection())
        rows = fetch_all(engine, STORE_INFORMATION)
        engine.dispose()
    except Exception as error:  # the notice must still go out with the configured fallback
        log.warning("store information unavailable (%s); using the configured business details", type(error).__name__)
        return {}
    return {str(path): str(value) for path, value in rows if value is not None}


def business_from_store(config: dict[str, str], dpo_contact: str) -> Business:
    """Business details from the store's settings."""
    region = {str(i): c for i, c, _ in US_REGIONS}.get(config.get("general/store_information/region_id", ""), "")
    address = ", ".join(
        p
        for p in (
            config.get("general/store_information/street_line1"),
            config.get("general/store_information/city"),
            f"{region} {config.get('general/store_information/postcode', '')}".strip(),
            config.get("general/store_information/country_id"),
        )
        if p
    )
    return Business(
        name=config["general/store_information/name"],
        phone=config.get("general/store_information/phone", ""),
        email=config.get("trans_email/ident_support/email", ""),
        address=address,
        website=config.get("web/secure/base_url", ""),
        dpo_contact=dpo_contact,
    )


def named_business(url: str | None = None, config: Config | None = None) -> Business | None:
    """The store's own details, else the configured BUSINESS_* settings; None when neither names the business."""
    config = config or load_config()
    settings = store_information(url)
    if settings.get("general/store_information/name"):
        return business_from_store(settings, config.dpo_contact)
    return config.business


def business_details(url: str | None = None, config: Config | None = None) -> Business:
    """The business the notices name: `named_business`, else the demo business."""
    return named_business(url, config) or DEMO_BUSINESS


def notice_url(business: Business, incident_id: str) -> str:
    """Where the web notice is posted."""
    return f"{(business.website or 'https://example.com/').rstrip('/')}/security-notice/{incident_id.lower()}"
