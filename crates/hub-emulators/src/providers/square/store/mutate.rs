//! Changes a test or the demo makes to a merchant: sales taken now, refunds, customer edits
//! and deletions. Every change stamps the records it touches with [`MerchantData::tick`] (and
//! bumps their `version`), and moves them in the indexes, so incremental syncs see them.

use std::borrow::Cow;

use super::super::generate::sales::{Menu, basket, card_fee, tender, tip};
use super::super::ids::{IdKind, Rng};
use super::super::model::{Order, Payment, Refund};
use super::super::types::{SquareCustomerUpdate, SquareNewOrder, SquareRefundResult};
use super::{MerchantData, name_key};
use crate::error::EmulatorError;

/// What to refund: the whole remaining amount when `amount` is `None`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefundRequest {
    pub amount: Option<i64>,
    pub reason: Option<String>,
}

impl MerchantData {
    /// The position of a location by id.
    pub fn location_position(&self, location_id: &str) -> Result<u16, EmulatorError> {
        self.location_by_id
            .get(location_id)
            .copied()
            .ok_or_else(|| EmulatorError::NotFound { kind: "location", id: location_id.to_owned() })
    }

    /// Takes `count` sales at a location now (paid, completed), with the same mix of services,
    /// products, discounts, tips and tenders as the history.
    pub fn add_orders(&mut self, location_id: &str, count: u32) -> Result<Vec<SquareNewOrder>, EmulatorError> {
        let number = self.location_position(location_id)?;
        let barbers: Vec<u32> = (0..self.team.len() as u32)
            .filter(|&member| {
                let member = &self.team[member as usize];
                member.active && !member.is_owner && member.location == Some(number)
            })
            .collect();
        let customers: Vec<u32> =
            self.customers.iter().enumerate().filter(|(_, c)| !c.deleted).map(|(n, _)| n as u32).collect();
        let menu = Menu::new();
        let mut added = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let position = self.orders.len() as u32;
            let now = self.tick();
            let mut rng = Rng::new(self.seed, &[b"live sales"]).fork("order", u64::from(position));
            let location = &self.locations[usize::from(number)];
            let basket = basket(&menu, &mut rng, location, false);
            let card = rng.chance_per_mille(800);
            let tip = tip(&mut rng, location, &basket.lines, card);
            let customer = rng.chance_per_mille(720).then(|| rng.pick(&customers).copied()).flatten();
            let order = Order {
                id: self.minter.id(IdKind::Order, u64::from(position)),
                location: number,
                customer,
                team_member: rng.pick(&barbers).copied().unwrap_or_default(),
                created_at: now,
                closed_at: now,
                updated_at: now,
                version: 1,
                lines: basket.lines,
                discount: basket.discount,
                service_charge: None,
                tip,
                refunds: Vec::new(),
            };
            let total = order.total();
            let payment = Payment {
                id: self.minter.id(IdKind::Payment, u64::from(position)),
                created_at: now,
                updated_at: now,
                tender: tender(&mut rng, card, location.currency, total, now),
                fee: if card { card_fee(location, total) } else { 0 },
                refunded: 0,
                refunds: Vec::new(),
                version: 1,
            };
            let index = &mut self.index.locations[usize::from(number)];
            index.orders_created.insert(now, position);
            index.orders_updated.insert(now, position);
            index.orders_closed.insert(now, position);
            index.payments_created.insert(now, position);
            index.payments_updated.insert(now, position);
            self.payment_by_id.insert(payment.id.clone(), position);
            added.push(SquareNewOrder {
                order_id: order.id.clone(),
                payment_id: payment.id.clone(),
                location_id: location_id.to_owned(),
                total,
            });
            self.orders.push(order);
            self.payments.push(payment);
        }
        Ok(added)
    }

    /// Refunds (part of) a payment now: the refund completes at once, and the payment and its
    /// order show it.
    pub fn refund_payment(
        &mut self,
        payment_id: &str,
        request: RefundRequest,
    ) -> Result<SquareRefundResult, EmulatorError> {
        let position = *self
            .payment_by_id
            .get(payment_id)
            .ok_or_else(|| EmulatorError::NotFound { kind: "payment", id: payment_id.to_owned() })?;
        let total = self.orders[position as usize].total();
        let remaining = total - self.payments[position as usize].refunded;
        let amount = request.amount.unwrap_or(remaining);
        if amount <= 0 || amount > remaining {
            return Err(EmulatorError::Refused(format!(
                "a refund of {amount} is not possible: {remaining} of payment `{payment_id}` remains refundable"
            )));
        }
        let now = self.tick();
        let refund_position = self.refunds.len() as u32;
        let payment = &mut self.payments[position as usize];
        let refund = Refund {
            id: format!("{}_{}", payment.id, self.minter.id(IdKind::Refund, u64::from(refund_position))),
            payment: position,
            amount,
            fee_returned: if payment.fee > 0 { (payment.fee * amount + total / 2) / total } else { 0 },
            reason: request.reason.map_or(Cow::Borrowed("Requested by the seller"), Cow::Owned),
            created_at: now,
            updated_at: now,
        };
        let old_payment_update = payment.updated_at;
        payment.refunded += amount;
        payment.refunds.push(refund_position);
        payment.updated_at = now;
        payment.version += 1;
        let order = &mut self.orders[position as usize];
        let old_order_update = order.updated_at;
        order.refunds.push(refund_position);
        order.updated_at = now;
        order.version += 1;
        let index = &mut self.index.locations[usize::from(order.location)];
        index.payments_updated.rekey(&old_payment_update, now, position);
        index.orders_updated.rekey(&old_order_update, now, position);
        index.refunds_created.insert(now, refund_position);
        index.refunds_updated.insert(now, refund_position);
        let result = SquareRefundResult {
            refund_id: refund.id.clone(),
            payment_id: payment_id.to_owned(),
            order_id: order.id.clone(),
            amount,
            remaining: remaining - amount,
        };
        self.refunds.push(refund);
        Ok(result)
    }

    fn live_customer(&self, customer_id: &str) -> Result<u32, EmulatorError> {
        self.customer_by_id
            .get(customer_id)
            .copied()
            .filter(|&position| !self.customers[position as usize].deleted)
            .ok_or_else(|| EmulatorError::NotFound { kind: "customer", id: customer_id.to_owned() })
    }

    /// Edits a customer profile: `updated_at` moves to now and `version` goes up by one.
    pub fn update_customer(&mut self, customer_id: &str, update: SquareCustomerUpdate) -> Result<(), EmulatorError> {
        let position = self.live_customer(customer_id)?;
        let now = self.tick();
        let customer = &mut self.customers[position as usize];
        let old_name = name_key(customer);
        let set = |field: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *field = value;
            }
        };
        set(&mut customer.given_name, update.given_name);
        set(&mut customer.family_name, update.family_name);
        set(&mut customer.email, update.email_address);
        set(&mut customer.phone, update.phone_number);
        if let Some(note) = update.note {
            customer.note = (!note.is_empty()).then_some(note);
        }
        customer.updated_at = now;
        customer.version += 1;
        let new_name = name_key(customer);
        self.index.customers_name.rekey(&old_name, new_name, position);
        Ok(())
    }

    /// Deletes a customer profile: it vanishes from list and search (orders keep its id).
    pub fn delete_customer(&mut self, customer_id: &str) -> Result<(), EmulatorError> {
        let position = self.live_customer(customer_id)?;
        let now = self.tick();
        let customer = &mut self.customers[position as usize];
        customer.deleted = true;
        customer.updated_at = now;
        customer.version += 1;
        let (created_at, name) = (customer.created_at, name_key(customer));
        self.index.customers_created.remove(&created_at, position);
        self.index.customers_name.remove(&name, position);
        Ok(())
    }
}
