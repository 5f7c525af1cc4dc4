"""The custom expectations count the right rows and return keys, never values."""

from __future__ import annotations

import json

import pandas as pd

from include.scan.validation import FrameValidator

PAN = "4111 1111 1111 1111"


def test_payment_suite_counts_planted_rows_and_returns_only_keys():
    frame = pd.DataFrame(
        {
            "entity_id": [1, 2, 3, 4, 5, 6],
            "parent_id": [1, 2, 3, 4, 5, 6],
            "method": ["x"] * 6,
            "cc_owner": [None] * 6,
            "cc_exp_month": [None] * 6,
            "cc_exp_year": [None] * 6,
            "cc_type": [None] * 6,
            "cc_trans_id": [None] * 6,
            "echeck_account_name": [None] * 6,
            "echeck_routing_number": [None] * 6,
            "po_number": [None] * 6,
            "additional_data": [None] * 6,
            "cc_last_4": ["1111", "4111111111111111", "1234", None, "0004", "1111"],
            "cc_number_enc": ["0:3:" + "A" * 60, "4111111111111111", "0:1:abcd", None, "0:3:" + "B" * 60, "0:3:" + "C" * 60],
            "additional_information": [
                json.dumps({"cc_number": PAN}),
                "{}",
                json.dumps({"ref": "9000000000000008"}),
                None,
                "{}",
                "{}",
            ],
        }
    )
    stats = FrameValidator("sales_order_payment").validate(frame)
    assert stats["additional_information:no_card_number"].unexpected_count == 1
    assert stats["additional_information:no_card_number"].sample_keys == [1]
    assert stats["cc_number_enc:encrypted_any_cipher"].sample_keys == [2]
    assert stats["cc_number_enc:current_cipher"].sample_keys == [3]
    assert stats["cc_number_enc:no_card_number"].sample_keys == [2]
    assert stats["cc_last_4:cc_last_4_format"].sample_keys == [2]
    assert PAN not in repr(stats) and "4111111111111111" not in repr(stats)
