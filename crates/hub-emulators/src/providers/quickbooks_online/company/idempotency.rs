//! `requestid` idempotency: the first successful result of each request id, per company,
//! bounded (the oldest ids are forgotten first).

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

/// How many request ids a company remembers.
const CAPACITY: usize = 10_000;

/// Results by request id.
#[derive(Debug, Default)]
pub(crate) struct Idempotency {
    results: HashMap<String, Value>,
    order: VecDeque<String>,
}

impl Idempotency {
    pub fn get(&self, request_id: &str) -> Option<&Value> {
        self.results.get(request_id)
    }

    pub fn remember(&mut self, request_id: &str, entity: Value) {
        if self.results.insert(request_id.to_owned(), entity).is_none() {
            self.order.push_back(request_id.to_owned());
        }
        while self.order.len() > CAPACITY {
            if let Some(oldest) = self.order.pop_front() {
                self.results.remove(&oldest);
            }
        }
    }
}
