"""Monthly statements (对账单) per merchant and venue: a read model over the trades."""
