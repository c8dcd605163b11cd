"""The lending domain: bank, products, customers, applications, decisions, loans.

Plain Python and SQLAlchemy; it knows neither the web nor the workflow engine.
"""
