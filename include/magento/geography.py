"""Countries and US regions as a stock Magento install has them in directory_country / directory_country_region."""

from __future__ import annotations

# (region_id, code, name) as shipped by Magento_Directory's data patch for the US.
US_REGIONS: tuple[tuple[int, str, str], ...] = (
    (1, "AL", "Alabama"), (2, "AK", "Alaska"), (3, "AS", "American Samoa"), (4, "AZ", "Arizona"),
    (5, "AR", "Arkansas"), (12, "CA", "California"), (13, "CO", "Colorado"), (14, "CT", "Connecticut"),
    (15, "DE", "Delaware"), (16, "DC", "District of Columbia"), (18, "FL", "Florida"), (19, "GA", "Georgia"),
    (20, "GU", "Guam"), (21, "HI", "Hawaii"), (22, "ID", "Idaho"), (23, "IL", "Illinois"), (24, "IN", "Indiana"),
    (25, "IA", "Iowa"), (26, "KS", "Kansas"), (27, "KY", "Kentucky"), (28, "LA", "Louisiana"), (29, "ME", "Maine"),
    (31, "MD", "Maryland"), (32, "MA", "Massachusetts"), (33, "MI", "Michigan"), (34, "MN", "Minnesota"),
    (35, "MS", "Mississippi"), (36, "MO", "Missouri"), (37, "MT", "Montana"), (38, "NE", "Nebraska"),
    (39, "NV", "Nevada"), (40, "NH", "New Hampshire"), (41, "NJ", "New Jersey"), (42, "NM", "New Mexico"),
    (43, "NY", "New York"), (44, "NC", "North Carolina"), (45, "ND", "North Dakota"), (47, "OH", "Ohio"),
    (48, "OK", "Oklahoma"), (49, "OR", "Oregon"), (51, "PA", "Pennsylvania"), (52, "PR", "Puerto Rico"),
    (53, "RI", "Rhode Island"), (54, "SC", "South Carolina"), (55, "SD", "South Dakota"), (56, "TN", "Tennessee"),
    (57, "TX", "Texas"), (58, "UT", "Utah"), (59, "VT", "Vermont"), (61, "VA", "Virginia"), (62, "WA", "Washington"),
    (63, "WV", "West Virginia"), (64, "WI", "Wisconsin"), (65, "WY", "Wyoming"),
)

# Share of non-California US customers per state, roughly by population; the rest spread evenly.
US_STATE_WEIGHTS: dict[str, float] = {
    "TX": 10.0, "FL": 7.5, "NY": 6.5, "PA": 4.2, "IL": 4.1, "OH": 3.8, "GA": 3.5, "NC": 3.5, "MI": 3.2, "NJ": 3.0,
    "VA": 2.8, "WA": 2.6, "AZ": 2.5, "MA": 2.3, "TN": 2.3, "IN": 2.2, "MD": 2.0, "MO": 2.0, "WI": 1.9, "CO": 1.9,
    "MN": 1.9, "SC": 1.7, "AL": 1.6, "LA": 1.5, "KY": 1.4, "OR": 1.3, "OK": 1.3, "CT": 1.1, "UT": 1.1, "IA": 1.0,
    "NV": 1.0, "AR": 0.9, "MS": 0.9, "KS": 0.9, "NM": 0.6, "NE": 0.6, "ID": 0.6, "WV": 0.5, "HI": 0.4, "NH": 0.4,
    "ME": 0.4, "MT": 0.3, "RI": 0.3, "DE": 0.3, "SD": 0.3, "ND": 0.2, "AK": 0.2, "DC": 0.2, "VT": 0.2, "WY": 0.2,
}

EU_COUNTRIES: dict[str, tuple[str, ...]] = {
    "DE": ("Berlin", "Hamburg", "München", "Köln"),
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse"),
    "ES": ("Madrid", "Barcelona", "Sevilla", "Valencia"),
    "IT": ("Roma", "Milano", "Napoli", "Torino"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag"),
    "IE": ("Dublin", "Cork", "Galway", "Limerick"),
}

EEA_COUNTRIES = frozenset(
    ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"]
)

US_CITIES: dict[str, tuple[str, ...]] = {
    "CA": ("Los Angeles", "San Francisco", "San Diego", "Sacramento", "Fresno"),
    "TX": ("Houston", "Austin", "Dallas", "San Antonio"),
    "FL": ("Miami", "Orlando", "Tampa", "Jacksonville"),
    "NY": ("New York", "Buffalo", "Rochester", "Albany"),
}


def region_by_code() -> dict[str, tuple[int, str]]:
    """US region code to (region_id, name)."""
    return {code: (region_id, name) for region_id, code, name in US_REGIONS}
