"""Finance: double-entry ledger, invoices, payments, VAT and reports."""
