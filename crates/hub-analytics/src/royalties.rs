//! Franchise agreements and royalty statements computed from synced sales.
