"""Store structure: websites, store views, config, customer groups, the directory and the customer EAV metadata."""

from __future__ import annotations

from include.demo.store.base import GeneratorBase
from include.demo.store.config import CUSTOM_ATTRIBUTE_CODE, CUSTOM_ATTRIBUTE_ID, LENDING_GROUP_ID, SPANISH_STORE_ID
from include.magento.geography import EU_COUNTRIES, US_REGIONS

# store_id, code, name, group_id, website_id
STORE_VIEWS = (
    (0, "admin", "Admin", 0, 0),
    (1, "default", "Default Store View", 1, 1),
    (SPANISH_STORE_ID, "es", "Español", 1, 1),
)
# scope, scope_id, path, value
STORE_CONFIG = (
    ("default", 0, "general/store_information/name", "Harbor Lane Financial"),
    ("default", 0, "general/store_information/phone", "+1-800-555-0199"),
    ("default", 0, "general/store_information/street_line1", "100 Harbor Lane"),
    ("default", 0, "general/store_information/city", "San Francisco"),
    ("default", 0, "general/store_information/region_id", "12"),
    ("default", 0, "general/store_information/postcode", "94105"),
    ("default", 0, "general/store_information/country_id", "US"),
    ("default", 0, "trans_email/ident_support/email", "privacy@harborlane.example"),
    ("default", 0, "general/locale/code", "en_US"),
    ("stores", SPANISH_STORE_ID, "general/locale/code", "es_ES"),
    ("default", 0, "web/secure/base_url", "https://shop.harborlane.example/"),
)
CUSTOMER_GROUPS = (
    (0, "NOT LOGGED IN"),
    (1, "General"),
    (2, "Wholesale"),
    (3, "Retailer"),
    (LENDING_GROUP_ID, "Lending Clients"),
)
# Attribute ids 1.. in this order, all static columns of customer_entity.
STATIC_CUSTOMER_ATTRIBUTES = (
    "email",
    "firstname",
    "lastname",
    "middlename",
    "prefix",
    "suffix",
    "dob",
    "taxvat",
    "gender",
    "password_hash",
    "rp_token",
)


class StructureMixin(GeneratorBase):
    """Writes the rows a real install has before its first customer; none of them draw from the rng."""

    def write_structure(self) -> None:
        """Websites, stores, config, groups, directory and EAV metadata that a real install has."""
        self._write_websites_and_stores()
        self._write_store_config()
        self._write_customer_groups_and_directory()
        self._write_customer_eav_metadata()
        self.writer.flush()

    def _write_websites_and_stores(self) -> None:
        """The admin and main websites, their store groups and the three store views (admin, English, Spanish)."""
        w = self.writer
        w.add(
            "store_website",
            {"website_id": 0, "code": "admin", "name": "Admin", "sort_order": 0, "default_group_id": 0, "is_default": 0},
        )
        w.add(
            "store_website",
            {"website_id": 1, "code": "base", "name": "Main Website", "sort_order": 0, "default_group_id": 1, "is_default": 1},
        )
        w.add(
            "store_group",
            {"group_id": 0, "website_id": 0, "name": "Default", "root_category_id": 0, "default_store_id": 0, "code": "default"},
        )
        w.add(
            "store_group",
            {
                "group_id": 1,
                "website_id": 1,
                "name": "Main Website Store",
                "root_category_id": 2,
                "default_store_id": 1,
                "code": "main_website_store",
            },
        )
        for store_id, code, name, group_id, website_id in STORE_VIEWS:
            w.add(
                "store",
                {
                    "store_id": store_id,
                    "code": code,
                    "website_id": website_id,
                    "group_id": group_id,
                    "name": name,
                    "sort_order": 0,
                    "is_active": 1,
                },
            )

    def _write_store_config(self) -> None:
        """core_config_data: the merchant's contact details, locales and base URL."""
        for config_id, (scope, scope_id, path, value) in enumerate(STORE_CONFIG, 1):
            self.writer.add(
                "core_config_data", {"config_id": config_id, "scope": scope, "scope_id": scope_id, "path": path, "value": value}
            )

    def _write_customer_groups_and_directory(self) -> None:
        """Customer groups, the countries the generator uses and the US regions."""
        w = self.writer
        for group_id, code in CUSTOMER_GROUPS:
            w.add("customer_group", {"customer_group_id": group_id, "customer_group_code": code, "tax_class_id": 3})
        for country in ["US", *sorted(EU_COUNTRIES)]:
            w.add("directory_country", {"country_id": country, "iso2_code": country, "iso3_code": None})
        for region_id, code, name in US_REGIONS:
            w.add("directory_country_region", {"region_id": region_id, "country_id": "US", "code": code, "default_name": name})

    def _write_customer_eav_metadata(self) -> None:
        """EAV entity types and customer attributes; with violations, the unmapped custom attribute too."""
        w = self.writer
        w.add(
            "eav_entity_type",
            {
                "entity_type_id": 1,
                "entity_type_code": "customer",
                "entity_model": "Magento\\Customer\\Model\\ResourceModel\\Customer",
                "entity_table": "customer_entity",
            },
        )
        w.add(
            "eav_entity_type",
            {
                "entity_type_id": 2,
                "entity_type_code": "customer_address",
                "entity_model": "Magento\\Customer\\Model\\ResourceModel\\Address",
                "entity_table": "customer_address_entity",
            },
        )
        for attribute_id, code in enumerate(STATIC_CUSTOMER_ATTRIBUTES, 1):
            w.add(
                "eav_attribute",
                {
                    "attribute_id": attribute_id,
                    "entity_type_id": 1,
                    "attribute_code": code,
                    "backend_type": "static",
                    "frontend_input": "text",
                    "is_required": 0,
                    "is_user_defined": 0,
                },
            )
            w.add(
                "customer_eav_attribute",
                {"attribute_id": attribute_id, "is_visible": 1, "is_system": 1, "sort_order": attribute_id},
            )
        if self.config.violations > 0:
            attribute_id = CUSTOM_ATTRIBUTE_ID
            w.add(
                "eav_attribute",
                {
                    "attribute_id": attribute_id,
                    "entity_type_id": 1,
                    "attribute_code": CUSTOM_ATTRIBUTE_CODE,
                    "backend_type": "varchar",
                    "frontend_input": "text",
                    "frontend_label": "Mother's maiden name",
                    "is_required": 0,
                    "is_user_defined": 1,
                },
            )
            w.add("customer_eav_attribute", {"attribute_id": attribute_id, "is_visible": 1, "is_system": 0, "sort_order": 200})
