"""The SQL warehouse: schema from form4_assets.tables, engines, partition writes."""
