"""The law as data: jurisdiction rules, the incident inputs they apply to, legal clocks and the obligations engine."""
