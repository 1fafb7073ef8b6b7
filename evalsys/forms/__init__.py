"""WTForms forms, one module per area; they validate and never save."""
