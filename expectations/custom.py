"""Custom expectations for Magento data. Importing this module registers them with Great Expectations."""

from __future__ import annotations

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

from expectations.checks import contains_pan, is_magento_ciphertext


class ColumnValuesHaveNoCardNumber(ColumnMapMetricProvider):
    """Row is fine when no Luhn-valid, issuer-prefixed card number appears in the value."""

    condition_metric_name = "column_values.no_card_number"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: object) -> pd.Series:
        has_digits = column.astype("string").str.contains(r"\d{4}", regex=True).fillna(False).astype(bool)
        result = pd.Series(True, index=column.index)
        if has_digits.any():
            result[has_digits] = ~column[has_digits].map(contains_pan).astype(bool)
        return result


class ExpectColumnValuesToNotContainCardNumber(ColumnMapExpectation):
    """Expect no value to hold a payment card number (candidate pattern + Luhn + issuer prefix, PCI DSS 3.5.1)."""

    map_metric = "column_values.no_card_number"
    success_keys = ("mostly",)


class ColumnValuesAreMagentoCiphertext(ColumnMapMetricProvider):
    """Row is fine when the value is a Magento Encryptor ciphertext (any cipher version)."""

    condition_metric_name = "column_values.magento_ciphertext"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: object) -> pd.Series:
        return column.map(is_magento_ciphertext).astype(bool)


class ExpectColumnValuesToBeMagentoCiphertext(ColumnMapExpectation):
    """Expect every non-null value to be Magento ciphertext (`key:cipher:base64`), never plaintext."""

    map_metric = "column_values.magento_ciphertext"
    success_keys = ("mostly",)


CUSTOM_EXPECTATION_TYPES = frozenset(
    {
        "expect_column_values_to_not_contain_card_number",
        "expect_column_values_to_be_magento_ciphertext",
    }
)
