"""Services: one module per workflow; they flush and write audit records, the caller commits once."""
