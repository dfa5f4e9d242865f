"""Demo data: a living catalog of Zhejiang data merchants and their products (`shushang demo`)."""
