"""The Generator: writes a whole store, family by family, in the order that keeps the seeded rng's draws fixed."""

from __future__ import annotations

import sqlalchemy as sa

from include.demo.store.back_office import BackOfficeMixin
from include.demo.store.config import Manifest, SeedConfig
from include.demo.store.customers import CustomersMixin
from include.demo.store.detections import DetectionPlantingMixin
from include.demo.store.planting import PlantingMixin
from include.demo.store.schema import ensure_schema, reset_tables
from include.demo.store.structure import StructureMixin


class Generator(StructureMixin, CustomersMixin, BackOfficeMixin, PlantingMixin, DetectionPlantingMixin):
    """Writes one store; see the include.demo.store package docstring."""

    def run(self) -> Manifest:
        """Write the whole store and return the manifest."""
        self.write_structure()
        cfg = self.config
        guests_per_customer = cfg.guest_order_share * cfg.orders_per_customer / max(1e-9, 1 - cfg.guest_order_share)
        guest_orders = 0.0
        for customer_id in range(1, cfg.customers + 1):
            self.write_customer(self.next_id("customer_entity"))
            guest_orders += guests_per_customer
            while guest_orders >= 1:
                self.write_guest_order()
                guest_orders -= 1
            if customer_id % cfg.batch_customers == 0:
                self.writer.flush()
                self.registered_emails = self.registered_emails[-1000:]
        self.write_back_office()
        self.writer.flush()
        self.plant_orphans()
        self.plant_third_party_table()
        if cfg.detections:
            self.write_detection_plants()
            self.writer.flush()
        self.writer.close()
        return self.manifest


def seed_store(url: str, config: SeedConfig) -> Manifest:
    """Create the schema if needed, empty the seeded tables, and write a fresh store at url."""
    connect_args = {} if url.startswith("sqlite") else {"local_infile": True}
    engine = sa.create_engine(url, connect_args=connect_args)
    try:
        ensure_schema(engine)
        reset_tables(engine)
        return Generator(engine, config).run()
    finally:
        engine.dispose()
