"""The dashboard's views as plain data, read from what the mock already reports (the journal,
the orders listing, the scenario catalogue and queue, the loaded fixture packs) and put in words:
`requests_view` (journal rows and their filters), `orders_view` (orders with codes and warning
bits decoded), `packs_view` (fixture pack entries beside their manifest answers). The pages
themselves (templates/, static/) are rendered by api/dashboard.py; no Flask here."""
