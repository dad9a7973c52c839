//! The append-only, hash-chained audit log: entry shape, hashing, and the chain check.
//!
//! Each network has its own chain. Entry `n` stores the hash of entry `n - 1`; its own hash covers
//! every field including that link, and a head row records the last sequence and hash. Editing,
//! inserting, reordering or deleting any entry (the last one included) breaks a check below.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::access::Actor;
use crate::id::{AuditEntryId, FranchiseeId, LocationId, NetworkId};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a change tells the audit log; the store adds sequence, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub actor: Actor,
    /// Dotted verb: `location.create`, `api_key.revoke`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub request_id: Option<String>,
    /// A JSON object with what changed (never a secret).
    pub details: serde_json::Value,
}

/// One stored entry of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: AuditEntryId,
    pub network_id: NetworkId,
    /// Position in the network's chain, from 1 with no gaps.
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: String,
    pub franchisee_id: Option<FranchiseeId>,
    pub location_id: Option<LocationId>,
    pub request_id: Option<String>,
    /// The JSON text exactly as hashed.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Builds the next entry of a chain whose head is (`prev_seq`, `prev_hash`).
    pub fn next(network_id: NetworkId, prev_seq: i64, prev_hash: &str, at: DateTime<Utc>, event: &AuditEvent) -> Self {
        let mut entry = Self {
            id: AuditEntryId::new(),
            network_id,
            seq: prev_seq + 1,
            at: truncate_to_micros(at),
            actor_kind: event.actor.kind().to_owned(),
            actor_id: event.actor.id().to_owned(),
            action: event.action.clone(),
            resource_type: event.resource_type.clone(),
            resource_id: event.resource_id.clone(),
            franchisee_id: event.franchisee_id.clone(),
            location_id: event.location_id.clone(),
            request_id: event.request_id.clone(),
            details: event.details.to_string(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// SHA-256 over every field but `hash`, each length-prefixed so no two entries share an input.
    pub fn compute_hash(&self) -> String {
        let at = self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let seq = self.seq.to_string();
        let fields: [&str; 14] = [
            self.id.as_str(),
            self.network_id.as_str(),
            &seq,
            &at,
            &self.actor_kind,
            &self.actor_id,
            &self.action,
            &self.resource_type,
            &self.resource_id,
            self.franchisee_id.as_ref().map_or("", |id| id.as_str()),
            self.location_id.as_ref().map_or("", |id| id.as_str()),
            self.request_id.as_deref().unwrap_or(""),
            &self.details,
            &self.prev_hash,
        ];
        let mut hasher = Sha256::new();
        for field in fields {
            hasher.update(field.len().to_string().as_bytes());
            hasher.update(b":");
            hasher.update(field.as_bytes());
            hasher.update(b"\n");
        }
        hex::encode(hasher.finalize())
    }
}

/// Both databases keep microseconds; hashing a finer instant would not survive the round trip.
pub fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    at.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(at)
}

/// The first place a chain stops being what was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq} ({id}) was altered: its contents no longer match its hash")]
    Altered { seq: i64, id: String },
    #[error("entries {from} to {to} are missing (removed from the middle of the chain)")]
    Missing { from: i64, to: i64 },
    #[error("entry {seq} ({id}) does not follow entry {previous}: an entry was inserted or replaced")]
    Relinked { seq: i64, id: String, previous: i64 },
    #[error("the chain ends at entry {last} but the head says {head}: entries were removed from the end")]
    Truncated { last: i64, head: i64 },
    #[error("the chain's head hash does not match entry {seq}: the head or the last entry was altered")]
    HeadMismatch { seq: i64 },
}

/// Walks one network's chain in ascending `seq` and checks every link and the head.
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { last_seq: 0, last_hash: GENESIS_HASH.to_owned() }
    }
}

impl ChainVerifier {
    /// Checks the next entry; entries must come in ascending `seq`.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        if entry.compute_hash() != entry.hash {
            return Err(ChainBreak::Altered { seq: entry.seq, id: entry.id.to_string() });
        }
        if entry.seq != self.last_seq + 1 {
            return Err(ChainBreak::Missing { from: self.last_seq + 1, to: entry.seq - 1 });
        }
        if entry.prev_hash != self.last_hash {
            return Err(ChainBreak::Relinked { seq: entry.seq, id: entry.id.to_string(), previous: self.last_seq });
        }
        self.last_seq = entry.seq;
        self.last_hash.clone_from(&entry.hash);
        Ok(())
    }

    /// Checks the walked chain against the stored head (`None` when the network has no entries).
    pub fn finish(self, head: Option<(i64, String)>) -> Result<i64, ChainBreak> {
        let (head_seq, head_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
        if head_seq != self.last_seq {
            return Err(ChainBreak::Truncated { last: self.last_seq, head: head_seq });
        }
        if head_hash != self.last_hash {
            return Err(ChainBreak::HeadMismatch { seq: self.last_seq });
        }
        Ok(self.last_seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(length: usize) -> Vec<AuditEntry> {
        let network = NetworkId::new();
        let mut entries: Vec<AuditEntry> = Vec::new();
        for index in 0..length {
            let (seq, hash) = entries.last().map_or((0, GENESIS_HASH.to_owned()), |e| (e.seq, e.hash.clone()));
            let event = AuditEvent {
                actor: Actor::Cli,
                action: "location.create".into(),
                resource_type: "location".into(),
                resource_id: format!("loc_{index}"),
                franchisee_id: None,
                location_id: None,
                request_id: None,
                details: serde_json::json!({ "index": index }),
            };
            entries.push(AuditEntry::next(network.clone(), seq, &hash, Utc::now(), &event));
        }
        entries
    }

    fn verify(entries: &[AuditEntry], head: Option<(i64, String)>) -> Result<i64, ChainBreak> {
        let mut verifier = ChainVerifier::default();
        for entry in entries {
            verifier.push(entry)?;
        }
        verifier.finish(head)
    }

    fn head(entries: &[AuditEntry]) -> Option<(i64, String)> {
        entries.last().map(|e| (e.seq, e.hash.clone()))
    }

    #[test]
    fn intact_chain_verifies() {
        let entries = chain(5);
        assert_eq!(verify(&entries, head(&entries)), Ok(5));
        assert_eq!(verify(&[], None), Ok(0));
    }

    #[test]
    fn every_kind_of_tampering_is_named() {
        let entries = chain(5);
        let original_head = head(&entries);

        let mut edited = entries.clone();
        edited[2].details = r#"{"index":99}"#.into();
        assert!(matches!(verify(&edited, original_head.clone()), Err(ChainBreak::Altered { seq: 3, .. })));

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(verify(&removed, original_head.clone()), Err(ChainBreak::Missing { from: 2, to: 2 }));

        let truncated = &entries[..4];
        assert_eq!(verify(truncated, original_head.clone()), Err(ChainBreak::Truncated { last: 4, head: 5 }));

        // A forged entry with a valid hash of its own but the wrong link.
        let mut forged = entries.clone();
        forged[3].prev_hash = GENESIS_HASH.to_owned();
        forged[3].hash = forged[3].compute_hash();
        assert!(matches!(verify(&forged, original_head), Err(ChainBreak::Relinked { seq: 4, .. })));
    }
}
