//! KPIs per day, week, month, location, franchisee and territory, read from rollups, with each location's percentile rank in the network.
