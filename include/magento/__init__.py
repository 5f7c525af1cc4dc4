"""The Magento store: its real 2.4.8 schema, value formats, geography and read-only access to its database."""
