//! CSV and Parquet exports of statements, sales and KPIs.
