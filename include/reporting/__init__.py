"""The compliance report: metrics, trends and the accessible HTML report."""
